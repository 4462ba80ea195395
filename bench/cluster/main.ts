// A 3-server Consulate cluster beside a 3-member etcd 3.4 cluster on the same machine, each
// server in its own network namespace (test/cluster-faults/netlab.ts), driven by the same
// closed-loop HTTP load generator: durable PUTs at 16 and 64 clients spread over every server,
// stale GETs (Consul `?stale`, etcd serializable ranges) spread the same way, and failover:
// kill -9 of the leader → the first write sent after the kill that is acknowledged, repeated.
// Timing is alike on both: Consulate raft_multiplier 1 (election timeout 1 s, heartbeats every
// 100 ms), etcd --election-timeout=1000 --heartbeat-interval=100 (its defaults).
// Usage: npm run bench:cluster -- [--seconds 5] [--repeats 10] [--only consulate,etcd]
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import { ConsulateCluster } from '../../test/cluster-faults/consulate';
import { EtcdCluster } from '../../test/cluster-faults/etcd';
import { NetLab } from '../../test/cluster-faults/netlab';
import type { FaultableCluster } from '../../test/cluster-faults/target';
import { fmt, LatencyHistogram, markdownTable, quantileOf } from '../lib';

interface Request {
  host: string;
  port: number;
  method: string;
  path: string;
  body?: string;
}

/** How one system spells the requests the bench sends. */
interface System {
  name: string;
  cluster: FaultableCluster;
  host(server: number): string;
  put(server: number, key: string, value: string): Request;
  staleGet(server: number, key: string): Request;
}

