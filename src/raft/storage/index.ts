// Raft's durable storage. The entities and openRaftDatabase are public for tools that inspect
// raft.db and for bench/raft-log, which measures the TypeORM write path against ours.
export { SqliteStorage, type SqliteStorageOptions } from './sqlite-storage';
export { MemoryStorage } from './memory';
export type { GroupCommitStats } from './group-commit';
export { openRaftDatabase, type RaftDatabase } from './data-source';
export { LogRunRow, SnapshotReceiveRow, StableRow } from './entities';
export { encodeRun, runFormat } from './log-run';
export type * from './types';
