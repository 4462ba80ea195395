// TypeORM entities of raft.db. TypeORM owns the schema (synchronize) and the cold paths;
// the hot write path runs prepared statements against these same tables (see log-store.ts).
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A run of consecutive Raft log entries, encoded as in log-run.ts (whose first byte is the
 * format version). `first_index` is declared INTEGER PRIMARY KEY so that it aliases the rowid.
 * The table replaces raft_log (one row per entry), which no deployed raft.db ever held; a
 * future layout gets a new table name or format byte, so a migration can tell them apart.
 */
@Entity({ name: 'raft_log_runs' })
export class LogRunRow {
  @PrimaryColumn({ type: 'integer', name: 'first_index' })
  firstIndex!: number;

  @Column({ type: 'integer', name: 'last_index' })
  lastIndex!: number;

  /** CRC-32 of `entries`. */
  @Column({ type: 'integer' })
  checksum!: number;

  @Column({ type: 'blob' })
  entries!: Buffer;
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

export const raftEntities = [LogRunRow, StableRow, SnapshotReceiveRow];
