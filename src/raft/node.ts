// The host loop: drives a RaftCore with a real clock, a RaftStorage, a StateMachine and a
// Transport. All I/O of Raft happens here; the protocol itself lives in core.ts.
import type { Logger } from 'pino';
import { metrics } from '../telemetry';
import { RaftCore } from './core';
import { bootstrapState, findServer } from './membership';
import { isLeaderReplication, type RaftMessage, type SnapshotChunkRequest } from './messages';
import { seededRandom } from './random';
import type { Ready, SnapshotChunk } from './ready';
import { retryableStorageFailure, StorageUnavailableError } from './storage-failure';
import type { RaftDurableState, RaftStorage, SnapshotSink } from './storage/types';
import type { Transport } from './transport/types';
import {
  EntryType,
  LeadershipLostError,
  NotLeaderError,
  type Membership,
  type NodeId,
  type PeerStats,
  type RaftHandle,
  type RaftStatus,
  type ServerInfo,
  type SnapshotMeta,
  type StateMachine,
} from './types';

const MAX_RETRY_DELAY_MS = 2000;
const SNAPSHOT_RETRY_MS = 30_000;

/** Thrown out of a storage retry when the node stops meanwhile. */
class StorageRetryAborted extends Error {}

export interface RaftNodeOptions {
  id: NodeId;
  address: string;
  storage: RaftStorage;
  fsm: StateMachine;
  /** Absent for a single-server cluster. */
  transport?: Transport;
  /** The initial configuration; used only when storage is empty. */
  bootstrap?: Membership;
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  /** Entries applied since the last snapshot before taking one. */
  snapshotThreshold?: number;
  trailingLogs?: number;
  maxInflight?: number;
  seed?: number;
  logger?: Logger;
}

interface PendingEntry {
  term: number;
  resolve(value: { index: number; result: unknown }): void;
  reject(error: unknown): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Concurrent readBarrier() calls of one turn share one ReadIndex round. */
interface ReadBatch {
  id: number;
  index: number | null;
  waiters: Waiter<number>[];
}

export class RaftNode implements RaftHandle {
  private core: RaftCore | null = null;
  private readonly tickMs: number;
  private readonly snapshotThreshold: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private scheduled = false;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private failed: unknown = null;
  /** Set while storage refuses writes (disk full…): proposals fail fast, reads go on. */
  private degraded: StorageUnavailableError | null = null;
  /** Cuts a storage retry's back-off sleep short when the node stops. */
  private wakeRetry: (() => void) | null = null;
  /** No snapshot attempt before this time (epoch ms) after one failed. */
  private snapshotNotBefore = 0;

  private readonly pending = new Map<number, PendingEntry>();
  private readonly reads = new Map<number, ReadBatch>();
  private openRead: ReadBatch | null = null;
  private nextReadId = 0;
  private transfer: Waiter<void> | null = null;
  private readonly appliedListeners = new Set<(appliedIndex: number) => void>();
  private readonly leaderListeners = new Set<(leaderId: NodeId | null) => void>();
  private leaderId: NodeId | null = null;
  /** Role of the last soft state seen, for the raft.state.* counters. */
  private lastRole: string | null = null;
  private lastContact = 0;
  /** When each peer last sent us anything (epoch ms): autopilot's last-contact input. */
  private readonly lastHeard = new Map<NodeId, number>();
  /** Set while bootstrapCluster rebuilds the core: messages meanwhile are dropped. */
  private bootstrapping = false;
  private snapshotIndex = 0;
  private sink: SnapshotSink | null = null;
  /** Senders outside our configuration (a leader seen before the entry that adds us). */
  private readonly addressBook = new Map<NodeId, ServerInfo>();

  constructor(private readonly options: RaftNodeOptions) {
    this.tickMs = options.tickMs ?? 50;
    this.snapshotThreshold = options.snapshotThreshold ?? 16384;
  }

  /** Loads durable state, restores the newest snapshot and starts ticking and listening. */
  async start(): Promise<void> {
    const { storage, fsm, bootstrap } = this.options;
    let durable = await storage.load();
    const empty =
      durable.hardState === null && durable.entries.length === 0 && durable.snapshot === null;
    if (empty && bootstrap !== undefined) {
      const { entry, hardState } = bootstrapState(bootstrap);
      await storage.persist({ entries: [entry], hardState, membership: bootstrap });
      durable = await storage.load();
    }
    if (durable.snapshot !== null) {
      const latest = await storage.snapshots.latest();
      if (latest === null || latest.meta.index !== durable.snapshot.index) {
        throw new Error(`snapshot ${durable.snapshot.index} listed by storage cannot be read`);
      }
      fsm.restore(latest.data, latest.meta);
      this.snapshotIndex = latest.meta.index;
    }
    const core = this.newCore(durable);
    this.core = core;
    await this.options.transport?.start((msg) => this.receive(msg));
    this.timer = setInterval(() => {
      if (this.bootstrapping) return;
      this.core?.tick();
      this.schedule();
    }, this.tickMs);
    this.campaignIfAlone(core);
    this.schedule();
  }

