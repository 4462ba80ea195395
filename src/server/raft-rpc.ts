// What servers ask each other over the server port about Raft: apply a command on the leader
// (a follower forwards writes there), learn the leader's commit index (a follower serves reads
// once it has applied that far), and the status calls Consul exposes (leader, peers).
import { defineMethod, type RpcMethod } from '../rpc';

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

type Fields = Record<string, unknown>;

function record(raw: unknown, what: string): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what}: expected an object`);
  }
  return raw as Fields;
}

function field<T>(fields: Fields, name: string, check: (value: unknown) => value is T): T {
  const value = fields[name];
  if (!check(value)) throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
const isIndex = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isString = (value: unknown): value is string => typeof value === 'string';
const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

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
