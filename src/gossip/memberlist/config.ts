// memberlist's Config with the defaults of DefaultLANConfig / DefaultWANConfig /
// DefaultLocalConfig (config.go). Durations are milliseconds.
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import type { Keyring } from './security';
import type {
  AliveDelegate,
  ConflictDelegate,
  Delegate,
  EventDelegate,
  MergeDelegate,
  PingDelegate,
} from './types';

export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_2_COMPATIBLE = 2;
export const PROTOCOL_VERSION_MAX = 5;

export interface MemberlistConfig {
  /** Unique node name in the cluster. */
  name: string;
  bindAddr: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  bindPort: number;
  /** Empty: the bind address, or a private address of this host when bound to 0.0.0.0. */
  advertiseAddr: string;
  /** Used only with advertiseAddr; 0 means the bound port. */
  advertisePort: number;
  protocolVersion: number;
  delegateProtocolVersion: number;
  delegateProtocolMin: number;
  delegateProtocolMax: number;
  tcpTimeout: number;
  indirectChecks: number;
  retransmitMult: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  pushPullInterval: number;
  probeInterval: number;
  probeTimeout: number;
  disableTcpPings: boolean;
  awarenessMaxMultiplier: number;
  gossipInterval: number;
  gossipNodes: number;
  gossipToTheDeadTime: number;
  gossipVerifyIncoming: boolean;
  gossipVerifyOutgoing: boolean;
  enableCompression: boolean;
  /** Encryption is on when the keyring holds at least one key. */
  keyring: Keyring | null;
  /** 0 = a dead node's name is never reclaimed by a different address. */
  deadNodeReclaimTime: number;
  /** Gossip and piggyback packets are filled up to this size. (Packets are handled inline as
   * they arrive, so memberlist's HandoffQueueDepth has no counterpart.) */
  udpBufferSize: number;
  /** Minimum interval between two log lines about bad input from one source. */
  badInputLogInterval: number;
  delegate: Delegate | null;
  events: EventDelegate | null;
  conflict: ConflictDelegate | null;
  merge: MergeDelegate | null;
  ping: PingDelegate | null;
  alive: AliveDelegate | null;
  logger: Logger;
}

export function lanConfig(): MemberlistConfig {
  return {
    name: hostname(),
    bindAddr: '0.0.0.0',
    bindPort: 7946,
    advertiseAddr: '',
    advertisePort: 7946,
    protocolVersion: PROTOCOL_VERSION_2_COMPATIBLE,
    delegateProtocolVersion: 0,
    delegateProtocolMin: 0,
    delegateProtocolMax: 0,
    tcpTimeout: 10_000,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    pushPullInterval: 30_000,
    probeInterval: 1_000,
    probeTimeout: 500,
    disableTcpPings: false,
    awarenessMaxMultiplier: 8,
    gossipInterval: 200,
    gossipNodes: 3,
    gossipToTheDeadTime: 30_000,
    gossipVerifyIncoming: true,
    gossipVerifyOutgoing: true,
    enableCompression: true,
    keyring: null,
    deadNodeReclaimTime: 0,
    udpBufferSize: 1400,
    badInputLogInterval: 60_000,
    delegate: null,
    events: null,
    conflict: null,
    merge: null,
    ping: null,
    alive: null,
    logger: pino({ level: 'silent' }),
  };
}

export function wanConfig(): MemberlistConfig {
  return {
    ...lanConfig(),
    tcpTimeout: 30_000,
    suspicionMult: 6,
    pushPullInterval: 60_000,
    probeTimeout: 3_000,
    probeInterval: 5_000,
    gossipNodes: 4,
    gossipInterval: 500,
    gossipToTheDeadTime: 60_000,
  };
}

export function localConfig(): MemberlistConfig {
  return {
    ...lanConfig(),
    tcpTimeout: 1_000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullInterval: 15_000,
    probeTimeout: 200,
    probeInterval: 1_000,
    gossipInterval: 100,
    gossipToTheDeadTime: 15_000,
  };
}

export function encryptionEnabled(c: MemberlistConfig): boolean {
  return c.keyring !== null && c.keyring.getKeys().length > 0;
}

/** PCur 1 seals with version 0 (padded), anything newer with version 1. */
export function encryptionVersion(c: MemberlistConfig): number {
  return c.protocolVersion === 1 ? 0 : 1;
}

/** The 6-byte Vsn array [PMin, PMax, PCur, DMin, DMax, DCur]. */
export function buildVsnArray(c: MemberlistConfig): Uint8Array {
  return Uint8Array.from([
    PROTOCOL_VERSION_MIN,
    PROTOCOL_VERSION_MAX,
    c.protocolVersion,
    c.delegateProtocolMin,
    c.delegateProtocolMax,
    c.delegateProtocolVersion,
  ]);
}

/** Rejects settings memberlist would refuse, naming the field. */
export function validateConfig(c: MemberlistConfig): void {
  if (c.protocolVersion < PROTOCOL_VERSION_MIN || c.protocolVersion > PROTOCOL_VERSION_MAX) {
    throw new Error(
      `Protocol version '${c.protocolVersion}' too ${c.protocolVersion < PROTOCOL_VERSION_MIN ? 'low' : 'high'}. Must be in range: [${PROTOCOL_VERSION_MIN}, ${PROTOCOL_VERSION_MAX}]`,
    );
  }
  if (c.name === '') throw new Error('memberlist config: name must not be empty');
  if (c.probeInterval <= 0) throw new Error('memberlist config: probeInterval must be positive');
  if (c.gossipInterval <= 0) throw new Error('memberlist config: gossipInterval must be positive');
}
