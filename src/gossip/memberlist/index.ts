// memberlist: SWIM membership with Lifeguard, wire-compatible with hashicorp/memberlist 0.2.x.
export { Memberlist } from './host';
export { MemberlistCore, pushPullScale, type CoreCommand, type CoreOptions } from './core';
export {
  lanConfig,
  wanConfig,
  localConfig,
  buildVsnArray,
  encryptionEnabled,
  PROTOCOL_VERSION_MIN,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_2_COMPATIBLE,
  type MemberlistConfig,
} from './config';
export { Keyring, validateKey, encryptPayload, decryptPayload, encryptOverhead } from './security';
export {
  TransmitLimitedQueue,
  retransmitLimit,
  isNamedBroadcast,
  isUniqueBroadcast,
  type Broadcast,
  type NamedBroadcast,
  type UniqueBroadcast,
} from './queue';
export type {
  MemberlistNode,
  MemberState,
  Delegate,
  EventDelegate,
  MergeDelegate,
  ConflictDelegate,
  AliveDelegate,
  PingDelegate,
} from './types';
export { META_MAX_SIZE, MessageType } from './messages';
export { ipToBytes, bytesToIp, joinHostPort } from './address';
export { WireCodec, type StreamMessage } from './wire';
export { lzwCompress, lzwDecompress } from './lzw';
export { suspicionTimeout } from './suspicion';
export * as msgpack from './msgpack';
