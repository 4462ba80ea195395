// Contracts shared by the Raft core, its storage and its host loop.
// Indexes and terms are JS numbers: safe up to 2^53, far beyond any log we will write.

export type NodeId = string;

/** What a log entry carries. `command` payloads are opaque to Raft (the FSM decodes them). */
export enum EntryType {
  Command = 0,
  /** A membership change; payload is an encoded MembershipChange. */
  Membership = 1,
  /** Appended by every new leader so that entries of earlier terms can be committed. */
  Noop = 2,
}

export interface LogEntry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** One server in the Raft configuration. `address` is the server RPC address (host:port). */
export interface ServerInfo {
  id: NodeId;
  address: string;
  voter: boolean;
}

export interface Membership {
  servers: ServerInfo[];
}

/** The durable vote state. Persisted (fsynced) before any vote or append is acknowledged. */
export interface HardState {
  term: number;
  votedFor: NodeId | null;
  commit: number;
}

/** Describes a snapshot: the FSM state after applying every entry up to `index`. */
export interface SnapshotMeta {
  index: number;
  term: number;
  membership: Membership;
  /** Size in bytes of the snapshot data. */
  size: number;
}

/** The FSM the host loop drives. Runs on every server, in log order, deterministically. */
export interface StateMachine {
  /** Applies one committed command entry; the return value is handed back to the proposer. */
  apply(entry: LogEntry): unknown;
  /** Serialises the whole state as of the last applied index. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot taken at `meta.index`. */
  restore(data: Uint8Array, meta: SnapshotMeta): void;
}

/** Raised to callers of propose/readIndex when this server cannot serve them. */
export class NotLeaderError extends Error {
  constructor(
    readonly leaderId: NodeId | null,
    readonly leaderAddress: string | null,
  ) {
    super(leaderId === null ? 'No cluster leader' : `not the leader (leader is ${leaderId})`);
    this.name = 'NotLeaderError';
  }
}

/**
 * Leadership changed after a proposal was appended and before it committed: it may still commit
 * under the next leader, or be lost. The caller cannot know (hashicorp/raft's ErrLeadershipLost).
 */
export class LeadershipLostError extends Error {
  constructor() {
    super('leadership lost while committing log');
    this.name = 'LeadershipLostError';
  }
}

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RaftStatus {
  id: NodeId;
  role: RaftRole;
  term: number;
  leaderId: NodeId | null;
  leaderAddress: string | null;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  lastLogTerm: number;
  lastSnapshotIndex: number;
  lastSnapshotTerm: number;
  membership: Membership;
  /** Log index of the configuration entry in force. */
  membershipIndex: number;
  /** Milliseconds since this node last heard from a leader; 0 on the leader itself. */
  lastContactMs: number;
}

/**
 * What the rest of the agent sees of Raft (implemented by the host loop, RaftNode).
 * A single-server dev agent and a multi-server cluster expose the same face.
 */
export interface PeerStats {
  id: NodeId;
  address: string;
  voter: boolean;
  /** Highest index known to match the leader's log. */
  matchIndex: number;
  /** Milliseconds since the leader last heard from it; -1 when never. */
  lastContactMs: number;
}

export interface RaftHandle {
  /** Appends a command; resolves with the FSM's result once the entry is committed and applied. */
  propose(data: Uint8Array): Promise<{ index: number; result: unknown }>;
  /**
   * Linearizable read barrier (ReadIndex): resolves once leadership was confirmed by a quorum
   * and the local FSM has applied at least the commit index observed at the call.
   */
  readBarrier(): Promise<number>;
  status(): RaftStatus;
  isLeader(): boolean;
  /** Fires after every applied batch with the new applied index. */
  onApplied(listener: (appliedIndex: number) => void): () => void;
  /** Fires when the leader (or its absence) changes. */
  onLeaderChange(listener: (leaderId: NodeId | null) => void): () => void;
  /**
   * On the leader, every other server of the configuration: how far its log matches ours and
   * when we last heard from it (autopilot's health inputs). Empty on other servers.
   */
  peerStats(): PeerStats[];
  /**
   * Writes `membership` as the first configuration when this server has no Raft state at all
   * (Consul's bootstrap_expect). False, changing nothing, when it already has state.
   */
  bootstrapCluster(membership: Membership): Promise<boolean>;
  addVoter(id: NodeId, address: string): Promise<void>;
  addNonVoter(id: NodeId, address: string): Promise<void>;
  promote(id: NodeId): Promise<void>;
  removeServer(id: NodeId): Promise<void>;
  transferLeadership(to?: NodeId): Promise<void>;
}
