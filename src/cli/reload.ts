// `consulate reload`: asks the local agent to re-read its configuration files.
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

export async function runReload(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, HTTP_CLIENT_FLAGS, 'Usage: consulate reload [options]');
  if (typeof parsed === 'number') return parsed;
  try {
    await AgentHttpClient.fromFlags(parsed.values).expectOk('PUT', '/v1/agent/reload');
  } catch (err) {
    error(`Error reloading: ${(err as Error).message}`);
    return 1;
  }
  info('Configuration reload triggered');
  return 0;
}
