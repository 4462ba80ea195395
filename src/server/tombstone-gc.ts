// Leader duty: reap KV tombstones once they are older than tombstone_ttl (Consul's TombstoneGC).
// Deletes hint the Raft index they were applied at; hints are bucketed by expiry time so that one
// reap command covers everything that expired in the same granule.

export interface TombstoneGcOptions {
  ttlMs: number;
  /** Proposes `{type: 'tombstone-reap', upto}`; failures are logged by the caller. */
  reap: (upto: number) => Promise<void>;
  now?: () => number;
}

export class TombstoneGc {
  private readonly granularityMs: number;
  private readonly buckets = new Map<number, { upto: number; timer: NodeJS.Timeout }>();
  private enabled = false;
  private readonly now: () => number;

  constructor(private readonly options: TombstoneGcOptions) {
    // Consul reaps in 30s granules for its 15m default; small TTLs (tests) get finer granules.
    this.granularityMs = Math.max(10, Math.min(30_000, Math.floor(options.ttlMs / 4)));
    this.now = options.now ?? Date.now;
  }

  /** Only the leader reaps; losing leadership forgets the pending buckets. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (!enabled) this.clear();
  }

  /** Tombstones exist up to `index`; they may be reaped after the TTL. */
  hint(index: number): void {
    if (!this.enabled) return;
    const expires =
      Math.ceil((this.now() + this.options.ttlMs) / this.granularityMs) * this.granularityMs;
    const bucket = this.buckets.get(expires);
    if (bucket !== undefined) {
      bucket.upto = Math.max(bucket.upto, index);
      return;
    }
    const timer = setTimeout(() => this.expire(expires), Math.max(0, expires - this.now()));
    timer.unref();
    this.buckets.set(expires, { upto: index, timer });
  }

  /** Number of pending reap buckets (for stats). */
  get pending(): number {
    return this.buckets.size;
  }

  stop(): void {
    this.enabled = false;
    this.clear();
  }

  private expire(expires: number): void {
    const bucket = this.buckets.get(expires);
    if (bucket === undefined) return;
    this.buckets.delete(expires);
    void this.options.reap(bucket.upto);
  }

  private clear(): void {
    for (const bucket of this.buckets.values()) clearTimeout(bucket.timer);
    this.buckets.clear();
  }
}
