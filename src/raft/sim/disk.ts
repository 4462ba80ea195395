// A simulated server's durable state: what survives a crash. Writes are atomic per Ready.
import type { RaftDurableState } from '../storage/types';
import type { HardState, LogEntry, Membership, SnapshotMeta } from '../types';

export interface StoredSnapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export class SimDisk {
  hardState: HardState | null = null;
  membership: Membership | null = null;
  /** Contiguous; entries[0].index === first. */
  private entries: LogEntry[] = [];
  private first = 1;
  private snapshots: StoredSnapshot[] = [];
  sink: { meta: SnapshotMeta; data: Uint8Array; received: number } | null = null;

  load(): RaftDurableState {
    const snapshot = this.latestSnapshot()?.meta ?? null;
    const from = (snapshot?.index ?? 0) + 1;
    return {
      hardState: this.hardState === null ? null : { ...this.hardState },
      membership: this.membership,
      entries: this.entries.slice(Math.max(from - this.first, 0)),
      snapshot,
    };
  }

  /** Replaces every entry from entries[0].index on (conflict truncation), then appends. */
  write(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    if (this.entries.length === 0) this.first = entries[0].index;
    const cut = entries[0].index - this.first;
    if (cut < 0 || cut > this.entries.length) {
      throw new Error(
        `disk write at ${entries[0].index} leaves a gap (disk holds ${this.first}..${this.lastIndex()})`,
      );
    }
    this.entries.length = cut;
    for (const entry of entries) this.entries.push(entry);
  }

  lastIndex(): number {
    return this.first + this.entries.length - 1;
  }

  /** The term stored at `index`, counting a snapshot as holding everything up to its index. */
  holds(index: number, term: number): boolean {
    const snapshot = this.latestSnapshot();
    if (snapshot !== null && snapshot.meta.index >= index) return true;
    return this.entries[index - this.first]?.term === term;
  }

  compact(upto: number): void {
    const drop = Math.min(upto - this.first + 1, this.entries.length);
    if (drop <= 0) return;
    this.entries = this.entries.slice(drop);
    this.first += drop;
  }

  clearLog(after: number): void {
    this.entries = [];
    this.first = after + 1;
  }

  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    this.snapshots.push({ meta, data });
    if (this.snapshots.length > 2) this.snapshots.shift();
  }

  latestSnapshot(): StoredSnapshot | null {
    return this.snapshots[this.snapshots.length - 1] ?? null;
  }

  readChunk(index: number, offset: number, length: number): Uint8Array | null {
    const stored = this.snapshots.find((s) => s.meta.index === index);
    return stored === undefined ? null : stored.data.subarray(offset, offset + length);
  }
}
