import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { openRaftDatabase } from './data-source';
import { GroupCommit, type GroupCommitStats } from './group-commit';
import { SqliteLogStore } from './log-store';
import { FileSnapshotStore } from './snapshot-store';
import { SqliteStableStore } from './stable-store';
import type { PersistBatch, RaftDurableState, RaftStorage } from './types';
import type { StorageWrite } from './writes';

export interface SqliteStorageOptions {
  logger?: Logger;
  /** Where snapshot files live; defaults to `<dataDir>/raft/snapshots`. */
  snapshotDir?: string;
}

/**
 * Raft's durable storage for one agent: the log and stable store in `<dataDir>/raft/raft.db`
 * (SQLite, WAL, synchronous=FULL) and snapshots as files. Every write of one event-loop turn
 * shares one transaction and one sync (group commit).
 */
export class SqliteStorage implements RaftStorage {
  readonly log: SqliteLogStore;
  readonly stable: SqliteStableStore;
  private readonly commits: GroupCommit<StorageWrite>;

  private constructor(
    private readonly dataSource: DataSource,
    connection: Database,
    readonly snapshots: FileSnapshotStore,
    private readonly logger: Logger,
  ) {
    this.commits = new GroupCommit(
      connection.transaction((writes: StorageWrite[]) => writes.map((w) => this.apply(w))),
    );
    const submit = (write: StorageWrite): Promise<void> => this.commits.submit(write);
    this.log = new SqliteLogStore(connection, submit);
    this.stable = new SqliteStableStore(dataSource, connection, submit);
  }

  static async open(dataDir: string, options: SqliteStorageOptions = {}): Promise<SqliteStorage> {
    const logger = options.logger ?? pino({ name: 'raft-storage' });
    const raftDir = join(dataDir, 'raft');
    const path = join(raftDir, 'raft.db');
    let opened: Awaited<ReturnType<typeof openRaftDatabase>>;
    try {
      await mkdir(raftDir, { recursive: true });
      opened = await openRaftDatabase(path);
    } catch (error: unknown) {
      throw new Error(`cannot open the Raft database ${path}: ${storageReason(error)}`, {
        cause: error,
      });
    }
    const { dataSource, connection } = opened;
    try {
      const snapshotDir = options.snapshotDir ?? join(raftDir, 'snapshots');
      const snapshots = await FileSnapshotStore.open(snapshotDir, dataSource, logger);
      return new SqliteStorage(dataSource, connection, snapshots, logger);
    } catch (error: unknown) {
      await dataSource.destroy();
      throw error;
    }
  }

  async load(): Promise<RaftDurableState> {
    const hardState = await this.stable.loadHardState();
    const membership = await this.stable.loadMembership();
    const snapshot = (await this.snapshots.latest())?.meta ?? null;
    const firstStored = await this.log.firstIndex();
    // After a snapshot the log must continue at snapshot.index + 1 (older rows may linger).
    const from = snapshot === null ? firstStored : Math.max(firstStored, snapshot.index + 1);
    const report = (problem: string): void => {
      this.logger.error(
        { from, snapshotIndex: snapshot?.index ?? 0 },
        `${problem}; log loaded up to before it`,
      );
    };
    if (firstStored === 0) return { hardState, membership, entries: [], snapshot };
    if (snapshot !== null && firstStored > snapshot.index + 1) {
      report(`gap in raft log: snapshot ends at ${snapshot.index}, log starts at ${firstStored}`);
      return { hardState, membership, entries: [], snapshot };
    }
    const entries = this.log.readContiguous(from, report);
    return { hardState, membership, entries, snapshot };
  }

  persist(batch: PersistBatch): Promise<void> {
    return this.commits.submit({ kind: 'persist', batch });
  }

  compact(upto: number): Promise<void> {
    return this.commits.submit({ kind: 'deletePrefix', upto });
  }

  /** Transactions committed and writes they carried since open. */
  stats(): GroupCommitStats {
    return this.commits.stats();
  }

  /** Commits what is pending, then closes raft.db; closing twice is a no-op. */
  async close(): Promise<void> {
    this.commits.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** One write, inside the group's transaction. Validation errors skip only this write. */
  private apply(write: StorageWrite): Error | null {
    switch (write.kind) {
      case 'persist': {
        const { entries, hardState, membership } = write.batch;
        const refused = this.log.checkAppend(entries);
        if (refused !== null) return refused;
        this.log.writeEntries(entries);
        if (hardState !== undefined) this.stable.writeHardState(hardState);
        if (membership !== undefined) this.stable.writeMembership(membership);
        return null;
      }
      case 'truncateSuffix':
        this.log.deleteFromNow(write.from);
        return null;
      case 'deletePrefix':
        this.log.deleteUptoNow(write.upto);
        return null;
    }
  }
}

/** An errno or SQLite code in words, keeping the code: `read-only file system (EROFS)`. */
function storageReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
