// `consulate render`: consul-template/confd for Consulate. Templates from -template flags and
// from HCL/JSON files (-config-file, -config-dir); -once, -dry, -exec; SIGHUP reloads the
// renderer's own configuration.
import { readFileSync } from 'node:fs';
import pino from 'pino';

import type { FlagSpec, FlagValue, ParsedFlags } from '../config';
import {
  loadRenderConfig,
  parseTemplateFlag,
  parseWait,
  Renderer,
  signalOf,
  ChildSupervisor,
  type ConsulEndpoint,
  type ExecSpec,
  type RenderFileConfig,
  type RenderLogger,
} from '../render';
import { AgentHttpClient, baseUrlFor, clientTlsFrom, HTTP_CLIENT_FLAGS } from './http-client';
import { formatTextLine } from './logger';
import { error, parseCommandFlags } from './output';

const flag = (
  name: string,
  kind: FlagSpec['kind'],
  usage: string,
  placeholder?: string,
): FlagSpec =>
  placeholder === undefined ? { name, kind, usage } : { name, kind, usage, placeholder };

export const RENDER_FLAGS: readonly FlagSpec[] = [
  flag(
    'http-addr',
    'string',
    'Address of the agent (env CONSUL_HTTP_ADDR, default 127.0.0.1:8500).',
    'address',
  ),
  flag('token', 'string', 'ACL token (env CONSUL_HTTP_TOKEN).', 'value'),
  flag('token-file', 'string', 'File holding the ACL token (env CONSUL_HTTP_TOKEN_FILE).', 'path'),
  // -ca-file, -ca-path, -client-cert, -client-key, -tls-server-name: as every command's.
  ...HTTP_CLIENT_FLAGS.filter((spec) =>
    ['ca-file', 'ca-path', 'client-cert', 'client-key', 'tls-server-name'].includes(spec.name),
  ),
  flag('template', 'list', 'A template "src:dest[:command]"; repeatable.', 'spec'),
  flag(
    'config-file',
    'list',
    'An HCL/JSON renderer config file (or directory); repeatable.',
    'path',
  ),
  flag(
    'config-dir',
    'list',
    'A directory of *.hcl/*.json renderer config files; repeatable.',
    'path',
  ),
  flag('once', 'bool', 'Render every template once and exit (non-zero on any failure).'),
  flag('dry', 'bool', 'Print rendered templates to stdout instead of writing them.'),
  flag(
    'wait',
    'string',
    'Default quiescence "min[:max]" for templates without their own.',
    'duration',
  ),
  flag('splay', 'duration', 'Random delay before each reload command.'),
  flag('exec', 'string', 'Command to supervise; restarted when templates change.', 'command'),
  flag(
    'exec-reload-signal',
    'string',
    'Signal sent to the -exec child instead of a restart.',
    'signal',
  ),
  flag(
    'exec-kill-signal',
    'string',
    'Signal that stops the -exec child (default SIGTERM).',
    'signal',
  ),
  flag('exec-kill-timeout', 'duration', 'Wait before SIGKILL for the -exec child (default 30s).'),
  flag('log-level', 'string', 'trace, debug, info, warn or error (default info).', 'level'),
];

const HELP = `Usage: consulate render [options]

  Renders Handlebars templates from Consulate's KV, catalog and health data, rewrites their
  destinations when the data changes, and runs a check and a reload command around each write.`;

export async function runRender(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, RENDER_FLAGS, HELP);
  if (typeof parsed === 'number') return parsed;
  let config: RenderFileConfig;
  try {
    config = buildConfig(parsed.values);
  } catch (err) {
    error(`Error: ${(err as Error).message}`);
    return 1;
  }
  if (config.templates.length === 0) {
    error('Error: no templates: give -template, -config-file or -config-dir');
    return 1;
  }
  const logger = createRenderLogger(String(parsed.values.get('log-level') ?? 'info'));
  const renderer = new Renderer({
    consul: endpointOf(parsed.values, config),
    templates: config.templates,
    wait: config.wait,
    splayMs: config.splayMs ?? 0,
    dry: parsed.values.get('dry') === true,
    once: parsed.values.get('once') === true,
    logger,
  });
  if (parsed.values.get('once') === true) {
    const result = await renderer.runOnce();
    for (const failure of result.errors) error(`Error: ${failure.id}: ${failure.error.message}`);
    return result.ok ? 0 : 1;
  }
  return runUntilStopped(renderer, config, parsed, logger);
}

