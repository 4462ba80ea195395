// The public face of src/raft: the host loop, its storage for -dev, and the contracts.
export { RaftNode, type RaftNodeOptions } from './node';
export { StorageUnavailableError, retryableStorageFailure } from './storage-failure';
export { MemoryStorage } from './storage/memory';
export { RaftCore, type RaftCoreOptions, type CoreStatus } from './core';
export type { Ready, ReadState, SnapshotChunk, SoftState } from './ready';
export type { Transport } from './transport/types';
export {
  TcpTransport,
  type PeerStats as TransportPeerStats,
  type TcpTransportOptions,
} from './transport/tcp';
export { MemoryNetwork } from './transport/memory';
export {
  DEFAULT_RAFT_MULTIPLIER,
  DEV_RAFT_BASE_TIMEOUTS,
  MAX_RAFT_MULTIPLIER,
  RAFT_BASE_TIMEOUTS,
  raftTiming,
  type RaftBaseTimeouts,
  type RaftTiming,
} from './timing';
export * from './messages';
export * from './types';
export {
  bootstrapState,
  decodeMembershipChange,
  encodeMembershipChange,
  type MembershipChange,
  type MembershipOp,
} from './membership';
export { seededRandom, type RandomSource } from './random';
