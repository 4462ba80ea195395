// `consulate debug`: records what an operator attaches to a bug report — the agent's
// configuration and members, its metrics every -interval, and its log at debug level for
// -duration — into a directory, then a .tar.gz archive of it (Consul's `consul debug`).
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { streamTo } from './monitor';
import { error, info, parseCommandFlags } from './output';
import { VERSION } from './version';

const FLAGS: readonly FlagSpec[] = [
  ...HTTP_CLIENT_FLAGS,
  {
    name: 'duration',
    kind: 'duration',
    usage: 'How long to capture metrics and logs (default 2m).',
  },
  {
    name: 'interval',
    kind: 'duration',
    usage: 'How often to capture metrics within the duration (default 30s).',
  },
  {
    name: 'output',
    kind: 'string',
    usage:
      'Where to write the capture (default consulate-debug-<unix time> in the current directory).',
    placeholder: 'path',
  },
  {
    name: 'archive',
    kind: 'bool',
    usage: 'Write a .tar.gz archive of the capture (default true).',
  },
];

export async function runDebug(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FLAGS, 'Usage: consulate debug [options]');
  if (typeof parsed === 'number') return parsed;
  const durationMs = (parsed.values.get('duration') as number | undefined) ?? 120_000;
  const intervalMs = (parsed.values.get('interval') as number | undefined) ?? 30_000;
  if (intervalMs < 1000 || durationMs < intervalMs) {
    error('Error: -interval must be at least 1s and -duration at least one interval');
    return 1;
  }
  const archive = parsed.values.get('archive') !== false;
  const output = resolve(
    (parsed.values.get('output') as string | undefined) ??
      `consulate-debug-${Math.floor(Date.now() / 1000)}`,
  );
  if (existsSync(output) || existsSync(`${output}.tar.gz`)) {
    error(`Error: output path already exists: ${output}`);
    return 1;
  }
  const client = AgentHttpClient.fromFlags(parsed.values);
  try {
    mkdirSync(output, { recursive: true });
    await capture(client, output, durationMs, intervalMs);
  } catch (err) {
    error(`Error capturing: ${(err as Error).message}`);
    rmSync(output, { recursive: true, force: true });
    return 1;
  }
  if (!archive) {
    info(`Saved debug capture to ${output}`);
    return 0;
  }
  const tar = spawnSync('tar', [
    '-czf',
    `${output}.tar.gz`,
    '-C',
    dirname(output),
    basename(output),
  ]);
  if (tar.status !== 0) {
    error(
      `Error writing the archive: ${tar.stderr.toString().trim() || `tar exited ${tar.status}`}`,
    );
    return 1;
  }
  rmSync(output, { recursive: true, force: true });
  info(`Saved debug archive: ${output}.tar.gz`);
  return 0;
}

async function capture(
  client: AgentHttpClient,
  output: string,
  durationMs: number,
  intervalMs: number,
): Promise<void> {
  const json = async (path: string, query: Record<string, string> = {}): Promise<Buffer> =>
    (await client.expectOk('GET', path, { query })).body;
  writeFileSync(join(output, 'agent.json'), await json('/v1/agent/self'));
  writeFileSync(join(output, 'members.json'), await json('/v1/agent/members'));
  writeFileSync(
    join(output, 'index.json'),
    `${JSON.stringify(
      {
        Version: 2,
        AgentVersion: VERSION,
        Interval: `${intervalMs / 1000}s`,
        Duration: `${durationMs / 1000}s`,
        Targets: ['agent', 'members', 'metrics', 'logs'],
      },
      null,
      2,
    )}\n`,
  );

  // The log at debug level for the whole duration, beside the metrics captures.
  const log = createWriteStream(join(output, 'consulate.log'));
  const stop = new AbortController();
  const url = new URL('/v1/agent/monitor', client.baseUrl);
  url.searchParams.set('loglevel', 'debug');
  const logging = streamTo(url, client, stop.signal, (chunk) => log.write(chunk));

  const started = Date.now();
  for (let n = 0; ; n += 1) {
    writeFileSync(join(output, `metrics-${n}.json`), await json('/v1/agent/metrics'));
    const prometheus = await client.request('GET', '/v1/agent/metrics', {
      query: { format: 'prometheus' },
    });
    if (prometheus.status === 200)
      writeFileSync(join(output, `metrics-${n}.prom`), prometheus.body);
    const next = started + (n + 1) * intervalMs;
    if (next > started + durationMs) break;
    await sleep(Math.max(0, next - Date.now()));
  }
  await sleep(Math.max(0, started + durationMs - Date.now()));
  stop.abort();
  await logging;
  await new Promise<void>((done) => log.end(done));
}