interface LoadResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Non-200 answers by status (0: network error or timeout). */
  statuses: Map<number, number>;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function log(message: string): void {
  process.stderr.write(`[bench:cluster ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const VALUE = 'v'.repeat(100);
const KEYS = 1000;

function consulateSystem(cluster: ConsulateCluster): System {
  const host = (server: number): string => cluster.members[server].ip;
  return {
    name: 'Consulate',
    cluster,
    host,
    put: (server, key, value) => ({
      host: host(server),
      port: 8500,
      method: 'PUT',
      path: `/v1/kv/bench/${key}`,
      body: value,
    }),
    staleGet: (server, key) => ({
      host: host(server),
      port: 8500,
      method: 'GET',
      path: `/v1/kv/bench/${key}?stale`,
    }),
  };
}

function etcdSystem(cluster: EtcdCluster, lab: NetLab): System {
  const host = (server: number): string => lab.hosts[server].ip;
  return {
    name: 'etcd',
    cluster,
    host,
    put: (server, key, value) => ({
      host: host(server),
      port: 2379,
      method: 'POST',
      path: '/v3/kv/put',
      body: JSON.stringify({ key: b64(`bench/${key}`), value: b64(value) }),
    }),
    staleGet: (server, key) => ({
      host: host(server),
      port: 2379,
      method: 'POST',
      path: '/v3/kv/range',
      body: JSON.stringify({ key: b64(`bench/${key}`), serializable: true }),
    }),
  };
}

/** Sends one request on `agent`; resolves with the status (0 on a network error). */
function send(agent: http.Agent, req: Request, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const r = http.request(
      {
        agent,
        host: req.host,
        port: req.port,
        method: req.method,
        path: req.path,
        timeout: timeoutMs,
        headers: req.body === undefined ? {} : { 'content-length': Buffer.byteLength(req.body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', () => resolve(0));
    r.end(req.body);
  });
}

/** `clients` closed loops, client i on server i % 3, each over its own kept-alive connection. */
async function closedLoop(
  system: System,
  clients: number,
  make: (server: number, key: string) => Request,
  seconds: number,
): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  let ops = 0;
  let errors = 0;
  const statuses = new Map<number, number>();
  const warmupMs = 1000;
  const start = performance.now();
  const windowStart = start + warmupMs;
  const end = windowStart + seconds * 1000;
  const loops = Array.from({ length: clients }, async (_, client) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const server = client % system.cluster.size;
    let n = client * 7919;
    for (;;) {
      const sent = performance.now();
      if (sent >= end) break;
      const key = `k${(n = (n * 1103515245 + 12345) % 2147483648) % KEYS}`;
      const status = await send(agent, make(server, key), 10_000);
      const done = performance.now();
      if (sent < windowStart) continue;
      // A GET of a key the population did not reach is answered too (Consul 404, etcd 200).
      if (status === 200 || (status === 404 && make(server, key).method === 'GET')) {
        ops++;
        histogram.record(done - sent);
      } else {
        errors++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    agent.destroy();
  });
  await Promise.all(loops);
  return {
    opsPerSec: ops / seconds,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    errors,
    statuses,
  };
}

/**
 * kill -9 of the leader while 4 writers per surviving server send PUTs (1 s timeout); the
 * failover time is from the kill to the first acknowledged write sent after it.
 */
async function failoverOnce(system: System): Promise<number> {
  const { cluster } = system;
  const leader = await cluster.leader();
  const survivors = [...Array(cluster.size).keys()].filter((i) => i !== leader);
  let firstAck = Infinity;
  let killedAt = Infinity;
  let stop = false;
  const writers = survivors.flatMap((server) =>
    Array.from({ length: 4 }, async (_, w) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let n = 0;
      while (!stop) {
        const sent = performance.now();
        const status = await send(agent, system.put(server, `failover${w}`, `${n++}`), 1000);
        if (status === 200 && sent >= killedAt) {
          firstAck = Math.min(firstAck, performance.now());
          stop = true;
        }
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      agent.destroy();
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  killedAt = performance.now();
  await cluster.kill(leader);
  const timeout = setTimeout(() => (stop = true), 30_000);
  await Promise.all(writers);
  clearTimeout(timeout);
  await cluster.restart(leader);
  await cluster.leader();
  return firstAck - killedAt;
}

interface Measured {
  put16: LoadResult;
  put64: LoadResult;
  stale64: LoadResult;
  failoverMs: number[];
}

async function measure(system: System, seconds: number, repeats: number): Promise<Measured> {
  log(`${system.name}: populating ${KEYS} keys`);
  await closedLoop(system, 16, (s, k) => system.put(s, k, VALUE), 2);
  log(`${system.name}: PUT, 16 clients`);
  const put16 = await closedLoop(system, 16, (s, k) => system.put(s, k, VALUE), seconds);
  log(`${system.name}: PUT, 64 clients`);
  const put64 = await closedLoop(system, 64, (s, k) => system.put(s, k, VALUE), seconds);
  log(`${system.name}: stale GET, 64 clients`);
  const stale64 = await closedLoop(system, 64, (s, k) => system.staleGet(s, k), seconds);
  const failoverMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    failoverMs.push(await failoverOnce(system));
    log(`${system.name}: failover ${i + 1}/${repeats}: ${failoverMs[i].toFixed(0)} ms`);
  }
  return { put16, put64, stale64, failoverMs };
}

async function withConsulate<T>(run: (system: System) => Promise<T>): Promise<T> {
  const lab = await NetLab.create(3);
  const cluster = new ConsulateCluster(lab, {
    formation: 'seeded',
    raftMultiplier: 1,
    logLevel: 'warn',
  });
  try {
    await cluster.start();
    return await run(consulateSystem(cluster));
  } finally {
    await cluster.stop();
    await lab.destroy();
  }
}

async function withEtcd<T>(run: (system: System) => Promise<T>): Promise<T> {
  const lab = await NetLab.create(3);
  const cluster = new EtcdCluster(lab);
  try {
    await cluster.start();
    return await run(etcdSystem(cluster, lab));
  } finally {
    await cluster.stop();
    await lab.destroy();
  }
}

function ratio(ours: number, theirs: number, higherIsBetter: boolean): string {
  if (!(ours > 0) || !(theirs > 0)) return '–';
  return `${fmt(higherIsBetter ? ours / theirs : theirs / ours, 2)}×`;
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '5'));
  const repeats = Number(option('repeats', '10'));
  const only = option('only', 'consulate,etcd').split(',');
  const loadBefore = os.loadavg()[0];
  const results = new Map<string, Measured>();
  if (only.includes('etcd'))
    results.set('etcd', await withEtcd((s) => measure(s, seconds, repeats)));
  if (only.includes('consulate')) {
    results.set('consulate', await withConsulate((s) => measure(s, seconds, repeats)));
  }
  const etcd = results.get('etcd');
  const ours = results.get('consulate');
  const cell = (m: Measured | undefined, pick: (m: Measured) => number, digits = 0): string =>
    m === undefined ? '–' : fmt(pick(m), digits);
  const row = (
    what: string,
    pick: (m: Measured) => number,
    higherIsBetter: boolean,
    digits = 0,
  ): string[] => [
    what,
    cell(etcd, pick, digits),
    cell(ours, pick, digits),
    etcd && ours ? ratio(pick(ours), pick(etcd), higherIsBetter) : '–',
  ];
  const p = (q: number) => (m: Measured) =>
    quantileOf(
      [...m.failoverMs].sort((a, b) => a - b),
      q,
    );
  const errors = (m: Measured | undefined): string => {
    if (m === undefined) return '–';
    const byStatus = new Map<number, number>();
    for (const cell of [m.put16, m.put64, m.stale64]) {
      for (const [status, n] of cell.statuses)
        byStatus.set(status, (byStatus.get(status) ?? 0) + n);
    }
    const detail = [...byStatus].map(([status, n]) => `${n}× ${status || 'network error'}`);
    return detail.length === 0 ? '0' : detail.join(', ');
  };
  console.log(
    `\n### Cluster: 3 servers each, ${seconds} s per cell, failover over ${repeats} kills\n`,
  );
  console.log(
    markdownTable(
      ['measure', 'etcd 3.4 (3 members)', 'Consulate (3 servers)', 'Consulate vs etcd'],
      [
        row('durable PUT ops/s, 16 clients', (m) => m.put16.opsPerSec, true),
        row('  PUT p50 ms, 16 clients', (m) => m.put16.p50Ms, false, 1),
        row('  PUT p99 ms, 16 clients', (m) => m.put16.p99Ms, false, 1),
        row('durable PUT ops/s, 64 clients', (m) => m.put64.opsPerSec, true),
        row('  PUT p99 ms, 64 clients', (m) => m.put64.p99Ms, false, 1),
        row('stale GET ops/s, 64 clients (etcd: serializable)', (m) => m.stale64.opsPerSec, true),
        row('  stale GET p99 ms, 64 clients', (m) => m.stale64.p99Ms, false, 1),
        row('failover p50 ms (kill -9 leader → first ack)', p(0.5), false),
        row('failover p99 ms', p(0.99), false),
        row('failover max ms', (m) => Math.max(...m.failoverMs), false),
      ],
    ),
  );
  console.log(
    `\nratio > 1: Consulate better. Non-200 answers during load: etcd ${errors(etcd)}, ` +
      `Consulate ${errors(ours)}. Clients spread over the three servers (client i → server i mod 3); ` +
      `a Consulate follower forwards writes to the leader, an etcd member does the same. ` +
      `Machine: ${os.cpus().length} cores, load average ${loadBefore.toFixed(1)} at the start ` +
      `and ${os.loadavg()[0].toFixed(1)} at the end (other work shares it).`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
