// A real Consulate agent as a child process on free ports, restartable on the same HTTP port
// (and, with a data dir, with its state), for the SDK's integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Consul, type ConsulOptions } from '../src';

/**
 * The compiled CLI entry point (this file runs from dist/clients/typescript/test/);
 * `CONSULATE_MAIN` may name another build.
 */
export const consulateMain =
  process.env.CONSULATE_MAIN ?? resolve(__dirname, '../../../src/main.js');

export interface AgentProcess {
  /** `127.0.0.1:<port>`, stable across restarts. */
  address: string;
  port: number;
  dataDir: string | undefined;
  client(options?: ConsulOptions): Consul;
  /** SIGTERM (SIGKILL after 5 s) and wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port (and data dir). */
  start(): Promise<void>;
  /** stop() and remove the data dir. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts an agent (`-dev`, in memory unless `persistent`). */
export async function startAgentProcess(
  options: { persistent?: boolean; args?: string[] } = {},
): Promise<AgentProcess> {
  const port = await freePort();
  const dataDir = options.persistent
    ? mkdtempSync(join(tmpdir(), 'consulate-sdk-test-'))
    : undefined;
  let child: ChildProcess | undefined;
  const clients: Consul[] = [];

  const start = async (): Promise<void> => {
    const args = [
      consulateMain,
      'agent',
      '-dev',
      '-http-port',
      String(port),
      '-dns-port',
      '-1',
      '-grpc-port',
      '-1',
      '-serf-lan-port',
      '0',
      '-serf-wan-port',
      '0',
      '-server-port',
      '0',
      '-log-level',
      'warn',
      ...(dataDir ? ['-data-dir', dataDir] : []),
      ...(options.args ?? []),
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((ready, fail) => {
      let output = '';
      // A child that did not come up is killed, so that a failed start cannot keep the run alive.
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        fail(new Error(`agent did not start:\n${output}`));
      }, 60_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('HTTP API listening on')) {
          clearTimeout(timer);
          ready();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`agent exited with ${code} before listening:\n${output}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    address: `127.0.0.1:${port}`,
    port,
    dataDir,
    client: (clientOptions) => {
      const client = new Consul({ address: `http://127.0.0.1:${port}`, ...clientOptions });
      clients.push(client);
      return client;
    },
    stop,
    start,
    destroy: async () => {
      for (const client of clients) client.close();
      await stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An agent and a client of it (the common set-up of a test file). */
export async function startAgentWithClient(): Promise<{ agent: AgentProcess; consul: Consul }> {
  const agent = await startAgentProcess();
  return { agent, consul: agent.client() };
}

/** Polls `condition` every 20 ms until it holds, or throws after `timeoutMs`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}
