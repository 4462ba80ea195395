// `consulate esm`: an external-service monitor worker (Consul's consul-esm). It takes the check
// jobs the agents' `esm {}` schedule from BullMQ on Redis, runs them with the agent's runners and
// writes changes back through the agent's catalog API. Run as many as you like, anywhere.
import type { FlagSpec } from '../config';
import { startEsm } from '../esm';
import { RedisUnavailableError } from '../jobs';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { createAgentLogger } from './logger';
import { error, parseCommandFlags } from './output';

const FLAGS: readonly FlagSpec[] = [
  ...HTTP_CLIENT_FLAGS,
  {
    name: 'redis',
    kind: 'string',
    usage: 'Redis holding the job queue, redis://host:port/db (env CONSULATE_REDIS; required).',
    placeholder: 'url',
  },
  {
    name: 'prefix',
    kind: 'string',
    usage: 'BullMQ key prefix, as jobs.prefix (default consulate).',
  },
  { name: 'concurrency', kind: 'int', usage: 'Checks run at once (default 256).' },
  {
    name: 'coordinate',
    kind: 'bool',
    usage: "Also keep the jobs in step with the catalog (what an agent's esm {} does).",
  },
  {
    name: 'node-meta',
    kind: 'list',
    usage: 'key:value node meta marking external nodes (default external-node:true); repeatable.',
  },
  { name: 'node-probe-interval', kind: 'duration', usage: 'Node probe period (default 10s).' },
  { name: 'ping-type', kind: 'string', usage: 'Node probe: tcp or udp (default tcp).' },
  { name: 'ping-port', kind: 'int', usage: 'Port the node probe knocks on (default 7).' },
  { name: 'log-level', kind: 'string', usage: 'trace, debug, info, warn or error (default info).' },
];

export async function runEsm(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FLAGS, 'Usage: consulate esm [options]');
  if (typeof parsed === 'number') return parsed;
  const get = <T>(name: string): T | undefined => parsed.values.get(name) as T | undefined;
  const redis = get<string>('redis') ?? process.env.CONSULATE_REDIS;
  if (redis === undefined || redis === '') {
    error('Error: -redis (or CONSULATE_REDIS) is required: redis://host:port/db');
    return 1;
  }
  const pingType = get<string>('ping-type') ?? 'tcp';
  if (pingType !== 'tcp' && pingType !== 'udp') {
    error(`Error: -ping-type must be tcp or udp, not "${pingType}"`);
    return 1;
  }
  const meta: Record<string, string> = {};
  for (const pair of get<string[]>('node-meta') ?? ['external-node:true']) {
    const at = pair.indexOf(':');
    meta[at === -1 ? pair : pair.slice(0, at)] = at === -1 ? '' : pair.slice(at + 1);
  }
  const level = (get<string>('log-level') ?? 'info') as 'info';
  const logger = createAgentLogger({ logLevel: level, logJson: false, logFile: null }).child({
    module: 'esm',
  });
  const client = AgentHttpClient.fromFlags(parsed.values);
  let esm;
  try {
    esm = await startEsm({
      agentUrl: client.baseUrl,
      token: client.headers()['X-Consul-Token'] ?? null,
      redis,
      prefix: get<string>('prefix') ?? 'consulate',
      externalNodeMeta: meta,
      probe: {
        intervalMs: get<number>('node-probe-interval') ?? 10_000,
        timeoutMs: 2000,
        pingType,
        port: get<number>('ping-port') ?? 7,
      },
      retryMs: 1000,
      coordinate: get<boolean>('coordinate') === true,
      concurrency: get<number>('concurrency') ?? 256,
      logger,
    });
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      error(`Error starting esm: ${err.message}`);
      return 1;
    }
    throw err;
  }
  logger.info({ agent: client.baseUrl, redis }, 'esm worker running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('esm worker stopping');
  await esm.stop();
  return 0;
}
