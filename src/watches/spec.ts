// Watch specifications as Consul reads them (consul-api.md §12.3), from an agent config `watches`
// entry or from `consulate watch` flags: the type and its parameters, the handler (argv, shell
// string or HTTP endpoint), datacenter and token. Errors name the field, as Consul's do.

import { parseDuration } from '../config';

export const WATCH_TYPES = [
  'key',
  'keyprefix',
  'services',
  'nodes',
  'service',
  'checks',
  'event',
] as const;
export type WatchType = (typeof WATCH_TYPES)[number];

export interface HttpHandlerConfig {
  path: string;
  method: string;
  header: Record<string, string[]>;
  timeoutMs: number;
  tlsSkipVerify: boolean;
}

export type WatchHandler =
  | { kind: 'none' }
  | { kind: 'args'; args: string[] }
  | { kind: 'shell'; script: string }
  | { kind: 'http'; config: HttpHandlerConfig };

export interface WatchSpec {
  type: WatchType;
  key: string;
  prefix: string;
  service: string;
  tags: string[];
  passingOnly: boolean;
  state: string;
  name: string;
  datacenter: string;
  token: string;
  handler: WatchHandler;
}

export class WatchSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchSpecError';
  }
}

// Parameters each type accepts besides the common ones (Consul refuses others).
const TYPE_PARAMS: Record<WatchType, readonly string[]> = {
  key: ['key'],
  keyprefix: ['prefix'],
  services: [],
  nodes: [],
  service: ['service', 'tag', 'passingonly'],
  checks: ['service', 'state'],
  event: ['name'],
};
const COMMON = [
  'type',
  'datacenter',
  'token',
  'args',
  'handler',
  'handler_type',
  'http_handler_config',
];
const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** A config `watches` entry (snake_case keys as the config loader leaves them). */
export function parseWatchSpec(raw: Record<string, unknown>, where: string): WatchSpec {
  const type = str(raw, 'type', where);
  if (!(WATCH_TYPES as readonly string[]).includes(type)) {
    throw new WatchSpecError(`${lead(where)}Unsupported watch type: ${type}`);
  }
  const watchType = type as WatchType;
  for (const key of Object.keys(raw)) {
    if (!COMMON.includes(key) && !TYPE_PARAMS[watchType].includes(key)) {
      throw new WatchSpecError(`${lead(where)}Invalid parameters: [${key}]`);
    }
  }
  const spec: WatchSpec = {
    type: watchType,
    key: str(raw, 'key', where),
    prefix: str(raw, 'prefix', where),
    service: str(raw, 'service', where),
    tags: tags(raw.tag, where),
    passingOnly: bool(raw, 'passingonly', where),
    state: str(raw, 'state', where),
    name: str(raw, 'name', where),
    datacenter: str(raw, 'datacenter', where),
    token: str(raw, 'token', where),
    handler: handlerOf(raw, where),
  };
  checkRequired(spec, where);
  return spec;
}

/** What each type must have (Consul's watch factories). */
export function checkRequired(spec: WatchSpec, where: string): void {
  if (spec.type === 'key' && spec.key === '') {
    throw new WatchSpecError(`${lead(where)}Must specify a single key to watch`);
  }
  if (spec.type === 'keyprefix' && spec.prefix === '') {
    throw new WatchSpecError(`${lead(where)}Must specify a single prefix to watch`);
  }
  if (spec.type === 'service' && spec.service === '') {
    throw new WatchSpecError(`${lead(where)}Must specify a single service to watch`);
  }
  if (spec.type === 'checks' && spec.service !== '' && spec.state !== '') {
    throw new WatchSpecError(`${lead(where)}Cannot specify service and state`);
  }
}

function handlerOf(raw: Record<string, unknown>, where: string): WatchHandler {
  const handlerType = str(raw, 'handler_type', where) || 'script';
  if (handlerType === 'http') {
    const config = raw.http_handler_config;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new WatchSpecError(
        `${lead(where)}Handler type 'http' requires 'http_handler_config' to be set`,
      );
    }
    return { kind: 'http', config: httpConfig(config as Record<string, unknown>, where) };
  }
  if (handlerType !== 'script') {
    throw new WatchSpecError(`${lead(where)}Handler type '${handlerType}' not recognized`);
  }
  const args = raw.args;
  const handler = str(raw, 'handler', where);
  if (args !== undefined && handler !== '') {
    throw new WatchSpecError(`${lead(where)}Only one watch handler allowed`);
  }
  if (args !== undefined) {
    if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string') || args.length === 0) {
      throw new WatchSpecError(`${lead(where)}args must be a non-empty list of strings`);
    }
    return { kind: 'args', args: args as string[] };
  }
  return handler !== '' ? { kind: 'shell', script: handler } : { kind: 'none' };
}

function httpConfig(raw: Record<string, unknown>, where: string): HttpHandlerConfig {
  const at = `${where}.http_handler_config`;
  const path = str(raw, 'path', at);
  if (path === '') throw new WatchSpecError(`${lead(at)}Error, path is required`);
  const header: Record<string, string[]> = {};
  const rawHeader = raw.header ?? {};
  if (typeof rawHeader !== 'object' || rawHeader === null || Array.isArray(rawHeader)) {
    throw new WatchSpecError(`${at}.header must be a map of lists`);
  }
  for (const [name, values] of Object.entries(rawHeader)) {
    const list = Array.isArray(values) ? values : [values];
    if (list.some((value) => typeof value !== 'string')) {
      throw new WatchSpecError(`${at}.header.${name} must be strings`);
    }
    header[name] = list as string[];
  }
  const timeout = raw.timeout;
  let timeoutMs = DEFAULT_HTTP_TIMEOUT_MS;
  if (typeof timeout === 'number') timeoutMs = timeout;
  else if (typeof timeout === 'string' && timeout !== '') {
    try {
      timeoutMs = parseDuration(timeout);
    } catch (error) {
      throw new WatchSpecError(`${at}.timeout: ${(error as Error).message}`);
    }
  }
  return {
    path,
    method: (str(raw, 'method', at) || 'POST').toUpperCase(),
    header,
    timeoutMs,
    tlsSkipVerify: bool(raw, 'tls_skip_verify', at),
  };
}

function str(raw: Record<string, unknown>, key: string, where: string): string {
  const value = raw[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new WatchSpecError(`${where}.${key} must be a string`);
  return value;
}

function bool(raw: Record<string, unknown>, key: string, where: string): boolean {
  const value = raw[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new WatchSpecError(`${where}.${key} must be a boolean`);
  return value;
}

// `tag` is a string or a list of strings.
function tags(value: unknown, where: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) return value;
  throw new WatchSpecError(`${where}.tag must be a string or a list of strings`);
}

// Errors name the config entry they come from; the CLI's own flags need no name.
function lead(where: string): string {
  return where === '' ? '' : `${where}: `;
}
