// Where a server's writes and reads go. Writes are proposed on the leader: a follower forwards
// them over the server port and waits (up to rpc_hold_timeout) for a leader when there is none.
// Reads are answered from the local state store once it has caught up with the leader: a
// follower asks the leader for its commit index (after a quorum round for `?consistent`) and
// waits until it has applied that far, so that a read served anywhere sees every write
// acknowledged before it started, as a read forwarded to the leader would.
import {
  RpcConnectionError,
  RpcRemoteError,
  RpcTimeoutError,
  type ConnPool,
  type RpcMethod,
} from '../rpc';
import {
  LeadershipLostError,
  NotLeaderError,
  StorageUnavailableError,
  type RaftHandle,
} from '../raft';
import { RaftApply, RaftReadIndex, type ApplyReply } from './raft-rpc';

/** Consul's rpc_hold_timeout: how long a request waits for a leader before `No cluster leader`. */
export const RPC_HOLD_TIMEOUT_MS = 7000;
const RETRY_PAUSE_MS = 50;
/**
 * How long a write forwarded to the leader may take (Consul's rpc_client_timeout): far longer
 * than any apply, short of forever when the leader stopped answering without closing.
 */
const WRITE_TIMEOUT_MS = 60_000;

export class LeaderForwarder {
  constructor(
    private readonly raft: RaftHandle,
    readonly pool: ConnPool,
    private readonly holdTimeoutMs = RPC_HOLD_TIMEOUT_MS,
  ) {}

  /** Proposes `command` on the leader, wherever it is; resolves once it is applied there. */
  async apply(command: Uint8Array, signal?: AbortSignal): Promise<ApplyReply> {
    const deadline = Date.now() + this.holdTimeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.raft.isLeader()) {
        try {
          return await this.raft.propose(command);
        } catch (err) {
          // Not leader any more before the entry was appended: nothing was applied; try the new
          // leader. (Losing it after appending is LeadershipLostError: the outcome is unknown.)
          if (!(err instanceof NotLeaderError)) throw err;
        }
      } else {
        const leader = this.raft.status().leaderAddress;
        if (leader !== null) {
          try {
            // A leader that stopped answering (SIGSTOP, a cut link) must not hold the write forever.
            return await this.pool.call(
              leader,
              RaftApply,
              { command },
              { signal, timeoutMs: WRITE_TIMEOUT_MS },
            );
          } catch (err) {
            if (!retryableWrite(err)) throw localError(err);
          }
        }
      }
      if (Date.now() >= deadline) throw new NotLeaderError(null, null);
      await this.leaderOrPause(deadline, signal);
    }
  }

  /**
   * Runs `local` on the leader: here when this server leads, else through `method` on the leader
   * (operator calls: remove a peer, transfer leadership). Retried while no leader is known.
   */
  async onLeader<Args, Reply>(
    method: RpcMethod<Args, Reply>,
    args: Args,
    local: () => Promise<Reply>,
  ): Promise<Reply> {
    const deadline = Date.now() + this.holdTimeoutMs;
    for (;;) {
      if (this.raft.isLeader()) return local();
      const leader = this.raft.status().leaderAddress;
      if (leader !== null) {
        try {
          return await this.pool.call(leader, method, args, { timeoutMs: WRITE_TIMEOUT_MS });
        } catch (err) {
          if (!retryableWrite(err)) throw localError(err);
        }
      }
      if (Date.now() >= deadline) throw new NotLeaderError(null, null);
      await this.leaderOrPause(deadline);
    }
  }

  /**
   * Resolves with an index the local store must reach before a read may be served: the
   * leader's commit index (confirmed by a quorum when `consistent`). On the leader itself the
   * index is already applied, or readBarrier waits for it.
   */
  async readIndex(consistent: boolean, signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + this.holdTimeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.raft.isLeader()) {
        if (consistent) return this.raft.readBarrier();
        return this.raft.status().appliedIndex;
      }
      const leader = this.raft.status().leaderAddress;
      if (leader !== null) {
        try {
          const { index } = await this.pool.call(
            leader,
            RaftReadIndex,
            { consistent },
            { signal, timeoutMs: remainingMs(deadline) },
          );
          await this.appliedUpTo(index, deadline, signal);
          return index;
        } catch (err) {
          // A read has no side effect: any failure short of the deadline is worth another try.
          if (signal?.aborted) throw localError(err);
          // The leader it knew never answered in time: as good as no leader.
          if (Date.now() >= deadline) {
            throw err instanceof RpcTimeoutError ? new NotLeaderError(null, null) : localError(err);
          }
        }
      }
      if (Date.now() >= deadline) throw new NotLeaderError(null, null);
      await this.leaderOrPause(deadline, signal);
    }
  }

  /** Waits until this server has applied `index` (it is behind the leader by a few entries). */
  private appliedUpTo(index: number, deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.raft.status().appliedIndex >= index) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error: unknown): void => {
        off();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === null) resolve();
        else reject(error);
      };
      const off = this.raft.onApplied((applied) => {
        if (applied >= index) finish(null);
      });
      const onAbort = (): void => finish(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () => finish(new Error(`this server did not catch up to index ${index} in time`)),
        Math.max(0, deadline - Date.now()),
      );
    });
  }

  /** Resolves when a leader is known, after a short pause, or at the deadline. */
  private leaderOrPause(deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        off();
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const off = this.raft.onLeaderChange(() => setTimeout(finish, 0));
      const wait = Math.max(0, Math.min(RETRY_PAUSE_MS * 4, deadline - Date.now()));
      const timer = setTimeout(
        finish,
        this.raft.status().leaderId === null ? wait : RETRY_PAUSE_MS,
      );
      signal?.addEventListener('abort', finish, { once: true });
    });
  }
}

/** What is left of the hold timeout for one call (at least 1 ms: 0 would mean none). */
function remainingMs(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

/** A forwarded write may be retried only when the leader certainly did not receive it. */
function retryableWrite(err: unknown): boolean {
  if (err instanceof RpcConnectionError) return !err.mayHaveArrived;
  return err instanceof RpcRemoteError && err.remoteName === 'NotLeaderError';
}

/** The remote server's error as the local layers know it (the HTTP layer maps these). */
function localError(err: unknown): unknown {
  if (!(err instanceof RpcRemoteError)) return err;
  if (err.remoteName === 'NotLeaderError') return new NotLeaderError(null, null);
  if (err.remoteName === 'LeadershipLostError') return new LeadershipLostError();
  if (err.remoteName === 'StorageUnavailableError') {
    const reason = err.message.replace(/^Raft log write failed: /, '');
    return new StorageUnavailableError(reason, err);
  }
  return err;
}
