// Real reverse proxies for the renderer's end-to-end tests: tiny HTTP backends, catalog
// registration with a check whose status we set, nginx/haproxy run as unprivileged children.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

import type { TestAgent } from './support';

export interface Backend {
  name: string;
  port: number;
  server: Server;
}

export async function startBackend(name: string): Promise<Backend> {
  const server = createServer((_req, res) => {
    res.setHeader('Connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name, port: (server.address() as AddressInfo).port, server };
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Registers (or re-registers) a backend as service `service` with one check in `status`. */
export async function registerBackend(
  agent: TestAgent,
  service: string,
  backend: Backend,
  status: 'passing' | 'warning' | 'critical',
  weight = 1,
): Promise<void> {
  const body = {
    Node: 'backends',
    Address: '127.0.0.1',
    Service: {
      ID: backend.name,
      Service: service,
      Port: backend.port,
      Tags: ['http'],
      Weights: { Passing: weight, Warning: 1 },
    },
    Check: {
      CheckID: `alive-${backend.name}`,
      Name: 'alive',
      Status: status,
      ServiceID: backend.name,
    },
  };
  const result = await agent.request('PUT', '/v1/catalog/register', { body: JSON.stringify(body) });
  if (result.status !== 200) throw new Error(`catalog register: ${result.status} ${result.text}`);
}

export function requireBinary(name: string, versionFlag: string): void {
  const result = spawnSync(name, [versionFlag], { stdio: 'ignore' });
  if (result.error !== undefined) {
    throw new Error(`${name} is not installed: apt-get install -y nginx-light haproxy`);
  }
}

/** As root, children run as nobody; the directory they write in must let them. */
export function unprivileged(dir: string): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  chmodSync(dir, 0o777);
  return { uid: 65534, gid: 65534 };
}

export interface ProxyProcess {
  child: ChildProcess;
  /** What it printed on stderr, and how it exited if it did. */
  report(): string;
}

export function spawnProxy(command: string, args: string[], dir: string): ProxyProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...unprivileged(dir) });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
  return {
    child,
    report: () =>
      `${command} exit=${child.exitCode ?? child.signalCode ?? 'running'} stderr: ${stderr}`,
  };
}

export async function stopProcess({ child }: ProxyProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export interface ProxyAnswer {
  status: number;
  body: string;
}

/** One GET on a fresh connection (no keep-alive pinning to an old worker). */
export function get(port: number, path: string): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The set of backend names answering `count` requests (non-200s recorded as "<status>"). */
export async function answers(port: number, path: string, count = 24): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    try {
      const answer = await get(port, path);
      seen.add(answer.status === 200 ? answer.body : String(answer.status));
    } catch (err) {
      seen.add((err as NodeJS.ErrnoException).code ?? 'error');
    }
  }
  return seen;
}

/** Polls `answers` until `accept` holds for a whole round. */
export async function eventuallyAnswers(
  port: number,
  path: string,
  accept: (seen: Set<string>) => boolean,
  what: string,
  diagnose: () => string = () => '',
  timeoutMs = 10_000,
): Promise<Set<string>> {
  const deadline = Date.now() + timeoutMs;
  let seen = new Set<string>();
  while (Date.now() < deadline) {
    seen = await answers(port, path);
    if (accept(seen)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `timed out waiting for ${what}; last answers: ${[...seen].join(', ')}\n${diagnose()}`,
  );
}
