import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { SqliteStorage } from '../../src/raft/storage';
import type { LogEntry, Membership } from '../../src/raft/types';
import { checkedEntry } from './entry-checksum';

export const membership: Membership = {
  servers: [
    { id: 'a', address: '127.0.0.1:8300', voter: true },
    { id: 'b', address: '127.0.0.1:8310', voter: false },
  ],
};

/** Entries lo..hi inclusive, all in `term`. */
export function entries(lo: number, hi: number, term: number): LogEntry[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => checkedEntry(lo + i, term));
}

/** A logger whose JSON lines the test can read back. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => written.push(line) });
  return { logger, lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A fresh data dir and a storage opened on it; `reopen` closes and opens it again. */
export async function openTemp(logger: Logger = pino({ level: 'silent' })): Promise<{
  dataDir: string;
  storage: SqliteStorage;
  reopen: () => Promise<SqliteStorage>;
  cleanup: () => Promise<void>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'raft-storage-'));
  const handle = {
    dataDir,
    storage: await SqliteStorage.open(dataDir, { logger }),
    reopen: async () => {
      await handle.storage.close();
      handle.storage = await SqliteStorage.open(dataDir, { logger });
      return handle.storage;
    },
    cleanup: async () => {
      await handle.storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Runs `body` on a storage in a fresh data dir, then closes it and removes the dir. */
export async function withTemp(
  ...args: [body: TempBody] | [logger: Logger, body: TempBody]
): Promise<void> {
  const t = args.length === 1 ? await openTemp() : await openTemp(args[0]);
  try {
    await (args.length === 1 ? args[0] : args[1])(t);
  } finally {
    await t.cleanup();
  }
}

type TempBody = (t: Awaited<ReturnType<typeof openTemp>>) => Promise<void>;

export function indexes(list: LogEntry[]): number[] {
  return list.map((e) => e.index);
}