  private newCore(durable: RaftDurableState): RaftCore {
    return new RaftCore({
      id: this.options.id,
      random: seededRandom(this.options.seed ?? Math.floor(Math.random() * 2 ** 32)),
      durable,
      electionTicks: this.options.electionTicks,
      heartbeatTicks: this.options.heartbeatTicks,
      trailingLogs: this.options.trailingLogs,
      maxInflight: this.options.maxInflight,
    });
  }

  /** A lone voter has nobody to wait for: it elects itself at once (the -dev agent). */
  private campaignIfAlone(core: RaftCore): void {
    const voters = core.membership().servers.filter((s) => s.voter);
    if (voters.length === 1 && voters[0].id === this.options.id) core.campaign();
  }

  async bootstrapCluster(membership: Membership): Promise<boolean> {
    const { storage } = this.options;
    this.running();
    this.bootstrapping = true;
    try {
      await this.loop; // nothing of the empty core may still be on its way to storage
      const durable = await storage.load();
      const empty =
        durable.hardState === null && durable.entries.length === 0 && durable.snapshot === null;
      if (!empty || this.core?.membership().servers.length !== 0) return false;
      const { entry, hardState } = bootstrapState(membership);
      await storage.persist({ entries: [entry], hardState, membership });
      const core = this.newCore(await storage.load());
      this.core = core;
      this.campaignIfAlone(core);
      this.options.logger?.info(
        { servers: membership.servers.map((server) => server.id) },
        'bootstrapped the cluster configuration',
      );
      return true;
    } finally {
      this.bootstrapping = false;
      this.schedule();
    }
  }

  peerStats(): PeerStats[] {
    const core = this.core;
    if (core === null || !core.isLeader()) return [];
    const now = Date.now();
    const matches = new Map(core.followerMatches().map((f) => [f.id, f.match]));
    return core
      .membership()
      .servers.filter((server) => server.id !== this.options.id)
      .map((server) => {
        const heard = this.lastHeard.get(server.id);
        return {
          id: server.id,
          address: server.address,
          voter: server.voter,
          matchIndex: matches.get(server.id) ?? 0,
          lastContactMs: heard === undefined ? -1 : now - heard,
        };
      });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.wakeRetry?.();
    await this.loop;
    await this.options.transport?.close();
    this.failAll(new NotLeaderError(null, null));
  }

  // ---- RaftHandle ---------------------------------------------------------------------------

  propose(data: Uint8Array): Promise<{ index: number; result: unknown }> {
    metrics.incrCounter('raft.apply');
    const started = performance.now();
    const applied = this.submit((core) => core.propose(EntryType.Command, data));
    void applied.then(
      () => metrics.measureSince('raft.commitTime', started),
      () => undefined,
    );
    return applied;
  }

  readBarrier(): Promise<number> {
    const core = this.running();
    if (!core.isLeader()) return Promise.reject(this.notLeader());
    // The confirming round needs the loop, which is busy retrying storage.
    if (this.degraded !== null) return Promise.reject(this.degraded);
    let batch = this.openRead;
    if (batch === null) {
      batch = { id: ++this.nextReadId, index: null, waiters: [] };
      core.readIndex(batch.id);
      this.reads.set(batch.id, batch);
      this.openRead = batch;
      this.schedule();
    }
    const joined = batch;
    return new Promise((resolve, reject) => joined.waiters.push({ resolve, reject }));
  }

  status(): RaftStatus {
    const s = this.running().status();
    return {
      id: s.id,
      role: s.role,
      term: s.term,
      leaderId: s.leaderId,
      leaderAddress: this.running().leaderAddress(),
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lastLogIndex: s.lastIndex,
      lastLogTerm: s.lastTerm,
      lastSnapshotIndex: s.snapshot?.index ?? 0,
      lastSnapshotTerm: s.snapshot?.term ?? 0,
      membership: s.membership,
      membershipIndex: s.membershipIndex,
      lastContactMs:
        s.role === 'leader' ? 0 : this.lastContact === 0 ? -1 : Date.now() - this.lastContact,
    };
  }

