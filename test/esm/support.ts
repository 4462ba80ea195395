// Shared by the external-service monitor tests and bench/esm: HTTP targets whose answer can be
// flipped, an agent with esm {}, catalog registration of external services, worker processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import pino from 'pino';

import { loadAgentConfig, parseAgentArgs } from '../../src/config';
import { startServerAgent, type ServerAgent } from '../../src/server';

export const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

/** HTTP targets in a child process (targets-process.ts): /t/<n> answers 200, or 500 if failing. */
export class Targets {
  port = 0;
  private child: ChildProcess | null = null;
  private out = '';
  private acks = 0;

  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(__dirname, 'targets-process.js')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    await this.until(() => /^port (\d+)$/m.exec(this.out) !== null);
    this.port = Number((/^port (\d+)$/m.exec(this.out) as RegExpExecArray)[1]);
  }

  url(n: number): string {
    return `http://127.0.0.1:${this.port}/t/${n}`;
  }

  /** Makes targets `ns` answer 500 (added to those failing already). */
  fail(ns: readonly number[]): Promise<void> {
    return this.send(`fail ${ns.join(',')}`);
  }

  clear(): Promise<void> {
    return this.send('clear');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin?.end();
    await exited;
  }

  private async send(line: string): Promise<void> {
    const want = ++this.acks;
    this.child?.stdin?.write(`${line}\n`);
    await this.until(() => (this.out.match(/^ok /gm) ?? []).length >= want);
  }

  private async until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`targets process: no answer\n${this.out}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export async function esmAgent(hcl: string, logLevel = 'silent'): Promise<ServerAgent> {
  const args = [
    '-dev',
    '-http-port=0',
    '-dns-port=0',
    '-server-port=0',
    '-serf-lan-port=0',
    '-serf-wan-port=0',
    '-grpc-port=-1',
  ];
  const { config } = loadAgentConfig(parseAgentArgs([...args, '-hcl', hcl]));
  return startServerAgent(config, pino({ level: logLevel }));
}

export interface ExternalService {
  node: string;
  service: string;
  checkId: string;
  target: number;
}

/** Registers `count` external services, `perNode` per node, each with an HTTP check. */
export async function registerExternal(
  base: string,
  targets: Targets,
  count: number,
  perNode: number,
  interval: string,
  nodeMeta: Record<string, string> = { 'external-node': 'true' },
): Promise<ExternalService[]> {
  const services: ExternalService[] = [];
  for (let i = 0; i < count; i += 1) {
    const node = `ext-${Math.floor(i / perNode)}`;
    const service = `svc-${i}`;
    const checkId = `http-${i}`;
    const response = await fetch(`${base}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Node: node,
        Address: '127.0.0.1',
        NodeMeta: nodeMeta,
        Service: { ID: service, Service: service, Port: targets.port },
        Check: {
          CheckID: checkId,
          Name: `${service} http`,
          ServiceID: service,
          Status: 'critical',
          Definition: { HTTP: targets.url(i), Interval: interval, Timeout: '6s' },
        },
      }),
    });
    if (response.status !== 200) throw new Error(`register ${service}: ${await response.text()}`);
    services.push({ node, service, checkId, target: i });
  }
  return services;
}

/** Status of every check on external nodes, by CheckID. */
export async function checkStatuses(base: string): Promise<Map<string, string>> {
  const response = await fetch(`${base}/v1/health/state/any?node-meta=external-node:true`);
  const checks = (await response.json()) as { CheckID: string; Node: string; Status: string }[];
  return new Map(
    checks.map((c) => [
      c.CheckID === 'externalNodeHealth' ? `${c.Node}/node` : c.CheckID,
      c.Status,
    ]),
  );
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startWorker(
  agentAddress: string,
  redis: string,
  prefix: string,
  extra: string[] = [],
): WorkerProcess {
  const child = spawn(
    process.execPath,
    [MAIN, 'esm', `-http-addr=${agentAddress}`, `-redis=${redis}`, `-prefix=${prefix}`, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = once(child, 'exit');
  return {
    child,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Deletes every key under `prefix:` (a test's or a bench's own BullMQ prefix). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
