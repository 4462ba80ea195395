// One simulated server: a RaftCore plus the host duties of node.ts done synchronously against a
// SimDisk and a SimFsm. Shared by the randomized simulator and the focused unit tests.
import { RaftCore, type RaftCoreOptions } from '../core';
import type { RaftMessage } from '../messages';
import { seededRandom } from '../random';
import type { ReadState } from '../ready';
import type { LogEntry, NodeId, SnapshotMeta } from '../types';
import { SimDisk } from './disk';
import { SimFsm } from './fsm';

export type HostTuning = Omit<RaftCoreOptions, 'id' | 'random' | 'durable'> & {
  /** Applied entries between snapshots; 0 never snapshots. */
  snapshotEvery: number;
};

/** What the environment learns from a host; the simulator checks invariants here. */
export interface HostObserver {
  send(msg: RaftMessage): void;
  onPersist?(host: SimHost, entries: LogEntry[]): void;
  /** Commit moved from `from` to `to`; `leading` when a leader (or one that just stepped down) moved it. */
  onCommit?(host: SimHost, from: number, to: number, leading: boolean): void;
  onApply?(host: SimHost, entry: LogEntry): void;
  onRestore?(host: SimHost, index: number): void;
  onRead?(host: SimHost, read: ReadState): void;
  onLeader?(host: SimHost, term: number): void;
}

export class HostFault extends Error {
  override name = 'HostFault';
}

export class SimHost {
  readonly disk = new SimDisk();
  core: RaftCore | null = null;
  fsm = new SimFsm();
  lastApplied = 0;
  lastCommit = 0;
  starts = 0;
  /** Leader as of the last Ready handled. */
  leading = false;

  constructor(
    readonly id: NodeId,
    private readonly tuning: HostTuning,
    private readonly seed: number,
    private readonly observer: HostObserver,
  ) {}

  /** (Re)starts from what the disk holds: the volatile state of a previous run is gone. */
  start(): RaftCore {
    this.starts++;
    this.leading = false;
    const durable = this.disk.load();
    const snapshot = this.disk.latestSnapshot();
    this.fsm = new SimFsm();
    this.lastApplied = 0;
    if (snapshot !== null) this.restore(snapshot.meta, snapshot.data);
    this.lastCommit = Math.max(durable.hardState?.commit ?? 0, this.lastApplied);
    const core = new RaftCore({
      ...this.tuning,
      id: this.id,
      random: seededRandom(this.seed * 31 + this.starts * 1009 + idHash(this.id)),
      durable,
    });
    this.core = core;
    this.process();
    return core;
  }

  crash(): void {
    this.core = null;
  }

  /** Handles every pending Ready in the order ready.ts documents. */
  process(): void {
    const core = this.core;
    if (core === null) return;
    while (core.hasReady()) {
      const rd = core.ready();
      for (const chunk of rd.snapshotChunks) this.writeChunk(chunk.meta, chunk.offset, chunk.data);
      if (rd.snapshot !== undefined) this.install(rd.snapshot);
      if (rd.entries.length > 0) {
        this.observer.onPersist?.(this, rd.entries);
        this.disk.write(rd.entries);
      }
      if (rd.membership !== undefined) this.disk.membership = rd.membership;
      if (rd.hardState !== undefined) this.disk.hardState = rd.hardState;
      // The commit index is not always persisted (it is volatile), so learn it from both.
      const commit = Math.max(rd.hardState?.commit ?? 0, rd.committed.at(-1)?.index ?? 0);
      if (commit > this.lastCommit) {
        // A removed leader commits its removal and steps down in one step: it still led.
        this.observer.onCommit?.(this, this.lastCommit, commit, core.isLeader() || this.leading);
        this.lastCommit = commit;
      }
      for (const msg of rd.messages) {
        if (msg.type === 'snapshot') {
          const data = this.disk.readChunk(msg.meta.index, msg.offset, msg.length);
          if (data === null) continue; // superseded snapshot: the leader will move on
          msg.data = data;
        }
        this.observer.send(msg);
      }
      for (const entry of rd.committed) {
        if (entry.index !== this.lastApplied + 1) {
          throw new HostFault(`${this.id} applied index ${entry.index} after ${this.lastApplied}`);
        }
        this.fsm.apply(entry);
        this.lastApplied = entry.index;
        this.observer.onApply?.(this, entry);
      }
      core.advance(rd);
      for (const read of rd.readStates) this.observer.onRead?.(this, read);
      if (rd.softState !== undefined) this.leading = rd.softState.role === 'leader';
      if (rd.softState?.role === 'leader') this.observer.onLeader?.(this, rd.softState.term);
      const sinceSnapshot = this.lastApplied - (this.disk.latestSnapshot()?.meta.index ?? 0);
      if (this.tuning.snapshotEvery > 0 && sinceSnapshot >= this.tuning.snapshotEvery)
        this.takeSnapshot(core);
    }
  }

  private writeChunk(meta: SnapshotMeta, offset: number, data: Uint8Array): void {
    let sink = this.disk.sink;
    if (sink === null || sink.meta.index !== meta.index || sink.meta.term !== meta.term) {
      sink = { meta, data: new Uint8Array(meta.size), received: 0 };
      this.disk.sink = sink;
    }
    // After a restart the core starts over at 0 while the sink kept what it had: skip that part.
    const skip = sink.received - offset;
    if (skip < 0)
      throw new HostFault(
        `${this.id} got snapshot chunk at ${offset}, sink holds ${sink.received}`,
      );
    if (skip < data.length) {
      sink.data.set(data.subarray(skip), sink.received);
      sink.received += data.length - skip;
    }
  }

  private install(meta: SnapshotMeta): void {
    const sink = this.disk.sink;
    if (
      meta.size > 0 &&
      (sink === null || sink.meta.index !== meta.index || sink.received !== meta.size)
    ) {
      throw new HostFault(
        `${this.id} told to install snapshot ${meta.index} it has not fully received`,
      );
    }
    const data = sink?.data ?? new Uint8Array(0);
    this.disk.sink = null;
    this.disk.saveSnapshot(meta, data);
    this.disk.clearLog(meta.index);
    this.restore(meta, data);
  }

  private restore(meta: SnapshotMeta, data: Uint8Array): void {
    this.fsm.restore(data);
    if (this.fsm.applied !== meta.index) {
      throw new HostFault(
        `${this.id} snapshot ${meta.index} holds state of index ${this.fsm.applied}`,
      );
    }
    this.lastApplied = meta.index;
    this.observer.onRestore?.(this, meta.index);
  }

  private takeSnapshot(core: RaftCore): void {
    const index = this.lastApplied;
    const term = core.termAt(index);
    if (term === undefined) return; // just installed from a leader: stored already
    const data = this.fsm.snapshot();
    const meta: SnapshotMeta = {
      index,
      term,
      membership: core.membershipAt(index),
      size: data.length,
    };
    this.disk.saveSnapshot(meta, data);
    this.disk.compact(core.reportSnapshot(meta));
  }
}

/** Distinct servers must draw distinct election timeouts. */
function idHash(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (Math.imul(hash, 31) + id.charCodeAt(i)) >>> 0;
  return hash;
}
