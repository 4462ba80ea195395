// Test harness: runs `node dist/src/main.js agent …` as a child process on ephemeral ports and
// waits for its `HTTP API listening on` line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

/** Every listener on port 0, so that agents never collide with each other or with a real Consul. */
export const EPHEMERAL_PORTS = [
  '-http-port=0',
  '-dns-port=0',
  '-server-port=0',
  '-serf-lan-port=0',
  '-serf-wan-port=0',
  '-grpc-port=-1',
  '-grpc-tls-port=-1',
];

export interface RunningAgent {
  child: ChildProcess;
  /** host:port of the HTTP API. */
  address: string;
  baseUrl: string;
  output(): string;
  errors(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `consulate agent` from the build (or from `executable`, an installed `consulate`). */
export async function startAgent(
  args: string[],
  timeoutMs = 15_000,
  executable?: string,
): Promise<RunningAgent> {
  const [command, prefix] =
    executable === undefined ? [process.execPath, [MAIN]] : [executable, [] as string[]];
  const child = spawn(command, [...prefix, 'agent', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`agent did not start in ${timeoutMs}ms\nstdout:\n${stdout}\nstderr:\n${stderr}`),
      );
    }, timeoutMs);
    const onData = (): void => {
      const match = /HTTP API listening on (\S+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    child.stdout.on('data', onData);
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  return {
    child,
    address,
    baseUrl: `http://${address}`,
    output: () => stdout,
    errors: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

/** Runs `consulate <args>` to completion (the agent must already be up). */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    input: options.input ?? '',
    env: { ...process.env, CONSUL_HTTP_ADDR: '', CONSUL_HTTP_TOKEN: '', ...options.env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
