// Raft over TCP: replicated proposals/s and commit latency of a 3-server Consulate cluster
// (three processes, SQLite storage fsynced per batch, TcpTransport on 127.0.1.x) at 1, 16 and
// 64 outstanding proposals, measured two ways: inside the leader (propose → applied) and from a
// client through the RPC pool (call → leader → applied → reply). Next to it, on the same
// machine, puts to a 3-member etcd cluster through its JSON gateway at the same concurrency.
// Usage: npm run bench:raft-net -- [--seconds 5] [--padding 256] [--only consulate,etcd]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { raftTiming } from '../../src/raft';
import { Load, Propose } from '../../test/cluster-net/methods';
import { ProcessCluster } from '../../test/cluster-net/processes';
import { fmt, killAllServers, LatencyHistogram, LoadGenerator, markdownTable } from '../lib';
import { startEtcdCluster } from './etcd-cluster';

const CONCURRENCY = [1, 16, 64];

interface Row {
  system: string;
  concurrency: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function log(message: string): void {
  process.stderr.write(`[bench:raft-net ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function summarize(latenciesMs: number[], elapsedMs: number): Omit<Row, 'system' | 'concurrency'> {
  const histogram = new LatencyHistogram();
  for (const ms of latenciesMs) histogram.record(ms);
  return {
    opsPerSec: (latenciesMs.length * 1000) / elapsedMs,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
  };
}

async function benchConsulate(seconds: number, padding: number, rows: Row[]): Promise<void> {
  const timing = raftTiming(1);
  const cluster = new ProcessCluster({
    size: 3,
    hostPrefix: '127.0.1.',
    tickMs: timing.tickMs,
    electionTicks: timing.electionTicks,
  });
  try {
    await cluster.start();
    const leader = cluster.address(await cluster.leader());
    log(`consulate: 3 servers up, leader ${leader}`);
    for (const concurrency of CONCURRENCY) {
      await cluster.pool.call(leader, Load, { concurrency, durationMs: 1000, padding }); // warm-up
      const inLeader = await cluster.pool.call(
        leader,
        Load,
        { concurrency, durationMs: seconds * 1000, padding },
        { timeoutMs: seconds * 1000 + 60_000 },
      );
      const row = {
        system: 'Consulate, proposals inside the leader',
        concurrency,
        ...summarize(
          inLeader.latenciesUs.map((us) => us / 1000),
          inLeader.elapsedMs,
        ),
      };
      rows.push(row);
      log(
        `${row.system} @${concurrency}: ${fmt(row.opsPerSec, 0)}/s p50 ${fmt(row.p50Ms, 2)} p99 ${fmt(row.p99Ms, 2)} ms`,
      );

      const latencies: number[] = [];
      const started = performance.now();
      const until = started + seconds * 1000;
      let n = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const t0 = performance.now();
            await cluster.pool.call(leader, Propose, { n: n++, padding });
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const viaRpc = {
        system: 'Consulate, client → leader over RPC',
        concurrency,
        ...summarize(latencies, performance.now() - started),
      };
      rows.push(viaRpc);
      log(
        `${viaRpc.system} @${concurrency}: ${fmt(viaRpc.opsPerSec, 0)}/s p50 ${fmt(viaRpc.p50Ms, 2)} p99 ${fmt(viaRpc.p99Ms, 2)} ms`,
      );
    }
  } finally {
    await cluster.stop();
  }
}

async function benchEtcd(
  seconds: number,
  padding: number,
  rows: Row[],
  workDir: string,
): Promise<string> {
  const etcd = await startEtcdCluster(path.join(workDir, 'etcd'));
  const loadgen = LoadGenerator.start(1, 65536);
  try {
    log(`etcd ${etcd.version}: 3 members up`);
    const pids = etcd.members.flatMap((m) => m.pids());
    for (const concurrency of CONCURRENCY) {
      const result = await loadgen.closedLoop(
        {
          target: etcd.targets[0],
          request: {
            method: 'POST',
            path: '/v3/kv/put',
            body: '{"key":"{keyB64}","value":"{valueB64}"}',
            headers: { 'content-type': 'application/json' },
          },
          keys: { prefix: 'bench/k', count: 10_000, valueBytes: padding },
          order: 'random',
          warmupMs: 1000,
          durationMs: seconds * 1000,
        },
        concurrency,
        pids,
      );
      if (result.errors > 0) log(`etcd errors: ${result.errorSamples.slice(0, 3).join('; ')}`);
      const row = {
        system: `etcd ${etcd.version}, put via JSON gateway (HTTP)`,
        concurrency,
        opsPerSec: result.opsPerSec,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
      };
      rows.push(row);
      log(
        `${row.system} @${concurrency}: ${fmt(row.opsPerSec, 0)}/s p50 ${fmt(row.p50Ms, 2)} p99 ${fmt(row.p99Ms, 2)} ms`,
      );
    }
    return etcd.version;
  } finally {
    loadgen.stop();
    await etcd.stop();
  }
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '5'));
  const padding = Number(option('padding', '256'));
  const only = option('only', 'consulate,etcd').split(',');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-raft-net-'));
  const rows: Row[] = [];
  try {
    if (only.includes('consulate')) await benchConsulate(seconds, padding, rows);
    if (only.includes('etcd')) await benchEtcd(seconds, padding, rows, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    `\n### Raft over TCP, 3 servers on one machine (${os.cpus().length} CPUs, load ${load}), ` +
      `${padding}-byte commands, ${seconds} s per cell\n\n` +
      markdownTable(
        ['system', 'concurrency', 'commits/s', 'p50 ms', 'p99 ms'],
        rows.map((r) => [
          r.system,
          String(r.concurrency),
          fmt(r.opsPerSec, 0),
          fmt(r.p50Ms, 2),
          fmt(r.p99Ms, 2),
        ]),
      ) +
      '\n',
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    killAllServers();
    process.stderr.write(
      `bench:raft-net failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exit(1);
  },
);
