// In-memory RaftStorage for -dev agents and tests: the same semantics as the SQLite storage
// (write-through log, stable store, two newest snapshots, resumable sinks), minus durability.
import type { HardState, LogEntry, Membership, SnapshotMeta } from '../types';
import type {
  LogStore,
  PersistBatch,
  RaftDurableState,
  RaftStorage,
  SnapshotSink,
  SnapshotStore,
  StableStore,
} from './types';

class MemoryLogStore implements LogStore {
  /** entries[i] has index first + i. */
  private entries: LogEntry[] = [];
  private first = 1;

  async append(entries: LogEntry[]): Promise<void> {
    this.appendSync(entries);
  }

  appendSync(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    if (this.entries.length === 0) this.first = entries[0].index;
    const expected = this.first + this.entries.length;
    if (entries[0].index !== expected) {
      throw new Error(`log append at index ${entries[0].index}, expected ${expected}`);
    }
    for (const entry of entries) this.entries.push(entry);
  }

  async range(lo: number, hi: number): Promise<LogEntry[]> {
    return this.rangeSync(lo, hi);
  }

  rangeSync(lo: number, hi: number): LogEntry[] {
    const from = Math.max(lo - this.first, 0);
    const to = Math.min(hi - this.first, this.entries.length);
    return to > from ? this.entries.slice(from, to) : [];
  }

  async truncateSuffix(from: number): Promise<void> {
    this.truncateSuffixSync(from);
  }

  truncateSuffixSync(from: number): void {
    if (from < this.first) this.entries = [];
    else if (from - this.first < this.entries.length) this.entries.length = from - this.first;
  }

  async deletePrefix(upto: number): Promise<void> {
    if (upto < this.first) return;
    this.entries = this.entries.slice(Math.min(upto - this.first + 1, this.entries.length));
    this.first = upto + 1;
  }

  async firstIndex(): Promise<number> {
    return this.entries.length === 0 ? 0 : this.first;
  }

  async lastIndex(): Promise<number> {
    return this.entries.length === 0 ? 0 : this.first + this.entries.length - 1;
  }
}

class MemoryStableStore implements StableStore {
  private hardState: HardState | null = null;
  private membership: Membership | null = null;

  async loadHardState(): Promise<HardState | null> {
    return this.hardState === null ? null : { ...this.hardState };
  }

  async saveHardState(state: HardState): Promise<void> {
    this.hardState = { ...state };
  }

  async loadMembership(): Promise<Membership | null> {
    return this.membership;
  }

  async saveMembership(membership: Membership): Promise<void> {
    this.membership = membership;
  }
}

interface StoredSnapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

class MemorySnapshotSink implements SnapshotSink {
  private readonly buffer: Uint8Array;
  private written = 0;
  private closed = false;

  constructor(
    readonly meta: SnapshotMeta,
    private readonly store: MemorySnapshotStore,
  ) {
    this.buffer = new Uint8Array(meta.size);
  }

  get received(): number {
    return this.written;
  }

  async write(offset: number, chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`snapshot sink ${this.meta.index} is closed`);
    if (offset !== this.written) {
      throw new Error(`snapshot chunk at offset ${offset}, expected ${this.written}`);
    }
    if (offset + chunk.length > this.meta.size) {
      throw new Error(
        `snapshot chunk ends at ${offset + chunk.length}, beyond size ${this.meta.size}`,
      );
    }
    this.buffer.set(chunk, offset);
    this.written += chunk.length;
  }

  async finish(): Promise<SnapshotMeta> {
    if (this.written !== this.meta.size) {
      throw new Error(
        `snapshot ${this.meta.index} incomplete: ${this.written} of ${this.meta.size} bytes`,
      );
    }
    this.closed = true;
    this.store.closeSink(this);
    return this.store.saveSync(this.meta, this.buffer);
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.store.closeSink(this);
  }
}

class MemorySnapshotStore implements SnapshotStore {
  /** Newest last; at most two kept. */
  private snapshots: StoredSnapshot[] = [];
  private readonly sinks = new Map<string, MemorySnapshotSink>();

  async save(meta: Omit<SnapshotMeta, 'size'>, data: Uint8Array): Promise<SnapshotMeta> {
    return this.saveSync(meta, data);
  }

  saveSync(meta: Omit<SnapshotMeta, 'size'>, data: Uint8Array): SnapshotMeta {
    const stored: SnapshotMeta = {
      index: meta.index,
      term: meta.term,
      membership: meta.membership,
      size: data.length,
    };
    this.snapshots = this.snapshots.filter((s) => s.meta.index !== meta.index);
    this.snapshots.push({ meta: stored, data: data.slice() });
    this.snapshots.sort((a, b) => a.meta.index - b.meta.index);
    if (this.snapshots.length > 2) this.snapshots = this.snapshots.slice(-2);
    return stored;
  }

  async latest(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null> {
    const newest = this.snapshots[this.snapshots.length - 1];
    return newest === undefined ? null : { meta: newest.meta, data: newest.data };
  }

  latestMeta(): SnapshotMeta | null {
    return this.snapshots[this.snapshots.length - 1]?.meta ?? null;
  }

  async readChunk(index: number, offset: number, length: number): Promise<Uint8Array> {
    const stored = this.snapshots.find((s) => s.meta.index === index);
    if (stored === undefined) throw new Error(`no snapshot at index ${index}`);
    return stored.data.subarray(offset, Math.min(offset + length, stored.data.length));
  }

  async openSink(meta: SnapshotMeta): Promise<SnapshotSink> {
    const key = `${meta.index}:${meta.term}`;
    const pending = this.sinks.get(key);
    if (pending !== undefined && pending.meta.size === meta.size) return pending;
    const sink = new MemorySnapshotSink(meta, this);
    this.sinks.set(key, sink);
    return sink;
  }

  closeSink(sink: MemorySnapshotSink): void {
    const key = `${sink.meta.index}:${sink.meta.term}`;
    if (this.sinks.get(key) === sink) this.sinks.delete(key);
  }
}

export class MemoryStorage implements RaftStorage {
  readonly log = new MemoryLogStore();
  readonly stable = new MemoryStableStore();
  readonly snapshots = new MemorySnapshotStore();

  async load(): Promise<RaftDurableState> {
    const snapshot = this.snapshots.latestMeta();
    const last = await this.log.lastIndex();
    const from = Math.max(await this.log.firstIndex(), (snapshot?.index ?? 0) + 1);
    return {
      hardState: await this.stable.loadHardState(),
      membership: await this.stable.loadMembership(),
      entries: last === 0 ? [] : this.log.rangeSync(from, last + 1),
      snapshot,
    };
  }

  async persist(batch: PersistBatch): Promise<void> {
    if (batch.entries.length > 0) {
      this.log.truncateSuffixSync(batch.entries[0].index);
      this.log.appendSync(batch.entries);
    }
    if (batch.hardState !== undefined) await this.stable.saveHardState(batch.hardState);
    if (batch.membership !== undefined) await this.stable.saveMembership(batch.membership);
  }

  async compact(upto: number): Promise<void> {
    await this.log.deletePrefix(upto);
  }

  async close(): Promise<void> {}
}
