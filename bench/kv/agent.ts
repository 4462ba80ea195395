// Starts the agent under test from a command template and waits until it serves KV writes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { connectionAgent, freePorts, httpRequest, ServerProcess, shellQuote } from '../lib';
import type { Target } from '../lib';

/**
 * The default way to start the agent. Placeholders: {node} {dataDir} {httpPort} {dnsPort}
 * {serverPort} {serfLanPort} {serfWanPort}. The connection limit is raised because Consul's
 * default (200 per client address) would refuse the fan-out's watchers, all from 127.0.0.1.
 */
export const DEFAULT_AGENT_COMMAND =
  '{node} dist/src/main.js agent -dev -data-dir {dataDir} -http-port {httpPort} ' +
  '-dns-port {dnsPort} -server-port {serverPort} -serf-lan-port {serfLanPort} ' +
  `-serf-wan-port {serfWanPort} -grpc-port -1 -grpc-tls-port -1 -hcl 'limits { http_max_conns_per_client = 65536 }'`;

const STARTUP_TIMEOUT_MS = 60_000;

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The commit the agent was built from, and whether src/ had uncommitted changes. */
export function agentRevision(): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    return dirty === 0 ? `commit ${commit}` : `commit ${commit} + ${dirty} uncommitted src/ files`;
  } catch {
    return 'unknown revision';
  }
}

export async function startAgent(
  commandTemplate: string,
  dataDir: string,
  logFile: string,
): Promise<{ server: ServerProcess; target: Target; command: string }> {
  const [httpPort, dnsPort, serverPort, serfLanPort, serfWanPort] = await freePorts(5);
  const values: Record<string, string> = {
    node: shellQuote(process.execPath),
    dataDir: shellQuote(dataDir),
    httpPort: String(httpPort),
    dnsPort: String(dnsPort),
    serverPort: String(serverPort),
    serfLanPort: String(serfLanPort),
    serfWanPort: String(serfWanPort),
  };
  const command = commandTemplate.replace(
    /\{(\w+)\}/g,
    (whole, name: string) => values[name] ?? whole,
  );
  const server = new ServerProcess({ name: 'consulate', command, cwd: repoRoot, logFile });
  const target: Target = { host: '127.0.0.1', port: httpPort };
  const agent = connectionAgent();
  try {
    await server.waitUntil(
      'serving KV writes',
      async () => {
        const leader = await httpRequest(agent, target, {
          method: 'GET',
          path: '/v1/status/leader',
        });
        if (leader.status !== 200 || leader.body.trim() === '""') return false;
        const put = await httpRequest(agent, target, {
          method: 'PUT',
          path: '/v1/kv/bench-ready',
          body: 'ok',
        });
        if (put.status !== 200)
          throw new Error(`PUT /v1/kv/bench-ready: ${put.status} ${put.body}`);
        return true;
      },
      STARTUP_TIMEOUT_MS,
    );
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    agent.destroy();
  }
  return { server, target, command };
}
