// The membership configurations found in the log. A configuration takes effect when its entry
// is appended (Raft thesis 4.1, hashicorp/raft), so the one in force is the newest in the log,
// or the snapshot's when the log holds none; truncating the log can bring an older one back.
import type { Membership } from './types';

export class Configurations {
  /** Membership entries still in the in-memory log, oldest first. */
  private entries: { index: number; membership: Membership }[] = [];

  constructor(
    /** The configuration in force at the log's start (snapshot point). */
    private base: Membership,
    private baseIndex: number,
  ) {}

  latest(): Membership {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].membership : this.base;
  }

  /** Index of the entry that made the latest configuration (the snapshot point when none). */
  latestIndex(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].index : this.baseIndex;
  }

  /** The configuration in force right after `index`. */
  at(index: number): Membership {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].index <= index) return this.entries[i].membership;
    }
    return this.base;
  }

  add(index: number, membership: Membership): void {
    this.entries.push({ index, membership });
  }

  /** Forgets configurations of entries from `index` on; returns true when any was dropped. */
  truncateFrom(index: number): boolean {
    const before = this.entries.length;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].index >= index) {
      this.entries.pop();
    }
    return this.entries.length !== before;
  }

  /** The log was compacted up to `index`: fold what it covered into the base. */
  compactTo(index: number): void {
    while (this.entries.length > 0 && this.entries[0].index <= index) {
      const folded = this.entries.shift() as { index: number; membership: Membership };
      this.base = folded.membership;
    }
    this.baseIndex = Math.max(this.baseIndex, index);
  }

  /** An installed snapshot replaced the whole log. */
  reset(base: Membership, baseIndex: number): void {
    this.entries = [];
    this.base = base;
    this.baseIndex = baseIndex;
  }
}
