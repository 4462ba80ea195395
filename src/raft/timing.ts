// Raft timing as Consul derives it from `performance.raft_multiplier`: hashicorp/raft's base
// timeouts scaled by the multiplier (default 5 in production, 1 in -dev with dev bases), and
// their mapping onto RaftNode's ticks. The leader heartbeats every HeartbeatTimeout/10, as
// hashicorp/raft does; followers and candidates time out after [T, 2T) of silence.

export const DEFAULT_RAFT_MULTIPLIER = 5;
export const MAX_RAFT_MULTIPLIER = 10;

export interface RaftBaseTimeouts {
  electionTimeoutMs: number;
  heartbeatTimeoutMs: number;
  leaderLeaseTimeoutMs: number;
}

/** hashicorp/raft's defaults, which Consul multiplies. */
export const RAFT_BASE_TIMEOUTS: RaftBaseTimeouts = {
  electionTimeoutMs: 1000,
  heartbeatTimeoutMs: 1000,
  leaderLeaseTimeoutMs: 500,
};

/** Consul's -dev bases (with multiplier 1). */
export const DEV_RAFT_BASE_TIMEOUTS: RaftBaseTimeouts = {
  electionTimeoutMs: 52,
  heartbeatTimeoutMs: 35,
  leaderLeaseTimeoutMs: 20,
};

export interface RaftTiming extends RaftBaseTimeouts {
  multiplier: number;
  /** hashicorp/raft CommitTimeout (not scaled). */
  commitTimeoutMs: number;
  /** RaftNode options: one tick per leader heartbeat interval. */
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
}

/** Ticks shorter than this cost more timer wakeups than they buy precision. */
const MIN_TICK_MS = 5;

/**
 * Timing for `multiplier`; throws Consul's message when it is outside 1..10.
 * Note: the core applies CheckQuorum over an election timeout (etcd's rule); hashicorp/raft's
 * separate leader lease is reported here for callers that need it.
 */
export function raftTiming(
  multiplier: number = DEFAULT_RAFT_MULTIPLIER,
  base: RaftBaseTimeouts = RAFT_BASE_TIMEOUTS,
): RaftTiming {
  if (!Number.isInteger(multiplier) || multiplier < 1 || multiplier > MAX_RAFT_MULTIPLIER) {
    throw new RangeError(
      `performance.raft_multiplier cannot be ${multiplier}. Must be between 1 and ${MAX_RAFT_MULTIPLIER}`,
    );
  }
  const electionTimeoutMs = base.electionTimeoutMs * multiplier;
  const heartbeatTimeoutMs = base.heartbeatTimeoutMs * multiplier;
  const leaderLeaseTimeoutMs = base.leaderLeaseTimeoutMs * multiplier;
  const tickMs = Math.max(MIN_TICK_MS, Math.round(heartbeatTimeoutMs / 10));
  return {
    multiplier,
    electionTimeoutMs,
    heartbeatTimeoutMs,
    leaderLeaseTimeoutMs,
    commitTimeoutMs: 50,
    tickMs,
    electionTicks: Math.max(2, Math.round(electionTimeoutMs / tickMs)),
    heartbeatTicks: 1,
  };
}