  isLeader(): boolean {
    return this.core?.isLeader() ?? false;
  }

  onApplied(listener: (appliedIndex: number) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  onLeaderChange(listener: (leaderId: NodeId | null) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  async addVoter(id: NodeId, address: string): Promise<void> {
    await this.submit((core) => core.addVoter(id, address));
  }

  async addNonVoter(id: NodeId, address: string): Promise<void> {
    await this.submit((core) => core.addNonVoter(id, address));
  }

  async promote(id: NodeId): Promise<void> {
    await this.submit((core) => core.promote(id));
  }

  async removeServer(id: NodeId): Promise<void> {
    await this.submit((core) => core.removeServer(id));
  }

  transferLeadership(to?: NodeId): Promise<void> {
    const core = this.running();
    try {
      core.transferLeadership(to);
    } catch (err) {
      return Promise.reject(err);
    }
    this.schedule();
    return new Promise((resolve, reject) => {
      this.transfer?.reject(new Error('superseded by another leadership transfer'));
      this.transfer = { resolve, reject };
    });
  }

  // ---- the loop -----------------------------------------------------------------------------

  /** Appends through `append` and resolves once that entry is applied. */
  private submit(append: (core: RaftCore) => number): Promise<{ index: number; result: unknown }> {
    const core = this.running();
    if (this.degraded !== null) return Promise.reject(this.degraded);
    let index: number;
    try {
      index = append(core);
    } catch (err) {
      return Promise.reject(err);
    }
    // Group commit: every proposal of this turn rides the same Ready and the same persist().
    this.schedule();
    return new Promise((resolve, reject) =>
      this.pending.set(index, { term: core.currentTerm(), resolve, reject }),
    );
  }

  private receive(msg: RaftMessage): void {
    if (this.stopped || this.bootstrapping || this.core === null || msg.to !== this.options.id) {
      return;
    }
    this.lastHeard.set(msg.from, Date.now());
    if (msg.type === 'append' || msg.type === 'heartbeat' || msg.type === 'snapshot') {
      this.lastContact = Date.now();
    }
    if (msg.fromAddress !== undefined && !this.addressBook.has(msg.from)) {
      this.addressBook.set(msg.from, { id: msg.from, address: msg.fromAddress, voter: false });
    }
    this.core.step(msg);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.bootstrapping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.loop === null) this.loop = this.runLoop().finally(() => (this.loop = null));
      else this.scheduled = true; // the running loop drains everything; re-check when it ends
    });
  }

  private async runLoop(): Promise<void> {
    try {
      const core = this.running();
      while (!this.stopped && core.hasReady()) {
        this.openRead = null; // its heartbeat round leaves with this Ready
        await this.handleReady(core, core.ready());
      }
    } catch (err) {
      if (err instanceof StorageRetryAborted) {
        this.failAll(new NotLeaderError(null, null));
      } else {
        // Storage corruption or an FSM failure: this server can no longer keep its promises.
        this.failed = err;
        this.options.logger?.error({ err }, 'raft loop failed; stopping this server');
        this.stopped = true;
        if (this.timer !== null) clearInterval(this.timer);
        this.failAll(err);
      }
    }
    if (this.scheduled) {
      this.scheduled = false;
      this.schedule();
    }
  }

