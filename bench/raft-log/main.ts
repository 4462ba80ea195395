// Raft log append throughput: SqliteStorage.persist() (prepared statements, group commit) and the
// TypeORM repository path, each next to raw write+fdatasync of the same bytes in the same run.
// Usage: node dist/bench/raft-log/main.js [--rounds 5] [--seconds 1]
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  encodeRun,
  LogRunRow,
  openRaftDatabase,
  SqliteStorage,
  StableRow,
} from '../../src/raft/storage';
import { EntryType, type LogEntry } from '../../src/raft/types';
import { median, measureCommits, type Measurement } from './measure';

const entryBytes = 256;
const batchSizes = [1, 16, 128];

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

/** Yields consecutive batches of 256-byte entries; every entry has its own random payload. */
function batchSource(batchSize: number): () => LogEntry[] {
  const pool = Array.from({ length: 1024 }, () =>
    crypto.getRandomValues(new Uint8Array(entryBytes)),
  );
  let next = 1;
  return () =>
    Array.from({ length: batchSize }, () => {
      const index = next++;
      return { index, term: 1, type: EntryType.Command, data: pool[index % pool.length] };
    });
}

async function measureStore(dir: string, batchSize: number, ms: number): Promise<Measurement> {
  const storage = await SqliteStorage.open(dir, { logger: pino({ level: 'silent' }) });
  const nextBatch = batchSource(batchSize);
  const result = await measureCommits(batchSize, ms, () => {
    const entries = nextBatch();
    const commit = entries[entries.length - 1].index;
    return storage.persist({ entries, hardState: { term: 1, votedFor: 'bench', commit } });
  });
  await storage.close();
  return result;
}

async function measureTypeorm(dir: string, batchSize: number, ms: number): Promise<Measurement> {
  const { dataSource } = await openRaftDatabase(join(dir, 'raft.db'));
  const nextBatch = batchSource(batchSize);
  const result = await measureCommits(batchSize, ms, () => {
    const entries = nextBatch();
    const commit = entries[entries.length - 1].index;
    return dataSource.transaction(async (manager) => {
      const run = encodeRun(entries);
      await manager.insert(LogRunRow, {
        firstIndex: run.firstIndex,
        lastIndex: run.lastIndex,
        checksum: run.checksum,
        entries: run.blob,
      });
      const value = JSON.stringify({ term: 1, votedFor: 'bench', commit });
      await manager.upsert(StableRow, { key: 'hardState', value }, ['key']);
    });
  });
  await dataSource.destroy();
  return result;
}

async function measureRaw(dir: string, batchSize: number, ms: number): Promise<Measurement> {
  const fd = openSync(join(dir, 'raw.log'), 'w');
  const nextBatch = batchSource(batchSize);
  const result = await measureCommits(batchSize, ms, () => {
    // Same bytes as the store's batch, appended and made durable the way a bare log would.
    writeSync(fd, Buffer.concat(nextBatch().map((e) => e.data)));
    fdatasyncSync(fd);
  });
  closeSync(fd);
  return result;
}

type Variant = 'store' | 'typeorm' | 'raw';
const measurers: Record<Variant, typeof measureStore> = {
  store: measureStore,
  typeorm: measureTypeorm,
  raw: measureRaw,
};

async function main(): Promise<void> {
  const rounds = option('rounds', 5);
  const ms = option('seconds', 1) * 1000;
  const loadBefore = loadavg()[0];
  const root = await mkdtemp(join(tmpdir(), 'raft-log-bench-'));
  const results = new Map<string, Measurement[]>();
  try {
    // Rounds interleave the variants so that drift in the disk's speed hits all of them alike.
    for (let round = 0; round < rounds; round++) {
      for (const batchSize of batchSizes) {
        for (const variant of Object.keys(measurers) as Variant[]) {
          const dir = await mkdtemp(join(root, `${variant}-${batchSize}-`));
          const m = await measurers[variant](dir, batchSize, ms);
          const key = `${variant}/${batchSize}`;
          results.set(key, [...(results.get(key) ?? []), m]);
          await rm(dir, { recursive: true });
        }
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  printTable(results, rounds, ms, loadBefore);
}

function printTable(
  results: Map<string, Measurement[]>,
  rounds: number,
  ms: number,
  loadBefore: number,
): void {
  const med = (variant: Variant, batchSize: number, field: keyof Measurement): number =>
    median((results.get(`${variant}/${batchSize}`) ?? []).map((m) => m[field]));
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  const t = (value: number): string => value.toFixed(3);
  console.log(
    `Raft log, ${entryBytes}-byte entries, durable commits; medians of ${rounds} rounds of ${ms} ms per variant, ${tmpdir()}, 1-min load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}\n`,
  );
  console.log(
    '| batch | store entries/s | store p50 ms | store p99 ms | raw entries/s | raw p50 ms | raw p99 ms | store/raw | TypeORM path entries/s | TypeORM/raw |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  // Ratios are medians of per-round ratios: each round measures the variants back to back, so a
  // neighbour's load on the shared disk or CPU weighs on both sides of a ratio alike.
  const ratio = (variant: Variant, b: number): number => {
    const raws = results.get(`raw/${b}`) ?? [];
    const mine = results.get(`${variant}/${b}`) ?? [];
    return median(mine.map((m, i) => m.entriesPerSecond / raws[i].entriesPerSecond));
  };
  for (const b of batchSizes) {
    const store = med('store', b, 'entriesPerSecond');
    const raw = med('raw', b, 'entriesPerSecond');
    const typeorm = med('typeorm', b, 'entriesPerSecond');
    console.log(
      `| ${b} | ${n(store)} | ${t(med('store', b, 'p50Ms'))} | ${t(med('store', b, 'p99Ms'))} | ` +
        `${n(raw)} | ${t(med('raw', b, 'p50Ms'))} | ${t(med('raw', b, 'p99Ms'))} | ` +
        `${ratio('store', b).toFixed(2)} | ${n(typeorm)} | ${ratio('typeorm', b).toFixed(2)} |`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