function runUntilStopped(
  renderer: Renderer,
  config: RenderFileConfig,
  parsed: ParsedFlags,
  logger: RenderLogger,
): Promise<number> {
  return new Promise((resolve) => {
    let supervisor: ChildSupervisor | null = null;
    const finish = async (code: number): Promise<void> => {
      process.off('SIGHUP', onHup);
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      await renderer.stop();
      resolve(code);
    };
    if (config.exec !== null) {
      const child = new ChildSupervisor({ exec: config.exec, onExit: (code) => void finish(code) });
      supervisor = child;
      let ready = false;
      renderer.on('ready', () => {
        ready = true;
        child.start();
      });
      renderer.on('rendered', (event) => {
        if (ready && event.outcome === 'written') void child.templatesChanged();
      });
    }
    const onHup = (): void => {
      try {
        const next = buildConfig(parsed.values);
        renderer.reload(next.templates);
        logger.info({ templates: next.templates.length }, 'configuration reloaded');
      } catch (err) {
        logger.error(
          { err: (err as Error).message },
          'reload failed, keeping the running configuration',
        );
      }
    };
    const onStop = (signal: NodeJS.Signals): void => {
      // With -exec the child's exit code is ours: forward and let onExit finish.
      if (supervisor !== null && supervisor.pid !== undefined) void supervisor.stop(signal);
      else void finish(0);
    };
    process.on('SIGHUP', onHup);
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    renderer.start();
  });
}

/** Files and directories first (in flag order), then -template flags and flag overrides. */
function buildConfig(values: ReadonlyMap<string, FlagValue>): RenderFileConfig {
  const list = (name: string): string[] => (values.get(name) as string[] | undefined) ?? [];
  const config = loadRenderConfig([...list('config-file'), ...list('config-dir')]);
  config.templates.push(...list('template').map(parseTemplateFlag));
  const ids = new Set<string>();
  for (const template of config.templates) {
    if (ids.has(template.id)) throw new Error(`two templates write ${template.id}`);
    ids.add(template.id);
  }
  const wait = values.get('wait');
  if (typeof wait === 'string') config.wait = parseWait(wait, '-wait');
  const splay = values.get('splay');
  if (typeof splay === 'number') config.splayMs = splay;
  const exec = values.get('exec');
  if (typeof exec === 'string' && exec !== '')
    config.exec = execFromFlags(values, exec, config.exec);
  return config;
}

function execFromFlags(
  values: ReadonlyMap<string, FlagValue>,
  command: string,
  fromFile: ExecSpec | null,
): ExecSpec {
  const reload = values.get('exec-reload-signal');
  const kill = values.get('exec-kill-signal');
  const timeout = values.get('exec-kill-timeout');
  return {
    command,
    reloadSignal:
      typeof reload === 'string' && reload !== ''
        ? signalOf(reload, '-exec-reload-signal')
        : (fromFile?.reloadSignal ?? null),
    killSignal:
      typeof kill === 'string'
        ? signalOf(kill, '-exec-kill-signal')
        : (fromFile?.killSignal ?? 'SIGTERM'),
    killTimeoutMs: typeof timeout === 'number' ? timeout : (fromFile?.killTimeoutMs ?? 30_000),
  };
}

function endpointOf(
  values: ReadonlyMap<string, FlagValue>,
  config: RenderFileConfig,
  env: NodeJS.ProcessEnv = process.env,
): ConsulEndpoint {
  const address =
    (values.get('http-addr') as string | undefined) ??
    env.CONSUL_HTTP_ADDR ??
    config.address ??
    '127.0.0.1:8500';
  const tokenFile = (values.get('token-file') as string | undefined) ?? env.CONSUL_HTTP_TOKEN_FILE;
  const token =
    (values.get('token') as string | undefined) ??
    (tokenFile !== undefined && tokenFile !== ''
      ? readFileSync(tokenFile, 'utf8').trim()
      : undefined) ??
    env.CONSUL_HTTP_TOKEN ??
    config.token;
  const base = baseUrlFor(address, env.CONSUL_HTTP_SSL === 'true' || env.CONSUL_HTTP_SSL === '1');
  const endpoint: ConsulEndpoint = {
    address: base,
    token: token === undefined || token === null || token === '' ? null : token,
  };
  if (!base.startsWith('https:')) return endpoint;
  // An https agent: its CA and our client certificate, as every other command takes them.
  const client = new AgentHttpClient(base, null, null, false, clientTlsFrom(values, env));
  return { ...endpoint, fetch: (url, init) => client.fetch(url, init) };
}

/** Consul-style text log lines on stderr (stdout carries -dry output). */
function createRenderLogger(level: string): RenderLogger {
  return pino(
    { level, base: { module: 'render' } },
    { write: (line: string) => process.stderr.write(formatTextLine(line)) },
  );
}
