// `consulate watch -type=<type> [options] [handler...]`: without a handler, prints the current
// result as indented JSON and exits; with one, runs it with the JSON on stdin (CONSUL_INDEX in
// its environment) on the first result and on every change, until interrupted. A failing
// handler ends the watch with exit 1, as `consul watch` does.
import { Consul } from '../../clients/typescript/src';
import { parseWatchSpec, runHandler, WatchPlan, WatchSpecError } from '../watches';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const HELP = `
Usage: consulate watch [options] [child...]

  Watches for changes in a given data view from Consul. If a child process
  is specified, it will be invoked with the latest results on changes. Otherwise,
  the latest values are dumped to stdout and the watch terminates.

  Providing the watch type is required, and other parameters may be required
  or supported depending on the watch type.`;

export async function runWatch(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      {
        name: 'type',
        kind: 'string',
        usage:
          'Specifies the watch type. One of key, keyprefix, services, nodes, service, checks, or event.',
      },
      { name: 'key', kind: 'string', usage: "Specifies the key to watch. Only for 'key' type." },
      {
        name: 'prefix',
        kind: 'string',
        usage: "Specifies the key prefix to watch. Only for 'keyprefix' type.",
      },
      {
        name: 'service',
        kind: 'string',
        usage:
          "Specifies the service to watch. Required for 'service' type, optional for 'checks' type.",
      },
      {
        name: 'tag',
        kind: 'list',
        usage:
          "Specifies the service tag(s) to filter on. Optional for 'service' type. May be specified multiple times.",
      },
      {
        name: 'passingonly',
        kind: 'bool',
        usage:
          "Specifies if only hosts passing all checks are displayed. Optional for 'service' type.",
      },
      {
        name: 'state',
        kind: 'string',
        usage: "Specifies the states to watch. Optional for 'checks' type.",
      },
      {
        name: 'name',
        kind: 'string',
        usage: "Specifies an event name to watch. Only for 'event' type.",
      },
      { name: 'shell', kind: 'bool', usage: 'Use a shell to run the command (default true).' },
    ],
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, args } = parsed;
  const type = (values.get('type') as string | undefined) ?? '';
  if (type === '') {
    error('Must specify watch type');
    return 1;
  }
  const raw: Record<string, unknown> = { type };
  for (const name of ['key', 'prefix', 'service', 'state', 'name']) {
    const value = values.get(name) as string | undefined;
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const tags = values.get('tag') as string[] | undefined;
  if (tags !== undefined) raw.tag = tags;
  if (values.get('passingonly') === true) raw.passingonly = true;
  const useShell = (values.get('shell') as boolean | undefined) ?? true;
  if (args.length > 0) {
    if (useShell) raw.handler = args.join(' ');
    else raw.args = args;
  }

  let spec;
  try {
    spec = parseWatchSpec(raw, '');
  } catch (err) {
    if (!(err instanceof WatchSpecError)) throw err;
    error(err.message);
    return 1;
  }
  const client = new Consul(AgentHttpClient.fromFlags(values).sdkOptions());
  try {
    await client.agent.self();
  } catch (err) {
    error(`Error querying Consul agent: ${(err as Error).message}`);
    client.close();
    return 1;
  }

  let exitCode = 0;
  const onlyOnce = spec.handler.kind === 'none';
  const plan = new WatchPlan(spec, client, {
    onResult: async (result) => {
      if (onlyOnce) {
        info(indented(result.data));
        plan.stop();
        return;
      }
      try {
        await runHandler(spec.handler, result, { sink: 'inherit' });
      } catch (err) {
        error(`Error executing handler: ${(err as Error).message}`);
        exitCode = 1;
        throw err;
      }
    },
    onError: (err, fatal) => {
      if (!fatal) return;
      error(`Error querying Consul agent: ${err.message}`);
      exitCode = 1;
    },
  });
  const stop = (): void => plan.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await plan.finished();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    client.close();
  }
  return exitCode;
}

// json.MarshalIndent(data, "", "    "), uint64 Flags (bigint) written exactly.
function indented(data: unknown): string {
  const mark = '\u0000uint64:';
  const text = JSON.stringify(
    data,
    (_key, value: unknown) => (typeof value === 'bigint' ? `${mark}${value}` : value),
    4,
  );
  return text.replace(/"\\u0000uint64:(\d+)"/g, '$1');
}
