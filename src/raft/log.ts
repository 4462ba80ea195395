// The in-memory Raft log since the last snapshot, as etcd's MemoryStorage + unstable keep it.
import type { LogEntry } from './types';

/**
 * Entries live in one array indexed by `index - offset - 1`: appends are amortised O(1), a
 * conflict truncation is O(1) (length cut), compaction copies once per snapshot.
 */
export class RaftLog {
  private entries: LogEntry[] = [];
  /** Index of the last entry folded into the snapshot (0 when none). */
  private offset: number;
  private offsetTerm: number;
  /** First index not yet known durable; entries from here on go into the next Ready. */
  private unstableFrom: number;

  constructor(snapshotIndex: number, snapshotTerm: number, persisted: LogEntry[]) {
    this.offset = snapshotIndex;
    this.offsetTerm = snapshotTerm;
    for (const entry of persisted) {
      if (entry.index <= this.offset) continue;
      if (entry.index !== this.lastIndex() + 1) {
        throw new Error(`log gap: expected index ${this.lastIndex() + 1}, got ${entry.index}`);
      }
      this.entries.push(entry);
    }
    this.unstableFrom = this.lastIndex() + 1;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  snapshotIndex(): number {
    return this.offset;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.offsetTerm : this.entries[this.entries.length - 1].term;
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return undefined;
    return this.entries[index - this.offset - 1].term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.offset || index > this.lastIndex()) return undefined;
    return this.entries[index - this.offset - 1];
  }

  /** Entries with lo <= index < hi, clipped to what is held. */
  slice(lo: number, hi: number): LogEntry[] {
    const from = Math.max(lo, this.offset + 1) - this.offset - 1;
    const to = Math.min(hi, this.lastIndex() + 1) - this.offset - 1;
    return to > from ? this.entries.slice(from, to) : [];
  }

  /** Raft's election restriction: is a log ending at (index, term) at least as up to date? */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  push(entry: LogEntry): void {
    this.entries.push(entry);
  }

  /**
   * Appends entries that follow a matched prefix, cutting the suffix at the first conflict
   * (same index, other term). Returns the index truncated from, or 0 when nothing was cut.
   */
  appendFromLeader(entries: LogEntry[]): number {
    let truncatedFrom = 0;
    let start = 0;
    // Skip what we already hold: re-delivered appends must not truncate entries a newer one added.
    while (start < entries.length) {
      const held = this.term(entries[start].index);
      if (held === undefined) break;
      if (held !== entries[start].term) {
        truncatedFrom = entries[start].index;
        this.entries.length = truncatedFrom - this.offset - 1;
        this.unstableFrom = Math.min(this.unstableFrom, truncatedFrom);
        break;
      }
      start++;
    }
    for (let i = start; i < entries.length; i++) this.entries.push(entries[i]);
    return truncatedFrom;
  }

  /** First index this log holds of the term at `index` (the conflict hint for fast back-off). */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index);
    let first = index;
    while (first - 1 > this.offset && this.term(first - 1) === term) first--;
    return first;
  }

  /**
   * Last index <= `from` holding `term`, or 0 when this log has no entry of that term there.
   * Terms only grow along the log, so the scan stops at the first smaller term.
   */
  lastIndexOfTerm(term: number, from: number): number {
    for (let i = Math.min(from, this.lastIndex()); i > this.offset; i--) {
      const t = this.entries[i - this.offset - 1].term;
      if (t === term) return i;
      if (t < term) return 0;
    }
    return this.offsetTerm === term && this.offset > 0 ? this.offset : 0;
  }

  /** Drops entries up to and including `upto` (covered by a snapshot). */
  compact(upto: number): void {
    if (upto <= this.offset) return;
    if (upto > this.lastIndex())
      throw new Error(`compact ${upto} beyond last index ${this.lastIndex()}`);
    this.offsetTerm = this.term(upto) as number;
    this.entries = this.entries.slice(upto - this.offset);
    this.offset = upto;
  }

  /** Replaces the whole log by an installed snapshot. */
  restore(index: number, term: number): void {
    this.entries = [];
    this.offset = index;
    this.offsetTerm = term;
    this.unstableFrom = index + 1;
  }

  unstableEntries(): LogEntry[] {
    return this.slice(this.unstableFrom, this.lastIndex() + 1);
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex();
  }

  /** Last index known durable on this server. */
  persistedIndex(): number {
    return this.unstableFrom - 1;
  }

  /**
   * Marks entries up to (index, term) durable. A same-term entry at the same index is the same
   * entry (log matching), so a truncation that raced the write does not invalidate it.
   */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index >= this.unstableFrom) this.unstableFrom = index + 1;
  }
}
