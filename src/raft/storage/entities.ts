// TypeORM entities of raft.db. TypeORM owns the schema (synchronize) and the cold paths;
// the hot write path runs prepared statements against these same tables (see log-store.ts).
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One Raft log entry. `idx` is declared INTEGER PRIMARY KEY so that it aliases the rowid. */
@Entity({ name: 'raft_log' })
export class LogEntryRow {
  @PrimaryColumn({ type: 'integer', name: 'idx' })
  index!: number;

  @Column({ type: 'integer' })
  term!: number;

  @Column({ type: 'integer' })
  type!: number;

  @Column({ type: 'blob' })
  data!: Buffer;
}

/** Key/value rows of the stable store: `hardState` and `membership`, JSON-encoded. */
@Entity({ name: 'raft_stable' })
export class StableRow {
  @PrimaryColumn({ type: 'varchar' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}

/**
 * A snapshot being received from a leader. `received` is recorded only after the bytes are
 * fsynced, so that a restarted follower resumes InstallSnapshot from there.
 */
@Entity({ name: 'raft_snapshot_receive' })
export class SnapshotReceiveRow {
  @PrimaryColumn({ type: 'integer', name: 'idx' })
  index!: number;

  @Column({ type: 'integer' })
  term!: number;

  @Column({ type: 'integer' })
  size!: number;

  /** JSON of the Membership carried by the snapshot's metadata. */
  @Column({ type: 'text' })
  membership!: string;

  @Column({ type: 'integer' })
  received!: number;
}

export const raftEntities = [LogEntryRow, StableRow, SnapshotReceiveRow];
