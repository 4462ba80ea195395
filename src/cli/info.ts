// `consulate info`: /v1/agent/self Stats as `section:` then `\tkey = value`, both sorted.
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

export async function runInfo(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, HTTP_CLIENT_FLAGS, 'Usage: consulate info [options]');
  if (typeof parsed === 'number') return parsed;
  let stats: Record<string, Record<string, unknown>>;
  try {
    const client = AgentHttpClient.fromFlags(parsed.values);
    const response = await client.expectOk('GET', '/v1/agent/self');
    const self = JSON.parse(response.body.toString('utf8')) as { Stats?: typeof stats };
    stats = self.Stats ?? {};
  } catch (err) {
    error(`Error querying agent: ${(err as Error).message}`);
    return 1;
  }
  for (const section of Object.keys(stats).sort()) {
    info(`${section}:`);
    const entries = stats[section] ?? {};
    for (const key of Object.keys(entries).sort()) info(`\t${key} = ${String(entries[key])}`);
  }
  return 0;
}
