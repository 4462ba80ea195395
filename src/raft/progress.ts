// The leader's view of each follower (etcd's tracker.Progress) and quorum arithmetic.
import type { NodeId, SnapshotMeta } from './types';

/**
 * probe: one append in flight until the follower answers (we are searching for the match).
 * replicate: appends streamed optimistically, at most maxInflight unacknowledged messages.
 * snapshot: the follower needs entries we compacted; InstallSnapshot chunks until it has it.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding, so do not send another until an answer. */
  probeSent = false;
  /** Last index of each unacknowledged append, oldest first (replicate state). */
  private inflight: number[] = [];
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Newest ReadIndex round this follower acknowledged. */
  readAck = 0;
  snapshot: SnapshotMeta | null = null;
  snapshotOffset = 0;
  /** A chunk was acknowledged since the last heartbeat (no need to retransmit). */
  snapshotProgressed = false;

  constructor(
    readonly id: NodeId,
    next: number,
  ) {
    this.next = next;
  }

  isPaused(maxInflight: number): boolean {
    if (this.state === 'probe') return this.probeSent;
    if (this.state === 'replicate') return this.inflight.length >= maxInflight;
    return true;
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot index.
    const floor = this.state === 'snapshot' && this.snapshot !== null ? this.snapshot.index : 0;
    this.state = 'probe';
    this.next = Math.max(this.match, floor) + 1;
    this.resetFlow();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.resetFlow();
  }

  becomeSnapshot(meta: SnapshotMeta): void {
    this.state = 'snapshot';
    this.snapshot = meta;
    this.snapshotOffset = 0;
    this.snapshotProgressed = true;
    this.probeSent = false;
    this.inflight.length = 0;
  }

  private resetFlow(): void {
    this.probeSent = false;
    this.inflight.length = 0;
    this.snapshot = null;
    this.snapshotOffset = 0;
  }

  /** Records an append of entries up to `last` as sent. */
  sentAppend(last: number): void {
    if (this.state === 'replicate') {
      this.next = Math.max(this.next, last + 1);
      this.inflight.push(last);
    } else {
      this.probeSent = true;
    }
  }

  /** A heartbeat answered while the window is full: appends were probably lost, make room. */
  freeOneInflight(): void {
    if (this.state === 'replicate' && this.inflight.length >= 1) this.inflight.shift();
  }

  /** A success for `index` arrived; returns false when it told us nothing new. */
  acknowledge(index: number): boolean {
    let freed = 0;
    while (freed < this.inflight.length && this.inflight[freed] <= index) freed++;
    if (freed > 0) this.inflight.splice(0, freed);
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * A rejection of prevIndex `rejected` arrived; moves next back to `next`.
   * Returns false for a stale rejection (one we already moved past).
   */
  reject(rejected: number, next: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.becomeProbe();
    } else if (rejected !== this.next - 1) {
      return false;
    }
    this.next = Math.max(Math.min(rejected, next), this.match + 1);
    this.probeSent = false;
    return true;
  }
}

/**
 * The largest value v such that a majority of `values` are >= v (commit index, confirmed read
 * round). Sorts `values` in place; callers pass a scratch array.
 */
export function quorumValue(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => b - a);
  return values[Math.floor(values.length / 2)];
}
