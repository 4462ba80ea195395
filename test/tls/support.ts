// Shared by the TLS tests: certificates made by `consulate tls` in a directory, free ports, and
// curl.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { MAIN } from '../agent/spawn-agent';

/** Runs `consulate tls <args>` in `dir`; throws with its output when it fails. */
export function consulateTls(dir: string, args: string[]): string {
  const result = spawnSync(process.execPath, [MAIN, 'tls', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new Error(`consulate tls ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

export interface Pki {
  dir: string;
  ca: string;
  serverCert(i: number): string;
  serverKey(i: number): string;
  clientCert: string;
  clientKey: string;
}

/** A CA (consul-agent-ca.pem), `servers` server certificates for dc1 and one client certificate. */
export function makePki(dir: string, servers: number): Pki {
  consulateTls(dir, ['ca', 'create']);
  for (let i = 0; i < servers; i += 1) consulateTls(dir, ['cert', 'create', '-server']);
  consulateTls(dir, ['cert', 'create', '-client']);
  return {
    dir,
    ca: join(dir, 'consul-agent-ca.pem'),
    serverCert: (i) => join(dir, `dc1-server-consul-${i}.pem`),
    serverKey: (i) => join(dir, `dc1-server-consul-${i}-key.pem`),
    clientCert: join(dir, 'dc1-client-consul-0.pem'),
    clientKey: join(dir, 'dc1-client-consul-0-key.pem'),
  };
}

/** A port nothing listens on right now (ports.https = 0 turns HTTPS off, as in Consul). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** curl's exit status, body and stderr for `url` with extra `args`. */
export function curl(
  url: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('curl', ['-sS', '--max-time', '20', ...args, url], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Waits until `output()` matches `pattern` (the agent prints its HTTPS line after the HTTP one). */
export async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
