// Real agent processes for the client-agent and datacenter tests: servers with fast gossip and
// Raft timing, client agents with one service from a config file, and small HTTP helpers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { startAgent, type RunningAgent } from '../agent/spawn-agent';

export type { RunningAgent } from '../agent/spawn-agent';

export interface Cluster {
  server(octet: number, seeds: string[], extra?: string[]): Promise<RunningAgent>;
  client(octet: number, seeds: string[], service: string, extra?: string[]): Promise<RunningAgent>;
  /** Kills every agent (SIGCONT first for stopped ones) and removes their data. */
  stop(): Promise<void>;
}

const FAST_GOSSIP =
  'gossip_lan { probe_interval = "200ms" probe_timeout = "100ms" gossip_interval = "50ms" suspicion_mult = 2 }';

const COMMON = [
  '-http-port=0',
  '-serf-lan-port=0',
  '-serf-wan-port=0',
  '-grpc-port=-1',
  '-grpc-tls-port=-1',
  '-retry-interval=1s',
  '-hcl',
  FAST_GOSSIP,
];

export function cluster(name: string): Cluster {
  const root = mkdtempSync(join(tmpdir(), `${name}-`));
  const running: RunningAgent[] = [];
  return {
    async server(octet, seeds, extra = []) {
      const ip = `127.0.0.${octet}`;
      const agent = await startAgent(
        [
          '-server',
          `-node=s${octet}`,
          `-bind=${ip}`,
          `-client=${ip}`,
          `-data-dir=${join(root, `s${octet}`)}`,
          '-server-port=0',
          ...COMMON,
          ...seeds.flatMap((address) => ['-retry-join', address]),
          '-hcl',
          'performance { raft_multiplier = 1 }',
          '-hcl',
          'autopilot { server_stabilization_time = "1s" }',
          ...extra,
        ],
        60_000,
      );
      running.push(agent);
      return agent;
    },
    async client(octet, seeds, service, extra = []) {
      const ip = `127.0.0.${octet}`;
      const configDir = join(root, `c${octet}.d`);
      mkdirSync(configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'service.json'),
        JSON.stringify({
          service: { name: service, port: 8000 + octet, tags: ['v1'], check: { ttl: '10m' } },
        }),
      );
      const agent = await startAgent(
        [
          `-node=c${octet}`,
          `-bind=${ip}`,
          '-client=127.0.0.1',
          `-data-dir=${join(root, `c${octet}`)}`,
          `-config-dir=${configDir}`,
          '-dns-port=0',
          ...COMMON,
          ...seeds.flatMap((address) => ['-retry-join', address]),
          ...extra,
        ],
        60_000,
      );
      running.push(agent);
      return agent;
    },
    async stop() {
      for (const agent of running) {
        if (agent.child.exitCode === null && agent.child.signalCode === null) {
          agent.child.kill('SIGCONT');
        }
        await agent.stop('SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function lanAddress(agent: RunningAgent): string {
  const match = /Cluster Addr: (\S+) \(LAN: (\d+)/.exec(agent.output());
  assert.ok(match, agent.output());
  return `${match[1]}:${match[2]}`;
}

export function wanAddress(agent: RunningAgent): string {
  const match = /Cluster Addr: (\S+) \(LAN: \d+, WAN: (\d+)/.exec(agent.output());
  assert.ok(match, agent.output());
  return `${match[1]}:${match[2]}`;
}

export function dnsPort(agent: RunningAgent): number {
  const match = /DNS: (\d+)/.exec(agent.output());
  assert.ok(match, agent.output());
  return Number(match[1]);
}

/**
 * One request on a fresh connection: a kept-alive socket the agent closes at the moment it is
 * reused would fail the request, and these tests stop and kill agents on purpose.
 */
export function call(
  agent: RunningAgent,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${agent.baseUrl}${path}`,
      { method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined)
              headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: res.statusCode ?? 0, text, headers });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // A hung agent fails the test instead of holding the suite (blocking waits here are ≤ 60 s).
    req.setTimeout(90_000, () => req.destroy(new Error(`no answer to ${path} in 90 s`)));
    req.end(init.body);
  });
}

export async function json<T>(agent: RunningAgent, path: string): Promise<T> {
  const answer = await call(agent, path);
  assert.equal(answer.status, 200, `${path}: ${answer.text}`);
  return JSON.parse(answer.text) as T;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}