  /**
   * Runs a storage write until it succeeds. While it fails for a reason storage may recover
   * from (a full disk…), the node is degraded: the proposals waiting on it and every new one
   * fail at once, reads go on, and the write is retried with back-off. Holding the same Ready
   * until it is durable keeps the core exactly in step with what storage holds: nothing is
   * acknowledged or applied before it is persisted, and nothing persisted is lost.
   */
  private async retryStorage<T>(what: string, write: () => Promise<T>): Promise<T> {
    let delayMs = 50;
    let since = 0;
    for (;;) {
      try {
        const result = await write();
        if (this.degraded !== null) {
          this.options.logger?.warn(
            { what, degradedForMs: Date.now() - since },
            'raft storage accepts writes again; resuming',
          );
          this.degraded = null;
        }
        return result;
      } catch (err) {
        const reason = retryableStorageFailure(err);
        if (reason === null) throw err;
        if (this.degraded === null) {
          since = Date.now();
          this.degraded = new StorageUnavailableError(reason, err);
          this.options.logger?.error(
            { err, what },
            `${this.degraded.message}; refusing writes, serving reads, retrying with back-off`,
          );
          // Their entries ride this very write; they are answered now, not when space returns.
          this.failPending(this.degraded);
        }
      }
      if (this.stopped) throw new StorageRetryAborted();
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, delayMs);
        this.wakeRetry = () => {
          clearTimeout(timer);
          wake();
        };
      });
      this.wakeRetry = null;
      if (this.stopped) throw new StorageRetryAborted();
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }

  private async handleReady(core: RaftCore, rd: Ready): Promise<void> {
    const afterPersist: RaftMessage[] = [];
    for (const msg of rd.messages) {
      if (isLeaderReplication(msg)) this.send(msg);
      else afterPersist.push(msg);
    }
    for (const chunk of rd.snapshotChunks) await this.writeChunk(chunk);
    if (rd.snapshot !== undefined) await this.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0 || rd.hardState !== undefined || rd.membership !== undefined) {
      await this.retryStorage('append to the raft log', () =>
        this.options.storage.persist({
          entries: rd.entries,
          hardState: rd.hardState,
          membership: rd.membership,
        }),
      );
    }
    for (const msg of afterPersist) this.send(msg);
    this.apply(rd);
    core.advance(rd);
    for (const read of rd.readStates) {
      const batch = this.reads.get(read.requestId);
      if (batch !== undefined) batch.index = read.index;
    }
    if (rd.committed.length > 0 || rd.snapshot !== undefined || rd.readStates.length > 0) {
      this.serveReads(core.appliedIndex());
    }
    if (rd.softState !== undefined) {
      if (rd.softState.role !== this.lastRole) {
        this.lastRole = rd.softState.role;
        metrics.incrCounter(
          `raft.state.${rd.softState.role === 'pre-candidate' ? 'candidate' : rd.softState.role}`,
        );
      }
      this.leadershipChanged(core, rd.softState.leaderId);
    }
    if (this.transfer !== null) {
      if (!core.isLeader()) this.transfer.resolve();
      else if (core.status().leadTransferee === null)
        this.transfer.reject(new Error('leadership transfer timed out'));
      if (!core.isLeader() || core.status().leadTransferee === null) this.transfer = null;
    }
    if (
      core.appliedIndex() - this.snapshotIndex >= this.snapshotThreshold &&
      Date.now() >= this.snapshotNotBefore
    ) {
      await this.takeSnapshotOrRetryLater(core);
    }
  }

  private apply(rd: Ready): void {
    for (const entry of rd.committed) {
      let result: unknown = undefined;
      let failure: unknown = null;
      if (entry.type === EntryType.Command) {
        try {
          result = this.options.fsm.apply(entry);
        } catch (err) {
          failure = err;
          this.options.logger?.error({ err, index: entry.index }, 'FSM apply failed');
        }
      }
      const waiting = this.pending.get(entry.index);
      if (waiting === undefined) continue;
      this.pending.delete(entry.index);
      // Another leader's entry took this index: ours was lost.
      if (waiting.term !== entry.term) waiting.reject(this.notLeader());
      else if (failure !== null) waiting.reject(failure);
      else waiting.resolve({ index: entry.index, result });
    }
    const last =
      rd.committed.length > 0
        ? rd.committed[rd.committed.length - 1].index
        : (rd.snapshot?.index ?? 0);
    if (last > 0) for (const listener of this.appliedListeners) listener(last);
  }

  private serveReads(applied: number): void {
    for (const [id, batch] of this.reads) {
      if (batch.index === null || batch.index > applied) continue;
      this.reads.delete(id);
      for (const waiter of batch.waiters) waiter.resolve(batch.index);
    }
  }

  private leadershipChanged(core: RaftCore, leaderId: NodeId | null): void {
    if (!core.isLeader()) {
      // Outcomes of these proposals are unknown now: they may still commit under the next leader.
      const lost = new LeadershipLostError();
      for (const [index, waiting] of this.pending) {
        this.pending.delete(index);
        waiting.reject(lost);
      }
      const error = this.notLeader();
      // Confirmed reads (index known) stay valid; unconfirmed ones cannot be confirmed any more.
      this.openRead = null;
      for (const [id, batch] of this.reads) {
        if (batch.index !== null) continue;
        this.reads.delete(id);
        for (const waiter of batch.waiters) waiter.reject(error);
      }
    }
    if (leaderId !== this.leaderId) {
      this.leaderId = leaderId;
      for (const listener of this.leaderListeners) listener(leaderId);
    }
  }

  // ---- snapshots ----------------------------------------------------------------------------

  /** A failed snapshot costs log growth, not availability: log it and try again later. */
  private async takeSnapshotOrRetryLater(core: RaftCore): Promise<void> {
    try {
      await this.takeSnapshot(core);
      this.snapshotNotBefore = 0;
    } catch (err) {
      this.snapshotNotBefore = Date.now() + SNAPSHOT_RETRY_MS;
      this.options.logger?.error(
        { err, retryInMs: SNAPSHOT_RETRY_MS },
        'snapshot failed; the log keeps growing until one succeeds',
      );
    }
  }

  private async takeSnapshot(core: RaftCore): Promise<void> {
    const index = core.appliedIndex();
    const term = core.termAt(index);
    if (term === undefined) return; // just installed from a leader: that snapshot is stored already
    const data = this.options.fsm.snapshot();
    const meta = await this.options.storage.snapshots.save(
      { index, term, membership: core.membershipAt(index) },
      data,
    );
    const compactTo = core.reportSnapshot(meta);
    await this.options.storage.compact(compactTo);
    this.snapshotIndex = index;
    this.options.logger?.info({ index, size: meta.size, compactTo }, 'took snapshot');
  }

  private async writeChunk(chunk: SnapshotChunk): Promise<void> {
    const sink = await this.sinkFor(chunk.meta);
    // A resumed sink may already hold part of this chunk (we restarted mid-transfer).
    const skip = sink.received - chunk.offset;
    if (skip < 0)
      throw new Error(`snapshot chunk at offset ${chunk.offset}, sink has only ${sink.received}`);
    if (skip < chunk.data.length) {
      const data = chunk.data.subarray(skip);
      await this.retryStorage('write a snapshot chunk', () => sink.write(sink.received, data));
    }
  }

  private async sinkFor(meta: SnapshotMeta): Promise<SnapshotSink> {
    if (
      this.sink !== null &&
      (this.sink.meta.index !== meta.index || this.sink.meta.term !== meta.term)
    ) {
      await this.sink.abort();
      this.sink = null;
    }
    this.sink ??= await this.retryStorage('open a snapshot sink', () =>
      this.options.storage.snapshots.openSink(meta),
    );
    return this.sink;
  }

  private async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const sink = await this.sinkFor(meta);
    this.sink = null;
    await this.retryStorage('store a received snapshot', () => sink.finish());
    const latest = await this.options.storage.snapshots.latest();
    if (latest === null || latest.meta.index !== meta.index) {
      throw new Error(`installed snapshot ${meta.index} is not the newest stored one`);
    }
    this.options.fsm.restore(latest.data, latest.meta);
    // The snapshot replaces the whole log.
    await this.retryStorage('replace the log with a snapshot', async () => {
      await this.options.storage.log.truncateSuffix(meta.index + 1);
      await this.options.storage.compact(meta.index);
    });
    this.snapshotIndex = meta.index;
  }

  // ---- sending ------------------------------------------------------------------------------

  private send(msg: RaftMessage): void {
    const transport = this.options.transport;
    if (transport === undefined) return;
    const to = findServer(this.running().membership(), msg.to) ?? this.addressBook.get(msg.to);
    if (to === undefined) return;
    msg.fromAddress = this.options.address;
    if (msg.type === 'snapshot') void this.sendChunk(transport, to, msg);
    else transport.send(to, msg);
  }

  private async sendChunk(
    transport: Transport,
    to: ServerInfo,
    msg: SnapshotChunkRequest,
  ): Promise<void> {
    try {
      const data = await this.options.storage.snapshots.readChunk(
        msg.meta.index,
        msg.offset,
        msg.length,
      );
      transport.send(to, { ...msg, data });
    } catch (err) {
      // The snapshot was superseded; the leader restarts the transfer with the newer one.
      this.options.logger?.warn(
        { err, to: to.id, index: msg.meta.index },
        'snapshot chunk not sent',
      );
    }
  }

  private running(): RaftCore {
    if (this.core === null) throw new Error('raft node not started');
    if (this.failed !== null) throw this.failed;
    return this.core;
  }

  private notLeader(): NotLeaderError {
    const core = this.core;
    return core === null
      ? new NotLeaderError(null, null)
      : new NotLeaderError(core.status().leaderId, core.leaderAddress());
  }

  private failPending(error: unknown): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private failAll(error: unknown): void {
    this.failPending(error);
    for (const batch of this.reads.values())
      for (const waiter of batch.waiters) waiter.reject(error);
    this.reads.clear();
    this.openRead = null;
    this.transfer?.reject(error);
    this.transfer = null;
  }
}
