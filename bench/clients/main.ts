// bench/clients: the cost of a client agent. One cluster of three servers and three client
// agents (real processes on 127.0.0.9x); in the same run, the same workload against a server
// directly and through client agents:
// - KV GETs at 64 concurrent kept-alive connections (closed loop): ops/s, p50, p99;
// - blocking fan-out: 1,000 watchers of one key (on one server, or spread over the three
//   clients), one write, the time from the write to each watcher's answer.
// Usage: npm run bench:clients -- [--runs 3] [--seconds 5]
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { startAgent, type RunningAgent } from '../../test/agent/spawn-agent';
import { fmt, LatencyHistogram, markdownTable, median, quantileOf } from '../lib';

const KEYS = 1000;
const CONCURRENCY = 64;
const WATCHERS = 1000;
const VALUE = 'v'.repeat(100);

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function log(message: string): void {
  process.stderr.write(`[bench:clients ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const COMMON = [
  '-http-port=0',
  '-dns-port=-1',
  '-serf-lan-port=0',
  '-serf-wan-port=0',
  '-grpc-port=-1',
  '-grpc-tls-port=-1',
  '-log-level=warn',
  '-retry-interval=1s',
  // Every watcher comes from this one address: Consul's default of 200 per client would refuse
  // most of them (429), here as in Consul.
  '-hcl',
  'limits { http_max_conns_per_client = 4000 }',
];

function lanAddress(agent: RunningAgent): string {
  const match = /Cluster Addr: (\S+) \(LAN: (\d+)/.exec(agent.output());
  if (match === null) throw new Error(`no cluster address in:\n${agent.output()}`);
  return `${match[1]}:${match[2]}`;
}

interface Target {
  host: string;
  port: number;
}

const targetOf = (agent: RunningAgent): Target => {
  const [host, port] = agent.address.split(':');
  return { host, port: Number(port) };
};

function send(
  agent: http.Agent,
  target: Target,
  method: string,
  path: string,
  body?: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ ...target, method, path, agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface LoadResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** `CONCURRENCY` closed loops of GET /v1/kv/<key> on `target`, each on its own connection. */
async function closedLoop(target: Target, seconds: number): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  let ops = 0;
  let errors = 0;
  const windowStart = performance.now() + 1000;
  const end = windowStart + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let n = client * 7919 + 1;
      for (;;) {
        const sent = performance.now();
        if (sent >= end) break;
        n = (n * 1103515245 + 12345) % 2147483648;
        const status = await send(agent, target, 'GET', `/v1/kv/bench/k${n % KEYS}`);
        const done = performance.now();
        if (sent < windowStart) continue;
        if (status === 200) {
          ops++;
          histogram.record(done - sent);
        } else errors++;
      }
      agent.destroy();
    }),
  );
  return {
    opsPerSec: ops / seconds,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    errors,
  };
}

interface FanoutResult {
  lastMs: number;
  p50Ms: number;
  p99Ms: number;
  missing: number;
}

/**
 * `WATCHERS` blocking GETs of one key spread over `targets` (one raw connection each), then one
 * write through `writer`; the arrival of each answer is timed from the moment the write is sent.
 */
async function fanout(targets: Target[], writer: Target, round: number): Promise<FanoutResult> {
  const key = `bench/fan${round}`;
  const setup = new http.Agent({ keepAlive: false });
  await send(setup, writer, 'PUT', `/v1/kv/${key}`, 'before');
  const index = await new Promise<string>((resolve, reject) => {
    http
      .get({ ...writer, path: `/v1/kv/${key}`, agent: setup }, (res) => {
        res.resume();
        resolve(String(res.headers['x-consul-index']));
      })
      .on('error', reject);
  });
  const arrivals: (number | null)[] = new Array<number | null>(WATCHERS).fill(null);
  let firedAt = Number.POSITIVE_INFINITY;
  const sockets: net.Socket[] = [];
  const early: string[] = [];
  let connected = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < WATCHERS; i++) {
      const target = targets[i % targets.length];
      const socket = net.connect(target.port, target.host, () => {
        socket.write(
          `GET /v1/kv/${key}?index=${index}&wait=120s HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`,
        );
        if (++connected === WATCHERS) resolve();
      });
      socket.once('data', (chunk: Buffer) => {
        if (firedAt === Number.POSITIVE_INFINITY) {
          early.push(chunk.toString('latin1').split('\r\n')[0]);
          return;
        }
        if (arrivals[i] === null) arrivals[i] = performance.now() - firedAt;
      });
      socket.on('error', reject);
      sockets.push(socket);
    }
  });
  // Every query reaches the server that holds it (through a client it is one more hop).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  firedAt = performance.now();
  await send(setup, writer, 'PUT', `/v1/kv/${key}`, 'after');
  const deadline = Date.now() + 30_000;
  while (arrivals.some((a) => a === null) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const socket of sockets) socket.destroy();
  if (early.length > 0) log(`${early.length} watchers answered before the write: ${early[0]}`);
  const seen = arrivals.filter((a): a is number => a !== null).sort((a, b) => a - b);
  return {
    lastMs: seen.length === 0 ? Number.NaN : seen[seen.length - 1],
    p50Ms: quantileOf(seen, 0.5),
    p99Ms: quantileOf(seen, 0.99),
    missing: WATCHERS - seen.length,
  };
}

async function main(): Promise<void> {
  const runs = Number(option('runs', '3'));
  const seconds = Number(option('seconds', '5'));
  const root = mkdtempSync(join(os.tmpdir(), 'bench-clients-'));
  const agents: RunningAgent[] = [];
  const start = async (args: string[]): Promise<RunningAgent> => {
    const agent = await startAgent([...args, ...COMMON], 60_000);
    agents.push(agent);
    return agent;
  };
  try {
    const servers: RunningAgent[] = [];
    for (const i of [1, 2, 3]) {
      const seed = servers.length === 0 ? [] : ['-retry-join', lanAddress(servers[0])];
      servers.push(
        await start([
          '-server',
          '-bootstrap-expect=3',
          `-node=s${i}`,
          `-bind=127.0.0.9${i}`,
          `-client=127.0.0.9${i}`,
          `-data-dir=${join(root, `s${i}`)}`,
          '-server-port=0',
          ...seed,
        ]),
      );
    }
    const clients: RunningAgent[] = [];
    for (const i of [4, 5, 6]) {
      clients.push(
        await start([
          `-node=c${i}`,
          `-bind=127.0.0.9${i}`,
          `-client=127.0.0.9${i}`,
          `-data-dir=${join(root, `c${i}`)}`,
          '-retry-join',
          lanAddress(servers[0]),
        ]),
      );
    }
    const direct = targetOf(servers[0]);
    const viaClients = clients.map(targetOf);
    const probe = new http.Agent({ keepAlive: false });
    for (const target of [direct, ...viaClients]) {
      await waitFor(
        'a leader',
        async () => (await send(probe, target, 'GET', '/v1/kv/none')) === 404,
      );
    }
    log(`cluster up; writing ${KEYS} keys`);
    for (let k = 0; k < KEYS; k++) {
      await send(probe, direct, 'PUT', `/v1/kv/bench/k${k}`, VALUE);
    }
    const rows: {
      direct: LoadResult;
      client: LoadResult;
      fanDirect: FanoutResult;
      fanClients: FanoutResult;
    }[] = [];
    for (let run = 1; run <= runs; run++) {
      log(`run ${run}/${runs}: GET direct`);
      const d = await closedLoop(direct, seconds);
      log(`run ${run}/${runs}: GET through a client`);
      const c = await closedLoop(viaClients[0], seconds);
      log(`run ${run}/${runs}: fan-out on one server`);
      const fd = await fanout([direct], direct, run * 2);
      log(`run ${run}/${runs}: fan-out over three clients`);
      const fc = await fanout(viaClients, direct, run * 2 + 1);
      rows.push({ direct: d, client: c, fanDirect: fd, fanClients: fc });
    }
    const m = (pick: (row: (typeof rows)[number]) => number): number => median(rows.map(pick));
    const table = markdownTable(
      ['measure', 'direct to a server', 'through client agents', 'ratio (client / direct)'],
      [
        [
          `KV GET ops/s (${CONCURRENCY} connections)`,
          fmt(
            m((r) => r.direct.opsPerSec),
            0,
          ),
          fmt(
            m((r) => r.client.opsPerSec),
            0,
          ),
          fmt(m((r) => r.client.opsPerSec) / m((r) => r.direct.opsPerSec), 2),
        ],
        [
          'KV GET p50 (ms)',
          fmt(
            m((r) => r.direct.p50Ms),
            2,
          ),
          fmt(
            m((r) => r.client.p50Ms),
            2,
          ),
          fmt(m((r) => r.client.p50Ms) / m((r) => r.direct.p50Ms), 2),
        ],
        [
          'KV GET p99 (ms) — goal ratio ≤ 1.5',
          fmt(
            m((r) => r.direct.p99Ms),
            2,
          ),
          fmt(
            m((r) => r.client.p99Ms),
            2,
          ),
          fmt(m((r) => r.client.p99Ms) / m((r) => r.direct.p99Ms), 2),
        ],
        [
          `fan-out ${WATCHERS} watchers: write → last notified (ms) — goal ratio ≤ 1`,
          fmt(
            m((r) => r.fanDirect.lastMs),
            1,
          ),
          fmt(
            m((r) => r.fanClients.lastMs),
            1,
          ),
          fmt(m((r) => r.fanClients.lastMs) / m((r) => r.fanDirect.lastMs), 2),
        ],
        [
          'fan-out p50 / p99 arrival (ms)',
          `${fmt(
            m((r) => r.fanDirect.p50Ms),
            1,
          )} / ${fmt(
            m((r) => r.fanDirect.p99Ms),
            1,
          )}`,
          `${fmt(
            m((r) => r.fanClients.p50Ms),
            1,
          )} / ${fmt(
            m((r) => r.fanClients.p99Ms),
            1,
          )}`,
          '',
        ],
      ],
    );
    const errors = rows.reduce((sum, r) => sum + r.direct.errors + r.client.errors, 0);
    const missing = rows.reduce((sum, r) => sum + r.fanDirect.missing + r.fanClients.missing, 0);
    process.stdout.write(
      `\n## bench:clients — medians of ${runs} runs, ${seconds} s per GET cell\n\n${table}\n\n` +
        `3 servers + 3 client agents on 127.0.0.9x, load generator in the bench process; ` +
        `${os.cpus().length} cores, load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}; ` +
        `GET errors ${errors}, watchers never notified ${missing}.\n`,
    );
  } finally {
    for (const agent of agents) await agent.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:clients failed: ${String(error)}\n`);
  process.exit(1);
});
