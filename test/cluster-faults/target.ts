// What the workload needs from a replicated KV store under test (Consulate or etcd): servers to
// send requests to, the four operations, and the faults a nemesis can inflict on a server.

/** Consul's read modes; etcd maps `consistent` and `default` to linearizable reads. */
export type ReadMode = 'consistent' | 'default' | 'stale';

export interface ReadResult {
  value: string | null;
  /** What a later CAS compares with (Consul's ModifyIndex, etcd's mod_revision); null if absent. */
  version: string | null;
  /** X-Consul-LastContact of a stale read (ms); 0 on the leader. */
  lastContactMs?: number;
}

/**
 * The request certainly had no effect (connection refused, a 4xx): the recorder leaves it out.
 * Every other failure of a write leaves its outcome unknown.
 */
export class DefiniteFailure extends Error {}

export interface KvTarget {
  readonly name: string;
  readonly size: number;
  get(server: number, key: string, mode: ReadMode, signal: AbortSignal): Promise<ReadResult>;
  put(server: number, key: string, value: string, signal: AbortSignal): Promise<void>;
  /** Writes `value` iff the key still has `version` (null: iff the key is absent). */
  cas(
    server: number,
    key: string,
    version: string | null,
    value: string,
    signal: AbortSignal,
  ): Promise<boolean>;
  delete(server: number, key: string, signal: AbortSignal): Promise<void>;
}

/** A cluster the nemesis can hurt: processes by index and the network between them. */
export interface FaultableCluster {
  readonly size: number;
  /** The index of the server every running, reachable server names as leader, waiting for one. */
  leader(timeoutMs?: number): Promise<number>;
  kill(server: number): Promise<void>;
  restart(server: number): Promise<void>;
  pause(server: number): void;
  resume(server: number): void;
  /** The last lines each server logged, for failure reports. */
  logs(): string;
  /** Raft indexes as `server` reports them (null when it does not answer). */
  raftIndexes?(server: number): Promise<RaftIndexes | null>;
  /**
   * Waits until every server is a voter again: gossip marks a killed, paused or cut-off server
   * failed and autopilot removes it from the Raft configuration, then adds it back as a
   * non-voter and promotes it once stable (Consul's CleanupDeadServers). Until then one more
   * failure costs the quorum, so the nemesis waits for this between faults.
   */
  settled?(timeoutMs?: number): Promise<void>;
  /** raft_trailing_logs the servers keep behind a snapshot. */
  readonly trailingLogs?: number;
}

export interface RaftIndexes {
  lastLogIndex: number;
  appliedIndex: number;
  lastSnapshotIndex: number;
}

/** fetch with the failure classified: refused connections are definite, the rest unknown. */
export async function request(
  url: string,
  init: RequestInit & { signal: AbortSignal },
): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') throw new DefiniteFailure(`${url}: connection refused`);
    throw error;
  }
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const why = last === null ? '' : ` (last error: ${String(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
