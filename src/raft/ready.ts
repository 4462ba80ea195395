// What the core hands its host after some steps: the only output of the state machine.
import type { RaftMessage } from './messages';
import type { HardState, LogEntry, Membership, NodeId, RaftRole, SnapshotMeta } from './types';

/** A ReadIndex result: the read `requestId` may be served once applied >= `index`. */
export interface ReadState {
  requestId: number;
  index: number;
}

/** A received InstallSnapshot chunk for the host to write into SnapshotStore.openSink(meta). */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  offset: number;
  data: Uint8Array;
}

export interface SoftState {
  role: RaftRole;
  leaderId: NodeId | null;
  term: number;
}

/**
 * The host handles a Ready in this order, then calls advance(ready):
 * 1. send the leader-replication messages (they depend on nothing unpersisted);
 * 2. write `snapshotChunks`; if `snapshot` is set, finish the sink, restore the FSM from it and
 *    drop every stored log entry;
 * 3. persist `entries` (replacing stored entries from entries[0].index on), `hardState`, `membership`;
 * 4. send the other messages (vote grants and append acks promise what step 3 made durable);
 * 5. apply `committed` in order, then serve `readStates` once applied >= their index.
 */
export interface Ready {
  messages: RaftMessage[];
  entries: LogEntry[];
  hardState?: HardState;
  /** The membership in effect at the last log entry, when it changed. */
  membership?: Membership;
  committed: LogEntry[];
  snapshotChunks: SnapshotChunk[];
  snapshot?: SnapshotMeta;
  readStates: ReadState[];
  /** Present when role, leader or term changed since the previous Ready. */
  softState?: SoftState;
}
