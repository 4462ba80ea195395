// memberlist: SWIM membership with Lifeguard, wire-compatible with hashicorp/memberlist 0.2.x
// (protocol 1–5, go-msgpack layouts, compound/CRC/LZW framing, TCP push/pull, AES-GCM keyring).
//
// - MemberlistCore (core.ts) is the protocol as a deterministic state machine: packets, push/pull
//   results, fallback-ping results and ticks in; commands (packets, TCP work) out.
// - Memberlist (host.ts) runs a core on real UDP/TCP sockets: create, join, leave, members,
//   updateNode, sendBestEffort/sendReliable/sendToAddress, shutdown.
// - sim/ drives many cores on a virtual clock for the simulation tests.
// Durations in MemberlistConfig are milliseconds.
export { Memberlist } from './host';
export { MemberlistCore, type CoreCommand, type CoreOptions } from './core';
export { pushPullScale } from './node-state';
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
  ProtocolVersions,
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
