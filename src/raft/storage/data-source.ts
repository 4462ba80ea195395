import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import type { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import { raftEntities } from './entities';

/** An initialised raft.db and the better-sqlite3 connection its DataSource owns. */
export interface RaftDatabase {
  dataSource: DataSource;
  connection: Database;
}

/**
 * Opens (creating if needed) raft.db with WAL and synchronous=FULL: in WAL mode FULL syncs the
 * WAL on every commit, so a resolved write survives a crash or power loss.
 */
export async function openRaftDatabase(path: string): Promise<RaftDatabase> {
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: path,
    entities: raftEntities,
    synchronize: true,
    prepareDatabase: (db: Database) => {
      // One agent owns its raft.db: the exclusive lock keeps a second agent on the same data dir
      // out, and spares each commit the shared-memory WAL index and its locks.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    },
  });
  await dataSource.initialize();
  const connection: Database = (dataSource.driver as BetterSqlite3Driver).databaseConnection;
  const journalMode: unknown = connection.pragma('journal_mode', { simple: true });
  const synchronous: unknown = connection.pragma('synchronous', { simple: true });
  // synchronous=FULL reads back as 2.
  if (journalMode !== 'wal' || synchronous !== 2) {
    await dataSource.destroy();
    throw new Error(
      `raft.db at ${path}: journal_mode=${String(journalMode)} synchronous=${String(synchronous)}, want wal/2`,
    );
  }
  return { dataSource, connection };
}
