import type { HardState, LogEntry, Membership, SnapshotMeta } from '../types';

/** Everything Raft needs to find on disk after a restart. */
export interface RaftDurableState {
  hardState: HardState | null;
  /** Last membership the stable store recorded (the one in effect at the newest persisted entry). */
  membership: Membership | null;
  /** Entries after the newest snapshot (or from the log start), gap-free, in index order. */
  entries: LogEntry[];
  /** Newest valid snapshot's metadata, or null. */
  snapshot: SnapshotMeta | null;
}

/** One durable write: the unit the host loop hands to storage after each Ready. */
export interface PersistBatch {
  /** If present, replaces every stored entry at index >= entries[0].index (conflict truncation). */
  entries: LogEntry[];
  hardState?: HardState;
  membership?: Membership;
}

/** The append-only Raft log. Writes resolve only after they are durable (fsynced). */
export interface LogStore {
  append(entries: LogEntry[]): Promise<void>;
  /** Entries with lo <= index < hi. */
  range(lo: number, hi: number): Promise<LogEntry[]>;
  /** Deletes every entry with index >= from. */
  truncateSuffix(from: number): Promise<void>;
  /** Deletes every entry with index <= upto. */
  deletePrefix(upto: number): Promise<void>;
  firstIndex(): Promise<number>;
  lastIndex(): Promise<number>;
}

/** currentTerm, votedFor, commit and the applied configuration. */
export interface StableStore {
  loadHardState(): Promise<HardState | null>;
  saveHardState(state: HardState): Promise<void>;
  loadMembership(): Promise<Membership | null>;
  saveMembership(membership: Membership): Promise<void>;
}

/** Receives a snapshot sent in chunks by a leader (InstallSnapshot); resumable by offset. */
export interface SnapshotSink {
  readonly meta: SnapshotMeta;
  /** Bytes received so far; the next chunk must start here. */
  readonly received: number;
  write(offset: number, chunk: Uint8Array): Promise<void>;
  /** Verifies size, checksums, fsyncs and renames into place; returns the stored snapshot. */
  finish(): Promise<SnapshotMeta>;
  abort(): Promise<void>;
}

export interface SnapshotStore {
  /** Writes to a temp name, checksums, fsyncs, renames; keeps the two newest. */
  save(meta: Omit<SnapshotMeta, 'size'>, data: Uint8Array): Promise<SnapshotMeta>;
  /** Newest snapshot whose checksum verifies; corrupt ones are logged and skipped, never returned. */
  latest(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null>;
  /** A chunk of a stored snapshot, for sending to a follower. */
  readChunk(index: number, offset: number, length: number): Promise<Uint8Array>;
  /** Starts (or resumes, when one with the same index/term is pending) receiving a snapshot. */
  openSink(meta: SnapshotMeta): Promise<SnapshotSink>;
}

/**
 * The storage a Raft server runs on: SQLite under -data-dir, or memory for -dev.
 * Concurrent persist() calls made in one event-loop turn share one transaction and one sync.
 */
export interface RaftStorage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  load(): Promise<RaftDurableState>;
  persist(batch: PersistBatch): Promise<void>;
  /** Drops log entries with index <= upto (after a snapshot covers them). */
  compact(upto: number): Promise<void>;
  close(): Promise<void>;
}
