// Messages exchanged between Raft servers. Plain objects (strings, numbers, Uint8Array) so that
// any transport can frame them with msgpack unchanged.
import type { LogEntry, NodeId, SnapshotMeta } from './types';

interface Envelope {
  from: NodeId;
  to: NodeId;
  /** The sender's term; for a pre-vote request, the term it would campaign in. */
  term: number;
  /** The sender's RPC address, stamped by its host so that a new server can answer a leader
   * that is not yet in the configuration it knows. */
  fromAddress?: string;
}

export interface PreVoteRequest extends Envelope {
  type: 'pre-vote';
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface VoteRequest extends Envelope {
  type: 'vote';
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set when a leader handed over with TimeoutNow: voters then disregard their leader lease. */
  transfer: boolean;
}

export interface VoteResponse extends Envelope {
  type: 'pre-vote-response' | 'vote-response';
  granted: boolean;
}

export interface AppendRequest extends Envelope {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: LogEntry[];
  commit: number;
}

export interface AppendResponse extends Envelope {
  type: 'append-response';
  success: boolean;
  /** On success: the follower's log matches the leader's up to here. On rejection: prevIndex. */
  index: number;
  /** On rejection: the term of the follower's entry at prevIndex (0 when it has none)... */
  hintTerm: number;
  /** ...and the first index the follower holds of that term (or its lastIndex + 1). */
  hintIndex: number;
}

export interface HeartbeatRequest extends Envelope {
  type: 'heartbeat';
  /** min(follower's match, leader commit): never ahead of what the follower is known to hold. */
  commit: number;
  /** The newest ReadIndex round; echoed back so the leader can confirm reads. */
  context: number;
}

export interface HeartbeatResponse extends Envelope {
  type: 'heartbeat-response';
  context: number;
}

/**
 * One chunk of InstallSnapshot. The core sends it with empty `data`; the host fills `data` with
 * `length` bytes read from its SnapshotStore at `offset` before sending.
 */
export interface SnapshotChunkRequest extends Envelope {
  type: 'snapshot';
  meta: SnapshotMeta;
  offset: number;
  length: number;
  data: Uint8Array;
}

export interface SnapshotChunkResponse extends Envelope {
  type: 'snapshot-response';
  snapshotIndex: number;
  /** Bytes the follower holds; the next chunk should start here. */
  received: number;
  done: boolean;
}

export interface TimeoutNow extends Envelope {
  type: 'timeout-now';
}

export type RaftMessage =
  | PreVoteRequest
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotChunkRequest
  | SnapshotChunkResponse
  | TimeoutNow;

export type RaftMessageType = RaftMessage['type'];

/** Leader-to-follower traffic that depends on nothing the leader has still to persist. */
export function isLeaderReplication(message: RaftMessage): boolean {
  return (
    message.type === 'append' ||
    message.type === 'heartbeat' ||
    message.type === 'snapshot' ||
    message.type === 'timeout-now'
  );
}
