// `consulate monitor`: streams the agent's log (/v1/agent/monitor) until interrupted or the agent
// goes away, as `consul monitor` does.
import type { FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, parseCommandFlags } from './output';

const FLAGS: readonly FlagSpec[] = [
  ...HTTP_CLIENT_FLAGS,
  {
    name: 'log-level',
    kind: 'string',
    usage: 'Log level of the lines to show: trace, debug, info, warn or error (default info).',
    placeholder: 'level',
  },
  { name: 'log-json', kind: 'bool', usage: 'Show the lines as JSON objects.' },
];

export async function runMonitor(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FLAGS, 'Usage: consulate monitor [options]');
  if (typeof parsed === 'number') return parsed;
  const client = AgentHttpClient.fromFlags(parsed.values);
  const url = new URL('/v1/agent/monitor', client.baseUrl);
  url.searchParams.set(
    'loglevel',
    (parsed.values.get('log-level') as string | undefined) ?? 'info',
  );
  if (parsed.values.get('log-json') === true) url.searchParams.set('logjson', '');
  const controller = new AbortController();
  const interrupted = (): void => controller.abort();
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await streamTo(url, client, controller.signal, (chunk) => process.stdout.write(chunk));
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** Copies the monitor stream to `write` until `signal` aborts (0) or the agent ends it (1). */
export async function streamTo(
  url: URL,
  client: AgentHttpClient,
  signal: AbortSignal,
  write: (chunk: Uint8Array) => void,
): Promise<number> {
  let response: Response;
  try {
    response = await client.fetch(url, { signal, headers: client.headers() });
  } catch (err) {
    if (signal.aborted) return 0;
    error(`Error starting monitor: ${(err as Error).message}`);
    return 1;
  }
  if (response.status !== 200 || response.body === null) {
    error(
      `Error starting monitor: Unexpected response code: ${response.status} (${(await response.text()).trim()})`,
    );
    return 1;
  }
  try {
    for await (const chunk of response.body) write(chunk as Uint8Array);
  } catch (err) {
    if (signal.aborted) return 0;
    error(`Monitor stream ended: ${(err as Error).message}`);
    return 1;
  }
  if (signal.aborted) return 0;
  error(
    'Remote side ended the monitor! This usually means that the remote side has exited or crashed.',
  );
  return 1;
}
