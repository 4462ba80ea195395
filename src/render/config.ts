// The renderer's own configuration: `consul`, `wait`, `splay`, `exec` and `template` blocks
// from HCL/JSON files (a file, or every *.hcl/*.json of a render.d/ directory in lexical order),
// later files adding templates and overriding scalars.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as hcl from 'js-hcl-parser';

import {
  durationOf,
  parseWait,
  resourceFromObject,
  ResourceError,
  type TemplateResource,
  type WaitSpec,
} from './resource';

export interface ExecSpec {
  command: string;
  /** Sent to the child when templates change; null restarts it instead. */
  reloadSignal: NodeJS.Signals | null;
  killSignal: NodeJS.Signals;
  killTimeoutMs: number;
}

export interface RenderFileConfig {
  address: string | null;
  token: string | null;
  templates: TemplateResource[];
  wait: WaitSpec | null;
  splayMs: number | null;
  exec: ExecSpec | null;
}

export function emptyRenderConfig(): RenderFileConfig {
  return { address: null, token: null, templates: [], wait: null, splayMs: null, exec: null };
}

/** Loads and merges `paths` (files or directories) in order. */
export function loadRenderConfig(paths: readonly string[]): RenderFileConfig {
  const config = emptyRenderConfig();
  for (const path of paths) {
    for (const file of filesOf(path)) mergeInto(config, parseRenderFile(file), file);
  }
  return config;
}

function filesOf(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new ResourceError(`failed to read ${path}: ${(err as Error).message}`);
  }
  if (!isDir) return [path];
  return readdirSync(path)
    .sort()
    .map((name) => join(path, name))
    .filter((file) => ['.hcl', '.json'].includes(extname(file)) && statSync(file).isFile());
}

export function parseRenderFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  if (extname(file) === '.json') {
    try {
      return asObject(JSON.parse(text), file);
    } catch (err) {
      throw new ResourceError(`failed to parse ${file}: ${(err as Error).message}`);
    }
  }
  const output = hcl.parse(text).trimStart();
  if (!output.startsWith('{')) {
    const located = /At (\d+):(\d+): (.*)$/s.exec(output);
    const detail = located ? `line ${located[1]}, column ${located[2]}: ${located[3]}` : output;
    throw new ResourceError(`failed to parse ${file}: ${detail.trim()}`);
  }
  return asObject(JSON.parse(output), file);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResourceError(`${where}: expected an object`);
  }
  return value as Record<string, unknown>;
}

/** HCL gives blocks as one-element lists; JSON writers give objects. */
function single(value: unknown, where: string): Record<string, unknown> {
  return asObject(Array.isArray(value) && value.length === 1 ? value[0] : value, where);
}

function mergeInto(config: RenderFileConfig, file: Record<string, unknown>, name: string): void {
  for (const [rawKey, value] of Object.entries(file)) {
    const key = rawKey.toLowerCase();
    const where = `${name}: ${rawKey}`;
    switch (key) {
      case 'consul': {
        const consul = single(value, where);
        for (const [field, fieldValue] of Object.entries(consul)) {
          if (typeof fieldValue !== 'string')
            throw new ResourceError(`${where}.${field}: must be a string`);
          if (field.toLowerCase() === 'address') config.address = fieldValue;
          else if (field.toLowerCase() === 'token') config.token = fieldValue;
          else throw new ResourceError(`${where}: unknown key "${field}"`);
        }
        break;
      }
      case 'template': {
        const blocks = Array.isArray(value) ? value : [value];
        blocks.forEach((block, i) => {
          config.templates.push(resourceFromObject(asObject(block, where), `${where}[${i}]`));
        });
        break;
      }
      case 'wait':
        config.wait = parseWait(value, where);
        break;
      case 'splay':
        config.splayMs = durationOf(value, where);
        break;
      case 'exec':
        config.exec = execFromObject(single(value, where), where);
        break;
      default:
        throw new ResourceError(`${name}: unknown key "${rawKey}"`);
    }
  }
}

export function execFromObject(input: Record<string, unknown>, where: string): ExecSpec {
  const fields = new Map(Object.entries(input).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of fields.keys()) {
    if (!['command', 'reload_signal', 'kill_signal', 'kill_timeout'].includes(key)) {
      throw new ResourceError(`${where}: unknown key "${key}"`);
    }
  }
  const command = fields.get('command');
  if (typeof command !== 'string' || command === '') {
    throw new ResourceError(`${where}.command: required`);
  }
  const reload = fields.get('reload_signal');
  const kill = fields.get('kill_signal');
  const timeout = fields.get('kill_timeout');
  return {
    command,
    reloadSignal:
      reload === undefined || reload === '' ? null : signalOf(reload, `${where}.reload_signal`),
    killSignal: kill === undefined ? 'SIGTERM' : signalOf(kill, `${where}.kill_signal`),
    killTimeoutMs: timeout === undefined ? 30_000 : durationOf(timeout, `${where}.kill_timeout`),
  };
}

const SIGNALS = new Set([
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGKILL',
  'SIGUSR1',
  'SIGUSR2',
  'SIGTERM',
  'SIGCONT',
  'SIGSTOP',
  'SIGWINCH',
]);

export function signalOf(value: unknown, where: string): NodeJS.Signals {
  const name = typeof value === 'string' ? value.toUpperCase() : '';
  const full = name.startsWith('SIG') ? name : `SIG${name}`;
  if (!SIGNALS.has(full))
    throw new ResourceError(`${where}: unknown signal ${JSON.stringify(value)}`);
  return full as NodeJS.Signals;
}
