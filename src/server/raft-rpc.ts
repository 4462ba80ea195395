// What servers ask each other over the server port about Raft: apply a command on the leader
// (a follower forwards writes there), learn the leader's commit index (a follower serves reads
// once it has applied that far), and the status calls Consul exposes (leader, peers).
import { defineMethod, type RpcMethod } from '../rpc';
import { field, isBoolean, isBytes, isIndex, isString, isStrings, record } from './rpc-fields';

export interface ApplyArgs {
  /** The command as encodeCommand wrote it: the same bytes the Raft log carries. */
  command: Uint8Array;
}

export interface ApplyReply {
  index: number;
  /** What the FSM returned for the command (plain data). */
  result: unknown;
}

export interface ReadIndexArgs {
  /** Confirm leadership with a quorum first (`?consistent`); else the leader's commit index. */
  consistent: boolean;
}

export interface ReadIndexReply {
  index: number;
}

export interface PeersReply {
  /** RPC addresses of the voters, as Consul's Status.Peers lists them. */
  peers: string[];
}

export interface LeaderReply {
  /** The leader's RPC address, or "" when none is known. */
  leader: string;
}

export const RaftApply: RpcMethod<ApplyArgs, ApplyReply> = defineMethod(
  'Raft.Apply',
  (raw) => ({ command: field(record(raw, 'Raft.Apply'), 'command', isBytes) }),
  (raw) => {
    const fields = record(raw, 'Raft.Apply reply');
    return { index: field(fields, 'index', isIndex), result: fields.result };
  },
);

export const RaftReadIndex: RpcMethod<ReadIndexArgs, ReadIndexReply> = defineMethod(
  'Raft.ReadIndex',
  (raw) => ({ consistent: field(record(raw, 'Raft.ReadIndex'), 'consistent', isBoolean) }),
  (raw) => ({ index: field(record(raw, 'Raft.ReadIndex reply'), 'index', isIndex) }),
);

export const StatusPeers: RpcMethod<Record<string, never>, PeersReply> = defineMethod(
  'Status.Peers',
  () => ({}),
  (raw) => ({ peers: field(record(raw, 'Status.Peers reply'), 'peers', isStrings) }),
);

export const StatusLeader: RpcMethod<Record<string, never>, LeaderReply> = defineMethod(
  'Status.Leader',
  () => ({}),
  (raw) => ({ leader: field(record(raw, 'Status.Leader reply'), 'leader', isString) }),
);

export interface PeerArgs {
  /** Server ID; empty to let the leader choose (transfer) — removal needs one. */
  id: string;
}

export const OperatorRemovePeer: RpcMethod<PeerArgs, Record<string, never>> = defineMethod(
  'Operator.RaftRemovePeerByID',
  (raw) => ({ id: field(record(raw, 'Operator.RaftRemovePeerByID'), 'id', isString) }),
  () => ({}),
);

export const OperatorTransferLeader: RpcMethod<PeerArgs, Record<string, never>> = defineMethod(
  'Operator.RaftTransferLeader',
  (raw) => ({ id: field(record(raw, 'Operator.RaftTransferLeader'), 'id', isString) }),
  () => ({}),
);

export interface LastIndexesReply {
  /** Server ID → the last log index the leader knows it has (its own for itself). */
  lastIndexes: Record<string, number>;
}

const isIndexMap = (value: unknown): value is Record<string, number> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((index) => isIndex(index));

/** The leader's view of how far each server's log reaches (for the operator's configuration). */
export const OperatorRaftLastIndexes: RpcMethod<
  Record<string, never>,
  LastIndexesReply
> = defineMethod(
  'Operator.RaftLastIndexes',
  () => ({}),
  (raw) => ({
    lastIndexes: field(record(raw, 'Operator.RaftLastIndexes reply'), 'lastIndexes', isIndexMap),
  }),
);
