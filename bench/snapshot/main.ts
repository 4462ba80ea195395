// Snapshot save and restore of N keys (default 1 M): wall time and peak RSS, for a Consulate dev
// agent (GET /v1/snapshot to a file, PUT /v1/snapshot from it, through Raft) and, on the same
// machine in the same run, a single-node etcd 3.4 (`etcdctl snapshot save` from the running
// server, `etcdctl snapshot restore` into a new data dir — etcd restores offline).
// Peak RSS is sampled every 20 ms over the processes doing the work: the agent for Consulate;
// the etcd server plus etcdctl for the save, etcdctl for the restore.
// Usage: npm run bench:snapshot -- [--keys 1000000] [--value-bytes 64] [--only consulate,etcd]
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

import {
  connectionAgent,
  fmt,
  fmtMB,
  httpRequest,
  killAllServers,
  markdownTable,
  processTree,
  rssBytes,
  startEtcd,
  type Target,
} from '../lib';
import { agentRevision, DEFAULT_AGENT_COMMAND, startAgent } from '../kv/agent';

const TXN_OPS = 64;
const WRITERS = 8;

interface Row {
  system: string;
  archiveBytes: number;
  saveMs: number;
  savePeakRss: number;
  restoreMs: number;
  restorePeakRss: number;
  note: string;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function log(message: string): void {
  process.stderr.write(`[bench:snapshot ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const keyOf = (i: number): string => `bench/${String(i).padStart(7, '0')}`;

/** The highest RSS of the process trees `pids()` names, sampled until stopped. */
function sampleRss(pids: () => number[]): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    const roots = pids();
    peak = Math.max(peak, rssBytes(roots.flatMap((pid) => processTree(pid))));
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Writes keys 0..count-1 with `write(batch)` from WRITERS concurrent writers. */
async function populate(
  count: number,
  write: (keys: number[]) => Promise<void>,
  what: string,
): Promise<void> {
  const started = performance.now();
  let next = 0;
  let lastLog = started;
  const writer = async (): Promise<void> => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + TXN_OPS);
      await write(Array.from({ length: next - from }, (_, i) => from + i));
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`${what}: ${next} of ${count} keys`);
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  log(`${what}: ${count} keys in ${fmt((performance.now() - started) / 1000)} s`);
}

/** Streams a GET into `file` or a PUT from it; resolves with the status and body text. */
function streamRequest(
  target: Target,
  method: 'GET' | 'PUT',
  urlPath: string,
  file: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.host, port: target.port, method, path: urlPath },
      (res) => {
        if (method === 'GET' && res.statusCode === 200) {
          pipeline(res, createWriteStream(file)).then(
            () => resolve({ status: 200, body: '' }),
            reject,
          );
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (method === 'PUT') {
      req.setHeader('content-length', String(statSync(file).size));
      createReadStream(file).pipe(req);
    } else req.end();
  });
}

async function benchConsulate(workDir: string, keys: number, value: string): Promise<Row> {
  const dataDir = path.join(workDir, 'consulate');
  const { server, target } = await startAgent(
    DEFAULT_AGENT_COMMAND,
    dataDir,
    path.join(workDir, 'consulate.log'),
  );
  const agents = Array.from({ length: WRITERS }, () => connectionAgent());
  let turn = 0;
  try {
    const encoded = Buffer.from(value).toString('base64');
    await populate(
      keys,
      async (batch) => {
        const body = JSON.stringify(
          batch.map((i) => ({ KV: { Verb: 'set', Key: keyOf(i), Value: encoded } })),
        );
        const agent = agents[turn++ % agents.length];
        const reply = await httpRequest(agent, target, { method: 'PUT', path: '/v1/txn', body });
        if (reply.status !== 200) throw new Error(`txn: ${reply.status} ${reply.body}`);
      },
      'consulate populate',
    );
    const file = path.join(workDir, 'consulate.snap');
    log('consulate: saving');
    let rss = sampleRss(() => [server.pid]);
    let started = performance.now();
    const saved = await streamRequest(target, 'GET', '/v1/snapshot', file);
    const saveMs = performance.now() - started;
    const savePeakRss = rss.stop();
    if (saved.status !== 200) throw new Error(`save: ${saved.status} ${saved.body}`);
    // Change something, so the restore visibly puts it back.
    await httpRequest(agents[0], target, { method: 'DELETE', path: `/v1/kv/${keyOf(0)}` });
    log('consulate: restoring');
    rss = sampleRss(() => [server.pid]);
    started = performance.now();
    const restored = await streamRequest(target, 'PUT', '/v1/snapshot', file);
    const restoreMs = performance.now() - started;
    const restorePeakRss = rss.stop();
    if (restored.status !== 200) throw new Error(`restore: ${restored.status} ${restored.body}`);
    const back = await httpRequest(agents[0], target, {
      method: 'GET',
      path: `/v1/kv/${keyOf(0)}`,
    });
    if (back.status !== 200) throw new Error(`after restore, ${keyOf(0)} is missing`);
    return {
      system: 'Consulate (dev agent, SQLite data dir)',
      archiveBytes: statSync(file).size,
      saveMs,
      savePeakRss,
      restoreMs,
      restorePeakRss,
      note: 'restore = PUT /v1/snapshot through Raft, online',
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await server.stop();
  }
}

/** Runs a command, sampling its RSS; resolves with the elapsed time and peak RSS. */
async function timed(
  command: string,
  args: string[],
  alsoSample: number[] = [],
): Promise<{ ms: number; peakRss: number }> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const rss = sampleRss(() => (child.pid === undefined ? alsoSample : [child.pid, ...alsoSample]));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  const peakRss = rss.stop();
  if (code !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${code}: ${stderr}`);
  return { ms: performance.now() - started, peakRss };
}

async function benchEtcd(workDir: string, keys: number, value: string): Promise<Row> {
  const etcd = await startEtcd(workDir);
  const agents = Array.from({ length: WRITERS }, () => connectionAgent());
  let turn = 0;
  try {
    const encoded = Buffer.from(value).toString('base64');
    await populate(
      keys,
      async (batch) => {
        const body = JSON.stringify({
          success: batch.map((i) => ({
            requestPut: { key: Buffer.from(keyOf(i)).toString('base64'), value: encoded },
          })),
        });
        const agent = agents[turn++ % agents.length];
        const path = `${etcd.gateway}/kv/txn`;
        const reply = await httpRequest(agent, etcd.target, { method: 'POST', path, body });
        if (reply.status !== 200) throw new Error(`etcd txn: ${reply.status} ${reply.body}`);
      },
      'etcd populate',
    );
    const file = path.join(workDir, 'etcd.snap');
    const endpoint = `http://${etcd.target.host}:${etcd.target.port}`;
    log('etcd: saving');
    const save = await timed(
      'etcdctl',
      [`--endpoints=${endpoint}`, 'snapshot', 'save', file],
      [etcd.server.pid],
    );
    log('etcd: restoring');
    const restore = await timed('etcdctl', [
      'snapshot',
      'restore',
      file,
      `--data-dir=${path.join(workDir, 'etcd-restored')}`,
    ]);
    return {
      system: `etcd ${etcd.version} (single node)`,
      archiveBytes: statSync(file).size,
      saveMs: save.ms,
      savePeakRss: save.peakRss,
      restoreMs: restore.ms,
      restorePeakRss: restore.peakRss,
      note: 'restore = etcdctl snapshot restore into a new data dir, offline',
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await etcd.server.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      'Usage: node dist/bench/snapshot/main.js [--keys 1000000] [--value-bytes 64] [--only consulate,etcd]\n',
    );
    return;
  }
  const keys = Number(option('keys', '1000000'));
  const valueBytes = Number(option('value-bytes', '64'));
  const only = option('only', 'consulate,etcd').split(',');
  const value = 'v'.repeat(valueBytes);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-snapshot-'));
  const rows: Row[] = [];
  try {
    if (only.includes('consulate')) rows.push(await benchConsulate(workDir, keys, value));
    if (only.includes('etcd')) rows.push(await benchEtcd(workDir, keys, value));
  } finally {
    killAllServers();
    rmSync(workDir, { recursive: true, force: true });
  }
  const etcdRow = rows.find((row) => row.system.startsWith('etcd'));
  const ratio = (mine: number, theirs: number | undefined): string =>
    theirs === undefined ? '' : ` (${fmt(mine / theirs, 2)}×)`;
  const table = markdownTable(
    [
      'system',
      'archive',
      'save time (s)',
      'save peak RSS',
      'restore time (s)',
      'restore peak RSS',
      'note',
    ],
    rows.map((row) => {
      const peer = row === etcdRow ? undefined : etcdRow;
      return [
        row.system,
        fmtMB(row.archiveBytes),
        fmt(row.saveMs / 1000, 2) + ratio(row.saveMs, peer?.saveMs),
        fmtMB(row.savePeakRss),
        fmt(row.restoreMs / 1000, 2) + ratio(row.restoreMs, peer?.restoreMs),
        fmtMB(row.restorePeakRss),
        row.note,
      ];
    }),
  );
  process.stdout.write(
    `## Snapshot save and restore of ${keys.toLocaleString('en-US')} keys (${valueBytes}-byte values)\n\n` +
      `${agentRevision()}, ${os.cpus().length} CPUs; ratios are Consulate / etcd.\n\n${table}\n`,
  );
}

main().catch((error: unknown) => {
  killAllServers();
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
