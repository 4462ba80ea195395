// serf's Config (config.go) with its defaults; durations in milliseconds.
import type { Logger } from 'pino';
import type { MemberlistConfig } from '../memberlist';
import type { SerfMember } from './members';

/** serf protocol versions: 2–5, speaking 4 (what Consul runs and memberlist protocol 2 maps to). */
export const SERF_PROTOCOL_MIN = 2;
export const SERF_PROTOCOL_MAX = 5;
export const SERF_PROTOCOL_DEFAULT = 4;
/** serf ProtocolVersionMap: serf protocol → memberlist protocol. */
export const MEMBERLIST_PROTOCOL_FOR: Record<number, number> = { 5: 2, 4: 2, 3: 2, 2: 2 };

/** Hard cap on a user event, whatever the configuration (serf UserEventSizeLimit). */
export const USER_EVENT_SIZE_HARD_LIMIT = 9 * 1024;
export const META_MAX_SIZE = 512;

export interface SerfConfig {
  nodeName: string;
  tags: Record<string, string>;
  /** Its delegates, name and protocol versions are set by serf. */
  memberlist: MemberlistConfig;
  /** Text snapshot of members and clocks for rejoin after restart. */
  snapshotPath?: string;
  /** Rejoin the snapshot's members even after a graceful leave. */
  rejoinAfterLeave: boolean;
  /** Rewritten (JSON array of base64 keys, primary first) whenever the keyring changes. */
  keyringFile?: string;
  /** Failed members are reaped after this long (serf 24 h; Consul 72 h). */
  reconnectTimeoutMs: number;
  /** Left members are reaped after this long (24 h). */
  tombstoneTimeoutMs: number;
  /** Size of the user event de-duplication ring (512). */
  eventBuffer: number;
  /** Maximum name + payload of a user event, before and after encoding (512, ≤ 9216). */
  userEventSizeLimit: number;
  logger: Logger;
  protocolVersion?: number;
  queryBuffer?: number;
  querySizeLimit?: number;
  queryResponseSizeLimit?: number;
  queryTimeoutMult?: number;
  reapIntervalMs?: number;
  reconnectIntervalMs?: number;
  recentIntentTimeoutMs?: number;
  broadcastTimeoutMs?: number;
  /** serf 1 s; Consul sets 3 s. */
  leavePropagateDelayMs?: number;
  queueCheckIntervalMs?: number;
  maxQueueDepth?: number;
  /** When set, the queue limit is max(minQueueDepth, 2 × members) (Consul: 4096). */
  minQueueDepth?: number;
  queueDepthWarning?: number;
  /** Member-event coalescing (off unless both are set, as in serf). */
  coalescePeriodMs?: number;
  quiescentPeriodMs?: number;
  userCoalescePeriodMs?: number;
  userQuiescentPeriodMs?: number;
  /** serf's default true; Consul turns it off (its own node-ID check handles conflicts). */
  enableNameConflictResolution?: boolean;
  /**
   * Vetoes a join or an alive member (Consul checks the datacenter and the segment): return an
   * error text to refuse. Installed as memberlist's merge and alive delegates.
   */
  merge?: (members: SerfMember[]) => string | null;
  /** No ping delegate: acks carry no coordinate and none is computed (serf's default false). */
  disableCoordinates?: boolean;
}

export type ResolvedSerfConfig = Required<
  Omit<SerfConfig, 'snapshotPath' | 'keyringFile' | 'merge'>
> &
  Pick<SerfConfig, 'snapshotPath' | 'keyringFile' | 'merge'>;

export function resolveConfig(c: SerfConfig): ResolvedSerfConfig {
  return {
    protocolVersion: SERF_PROTOCOL_DEFAULT,
    queryBuffer: 512,
    querySizeLimit: 1024,
    queryResponseSizeLimit: 1024,
    queryTimeoutMult: 16,
    reapIntervalMs: 15_000,
    reconnectIntervalMs: 30_000,
    recentIntentTimeoutMs: 5 * 60_000,
    broadcastTimeoutMs: 5_000,
    leavePropagateDelayMs: 1_000,
    queueCheckIntervalMs: 30_000,
    maxQueueDepth: 4096,
    minQueueDepth: 0,
    queueDepthWarning: 128,
    coalescePeriodMs: 0,
    quiescentPeriodMs: 0,
    userCoalescePeriodMs: 0,
    userQuiescentPeriodMs: 0,
    enableNameConflictResolution: true,
    disableCoordinates: false,
    ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
  } as ResolvedSerfConfig;
}

/** Validates what serf's Create refuses, with its texts. */
export function validateSerfConfig(c: ResolvedSerfConfig, encodedTagsLength: number): void {
  if (c.protocolVersion < SERF_PROTOCOL_MIN) {
    throw new Error(
      `Protocol version '${c.protocolVersion}' too low. Must be in range: [${SERF_PROTOCOL_MIN}, ${SERF_PROTOCOL_MAX}]`,
    );
  }
  if (c.protocolVersion > SERF_PROTOCOL_MAX) {
    throw new Error(
      `Protocol version '${c.protocolVersion}' too high. Must be in range: [${SERF_PROTOCOL_MIN}, ${SERF_PROTOCOL_MAX}]`,
    );
  }
  if (c.userEventSizeLimit > USER_EVENT_SIZE_HARD_LIMIT) {
    throw new Error(`user event size limit exceeds limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes`);
  }
  if (encodedTagsLength > META_MAX_SIZE) {
    throw new Error(`Encoded length of tags exceeds limit of ${META_MAX_SIZE} bytes`);
  }
  if (c.nodeName === '') throw new Error('serf config: nodeName must not be empty');
}

/** serf DefaultConfig's values for the fields a caller must give, for convenience. */
export const SERF_DEFAULTS = {
  rejoinAfterLeave: false,
  reconnectTimeoutMs: 24 * 3600_000,
  tombstoneTimeoutMs: 24 * 3600_000,
  eventBuffer: 512,
  userEventSizeLimit: 512,
} as const;
