// Serf: membership with intents, user events and queries on top of memberlist (hashicorp/serf
// 0.9 serf.go), wire compatible with it. The member table, rings, clocks and snapshot are pure
// pieces (members.ts, event-buffer.ts, …); this host owns timers, memberlist and delivery.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import {
  bytesToIp,
  ipToBytes,
  Memberlist,
  TransmitLimitedQueue,
  type Broadcast,
  type Keyring,
  type MemberlistNode,
} from '../memberlist';
import {
  resolveConfig,
  MEMBERLIST_PROTOCOL_FOR,
  META_MAX_SIZE,
  SERF_PROTOCOL_MAX,
  SERF_PROTOCOL_MIN,
  USER_EVENT_SIZE_HARD_LIMIT,
  validateSerfConfig,
  type ResolvedSerfConfig,
  type SerfConfig,
} from './config';
import { EventCoalescer } from './coalesce';
import { QueryBuffer, UserEventBuffer } from './event-buffer';
import type { QueryEvent, SerfEvent, UserEvent } from './events';
import {
  handleInternalQuery,
  INTERNAL_QUERY_PREFIX,
  resolveNameConflict,
} from './internal-queries';
import { KeyManager } from './key-manager';
import { writeKeyringFile } from './keyring-file';
import { LamportClock } from './lamport';
import { MemberTable, type GossipNode, type MemberEvent, type SerfMember } from './members';
import {
  decodeJoin,
  decodeLeave,
  decodePushPull,
  decodeQuery,
  decodeQueryResponse,
  decodeRelay,
  decodeTags,
  decodeUserEvent,
  encodeJoin,
  encodeLeave,
  encodePushPull,
  encodeQuery,
  encodeQueryResponse,
  encodeRelayedResponse,
  encodeTags,
  encodeUserEvent,
  MessageType,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type JoinMessage,
  type LeaveMessage,
  type QueryMessage,
  type QueryResponseMessage,
  type UserEventMessage,
  utf8,
} from './messages';
import {
  defaultQueryTimeoutMs,
  encodeFilters,
  kRandomMembers,
  QueryResponse,
  shouldProcessQuery,
  type QueryParams,
} from './query';
import { Snapshotter } from './snapshot';
import { CoordinateTracker } from './ping-delegate';
import { VivaldiClient, type Coordinate } from '../../coordinate';

export type SerfState = 'alive' | 'leaving' | 'left' | 'shutdown';

/** A serf broadcast: never invalidates another (memberlist UniqueBroadcast). */
class SerfBroadcast implements Broadcast {
  constructor(
    private readonly msg: Uint8Array,
    private readonly notify: (() => void) | null,
  ) {}
  invalidates(): boolean {
    return false;
  }
  uniqueBroadcast(): void {}
  message(): Uint8Array {
    return this.msg;
  }
  finished(): void {
    this.notify?.();
  }
}

function withTimeout(p: Promise<void>, ms: number, message: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function toGossipNode(n: MemberlistNode): GossipNode {
  return n;
}

export class Serf {
  private ml: Memberlist | null = null;
  private readonly config: ResolvedSerfConfig;
  private readonly logger: Logger;
  private state: SerfState = 'alive';
  private tags: Record<string, string>;

  private readonly clock = new LamportClock();
  private readonly eventClock = new LamportClock();
  private readonly queryClock = new LamportClock();
  private readonly table: MemberTable;
  private readonly eventBuffer: UserEventBuffer;
  private readonly queryBuffer: QueryBuffer;
  private readonly intentQueue: TransmitLimitedQueue;
  private readonly eventQueue: TransmitLimitedQueue;
  private readonly queryQueue: TransmitLimitedQueue;
  private readonly queryResponses = new Map<number, QueryResponse>();
  private readonly coalescer: EventCoalescer;
  private readonly snapshotter: Snapshotter | null;
  private readonly listeners = new Set<(e: SerfEvent) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private coalesceTimer: NodeJS.Timeout | null = null;
  private eventJoinIgnore = false;
  private readonly keys: KeyManager;
  private readonly coordinates: CoordinateTracker | null;

  private constructor(config: ResolvedSerfConfig, snapshotter: Snapshotter | null) {
    this.config = config;
    this.logger = config.logger;
    this.tags = { ...config.tags };
    this.snapshotter = snapshotter;
    this.table = new MemberTable(config.nodeName, this.clock);
    this.eventBuffer = new UserEventBuffer(config.eventBuffer);
    this.queryBuffer = new QueryBuffer(config.queryBuffer);
    const numNodes = (): number => this.table.size();
    const mult = config.memberlist.retransmitMult;
    this.intentQueue = new TransmitLimitedQueue(numNodes, mult);
    this.eventQueue = new TransmitLimitedQueue(numNodes, mult);
    this.queryQueue = new TransmitLimitedQueue(numNodes, mult);
    this.coalescer = new EventCoalescer(
      config.coalescePeriodMs > 0 && config.quiescentPeriodMs > 0
        ? { coalesceMs: config.coalescePeriodMs, quiescentMs: config.quiescentPeriodMs }
        : null,
      config.userCoalescePeriodMs > 0 && config.userQuiescentPeriodMs > 0
        ? { coalesceMs: config.userCoalescePeriodMs, quiescentMs: config.userQuiescentPeriodMs }
        : null,
    );
    this.clock.increment();
    this.eventClock.increment();
    this.queryClock.increment();
    if (snapshotter !== null) {
      this.clock.witness(snapshotter.lastClock());
      this.eventClock.witness(snapshotter.lastEventClock());
      this.queryClock.witness(snapshotter.lastQueryClock());
      this.eventBuffer.minTime = snapshotter.lastEventClock() + 1;
      this.queryBuffer.minTime = snapshotter.lastQueryClock() + 1;
    }
    this.keys = new KeyManager(this);
    this.coordinates = config.disableCoordinates
      ? null
      : new CoordinateTracker(config.nodeName, new VivaldiClient(Math.random), config.logger);
  }

  /** The memberlist underneath (set once create() has started it). */
  get memberlist(): Memberlist {
    if (this.ml === null) throw new Error('serf: memberlist is not started');
    return this.ml;
  }

  /** Creates the serf node: replays the snapshot, starts memberlist, rejoins known members. */
  static async create(input: SerfConfig): Promise<Serf> {
    const config = resolveConfig(input);
    validateSerfConfig(config, encodeTags(config.tags).length);
    const snapshotter = config.snapshotPath
      ? Snapshotter.open(config.snapshotPath, config.rejoinAfterLeave, (level, msg) =>
          config.logger[level](`serf: ${msg}`),
        )
      : null;
    const ml = config.memberlist;
    const self = new Serf(config, snapshotter);
    ml.name = config.nodeName;
    ml.protocolVersion = MEMBERLIST_PROTOCOL_FOR[config.protocolVersion];
    ml.delegateProtocolVersion = config.protocolVersion;
    ml.delegateProtocolMin = SERF_PROTOCOL_MIN;
    ml.delegateProtocolMax = SERF_PROTOCOL_MAX;
    ml.delegate = {
      nodeMeta: (limit) => self.nodeMeta(limit),
      notifyMsg: (msg) => self.notifyMsg(msg),
      getBroadcasts: (overhead, limit) => self.getBroadcasts(overhead, limit),
      localState: () => self.localState(),
      mergeRemoteState: (buf, join) => self.mergeRemoteState(buf, join),
    };
    ml.events = {
      notifyJoin: (n) => self.handleNodeJoin(toGossipNode(n)),
      notifyLeave: (n) => self.handleNodeLeave(toGossipNode(n)),
      notifyUpdate: (n) => self.handleNodeUpdate(toGossipNode(n)),
    };
    ml.conflict = { notifyConflict: (existing, other) => self.handleNodeConflict(existing, other) };
    // Our coordinate rides on every ack; acks to our probes update it.
    ml.ping = self.coordinates;
    if (config.merge) {
      const veto = config.merge;
      ml.merge = { notifyMerge: (peers) => veto(peers.map((p) => self.nodeToMember(p))) };
      ml.alive = { notifyAlive: (peer) => veto([self.nodeToMember(peer)]) };
    }
    try {
      self.ml = await Memberlist.create(ml);
    } catch (err) {
      snapshotter?.close(self.clock.time(), Date.now());
      throw new Error(`Failed to create memberlist: ${(err as Error).message}`);
    }
    self.startTimers();
    const previous = snapshotter?.aliveNodes() ?? [];
    if (previous.length > 0) void self.rejoin(previous);
    return self;
  }

  // ---- public API -------------------------------------------------------------------------

  members(): SerfMember[] {
    return this.table.list();
  }

  localMember(): SerfMember {
    const m = this.table.get(this.config.nodeName);
    if (m === undefined) throw new Error('serf: the local member is not known yet');
    return m;
  }

  getState(): SerfState {
    return this.state;
  }

  protocolVersion(): number {
    return this.config.protocolVersion;
  }

  encryptionEnabled(): boolean {
    const ring = this.config.memberlist.keyring;
    return ring !== null && ring.getKeys().length > 0;
  }

  keyring(): Keyring | null {
    return this.config.memberlist.keyring;
  }

  keyManager(): KeyManager {
    return this.keys;
  }

  onEvent(listener: (e: SerfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Joins through the given addresses; returns how many were contacted. */
  async join(addrs: string[], ignoreOld: boolean): Promise<number> {
    if (this.state !== 'alive') throw new Error("Serf can't Join after Leave or Shutdown");
    if (ignoreOld) this.eventJoinIgnore = true;
    let num = 0;
    try {
      num = await this.memberlist.join(addrs);
    } finally {
      if (ignoreOld) this.eventJoinIgnore = false;
    }
    if (num > 0) this.broadcastJoin(this.clock.time());
    return num;
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    if (encodeTags(tags).length > META_MAX_SIZE) {
      throw new Error(`Encoded length of tags exceeds limit of ${META_MAX_SIZE} bytes`);
    }
    this.tags = { ...tags };
    await this.memberlist.updateNode(this.config.broadcastTimeoutMs);
  }

  async userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void> {
    const limit = this.config.userEventSizeLimit;
    const sizeBefore = utf8(name).length + payload.length;
    if (sizeBefore > limit)
      throw new Error(`user event exceeds configured limit of ${limit} bytes before encoding`);
    if (sizeBefore > USER_EVENT_SIZE_HARD_LIMIT) {
      throw new Error(
        `user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes before encoding`,
      );
    }
    const msg: UserEventMessage = { ltime: this.eventClock.time(), name, payload, cc: coalesce };
    const raw = encodeUserEvent(msg);
    if (raw.length > limit)
      throw new Error(
        `encoded user event exceeds configured limit of ${limit} bytes after encoding`,
      );
    if (raw.length > USER_EVENT_SIZE_HARD_LIMIT) {
      throw new Error(
        `encoded user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes before encoding`,
      );
    }
    this.eventClock.increment();
    this.handleUserEvent(msg);
    this.eventQueue.queueBroadcast(new SerfBroadcast(raw, null));
  }

  defaultQueryTimeoutMs(): number {
    return defaultQueryTimeoutMs(
      this.config.memberlist.gossipInterval,
      this.config.queryTimeoutMult,
      this.numMembers(),
    );
  }

  /** Starts a query; gather answers with the returned QueryResponse (collect(), onResponse …). */
  async query(name: string, payload: Uint8Array, params: QueryParams = {}): Promise<QueryResponse> {
    if (this.config.protocolVersion < 4) throw new Error('Feature not supported');
    const timeoutMs =
      params.timeoutMs && params.timeoutMs > 0 ? params.timeoutMs : this.defaultQueryTimeoutMs();
    const local = this.memberlist.localNode();
    const q: QueryMessage = {
      ltime: this.queryClock.time(),
      id: randomInt(0, 2 ** 31),
      addr: ipToBytes(local.addr),
      port: local.port,
      sourceNode: local.name,
      filters: encodeFilters(params),
      flags: params.requestAck ? QUERY_FLAG_ACK : 0,
      relayFactor: params.relayFactor ?? 0,
      timeoutNs: timeoutMs * 1e6,
      name,
      payload,
    };
    const raw = encodeQuery(q);
    if (raw.length > this.config.querySizeLimit)
      throw new Error(`query exceeds limit of ${this.config.querySizeLimit} bytes`);
    const resp = new QueryResponse(
      q.id,
      q.ltime,
      Date.now() + timeoutMs,
      params.requestAck ?? false,
    );
    this.queryResponses.set(q.ltime, resp);
    const timer = setTimeout(() => {
      if (this.queryResponses.get(q.ltime) === resp) this.queryResponses.delete(q.ltime);
      resp.close();
    }, timeoutMs);
    resp.done().then(
      () => clearTimeout(timer),
      () => {},
    );
    this.handleQuery(q);
    this.queryQueue.queueBroadcast(new SerfBroadcast(raw, null));
    return resp;
  }

  /** Forces a failed member out (left); with prune it is erased at once. */
  async removeFailedNode(node: string, prune: boolean): Promise<void> {
    const msg: LeaveMessage = { ltime: this.clock.time(), node, prune };
    this.clock.increment();
    this.applyLeaveIntent(msg);
    if (!this.table.hasAliveMembers()) return;
    await this.broadcastAndWait(encodeLeave(msg), 'timed out broadcasting node removal');
  }

  async leave(): Promise<void> {
    if (this.state === 'left') return;
    if (this.state === 'leaving') throw new Error('Leave already in progress');
    if (this.state === 'shutdown') throw new Error('Leave called after Shutdown');
    this.state = 'leaving';
    this.snapshotter?.leave(Date.now());
    const msg: LeaveMessage = {
      ltime: this.clock.time(),
      node: this.config.nodeName,
      prune: false,
    };
    this.clock.increment();
    this.applyLeaveIntent(msg);
    if (this.table.hasAliveMembers()) {
      await this.broadcastAndWait(encodeLeave(msg), 'timeout while waiting for graceful leave');
    }
    await this.memberlist.leave(this.config.broadcastTimeoutMs);
    await sleep(this.config.leavePropagateDelayMs);
    if ((this.state as SerfState) !== 'shutdown') this.state = 'left';
  }

  async shutdown(): Promise<void> {
    if (this.state === 'shutdown') return;
    if (this.state !== 'left') this.logger.warn('serf: Shutdown without a Leave');
    this.state = 'shutdown';
    for (const t of this.timers) clearInterval(t);
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    await this.memberlist.shutdown();
    for (const e of this.coalescer.due(Date.now(), true)) this.deliver(e);
    for (const r of this.queryResponses.values()) r.close();
    this.queryResponses.clear();
    this.snapshotter?.close(this.clock.time(), Date.now());
  }

  stats(): Record<string, string> {
    return {
      members: String(this.table.size()),
      failed: String(this.table.failedCount()),
      left: String(this.table.leftCount()),
      health_score: String(this.memberlist.getHealthScore()),
      member_time: String(this.clock.time()),
      event_time: String(this.eventClock.time()),
      query_time: String(this.queryClock.time()),
      intent_queue: String(this.intentQueue.numQueued()),
      event_queue: String(this.eventQueue.numQueued()),
      query_queue: String(this.queryQueue.numQueued()),
      encrypted: String(this.encryptionEnabled()),
      ...(this.coordinates === null
        ? {}
        : { coordinate_resets: String(this.coordinates.client.resets()) }),
    };
  }

  /** Our network coordinate; null when coordinates are disabled. */
  getCoordinate(): Coordinate | null {
    return this.coordinates?.client.getCoordinate() ?? null;
  }

  /** The last coordinate heard from `node` (ours under our own name); null when unknown. */
  getCachedCoordinate(node: string): Coordinate | null {
    return this.coordinates?.cached(node) ?? null;
  }

  // ---- used by the internal queries and the key manager -----------------------------------

  nodeName(): string {
    return this.config.nodeName;
  }

  get log(): Logger {
    return this.logger;
  }

  memberByName(name: string): SerfMember | undefined {
    return this.table.get(name);
  }

  /** Alive members memberlist knows (Go NumMembers). */
  numMembers(): number {
    return this.memberlist.members().filter((n) => n.state === 'alive' || n.state === 'suspect')
      .length;
  }

  writeKeyringFile(): void {
    const ring = this.config.memberlist.keyring;
    if (!this.config.keyringFile || ring === null) return;
    writeKeyringFile(this.config.keyringFile, ring.getKeys());
  }

  queryResponseSizeLimit(): number {
    return this.config.queryResponseSizeLimit;
  }

  // ---- memberlist delegate ----------------------------------------------------------------

  private nodeMeta(limit: number): Uint8Array {
    const meta = encodeTags(this.tags);
    if (meta.length > limit)
      throw new Error(
        `Node tags '${JSON.stringify(this.tags)}' exceeds length limit of ${limit} bytes`,
      );
    return meta;
  }

  private notifyMsg(buf: Uint8Array): void {
    if (buf.length === 0) return;
    let rebroadcast = false;
    let queue = this.intentQueue;
    const body = buf.subarray(1);
    try {
      switch (buf[0]) {
        case MessageType.Leave:
          rebroadcast = this.applyLeaveIntent(decodeLeave(body));
          break;
        case MessageType.Join:
          rebroadcast = this.applyJoinIntent(decodeJoin(body));
          break;
        case MessageType.UserEvent:
          rebroadcast = this.handleUserEvent(decodeUserEvent(body));
          queue = this.eventQueue;
          break;
        case MessageType.Query:
          rebroadcast = this.handleQuery(decodeQuery(body));
          queue = this.queryQueue;
          break;
        case MessageType.QueryResponse:
          this.handleQueryResponse(decodeQueryResponse(body));
          break;
        case MessageType.Relay: {
          const { header, inner } = decodeRelay(body);
          this.sendTo(bytesToIp(header.destIp), header.destPort, header.destName, inner);
          break;
        }
        default:
          this.logger.warn(`serf: Received message of unknown type: ${buf[0]}`);
      }
    } catch (err) {
      this.logger.error(
        `serf: Error decoding message of type ${buf[0]}: ${(err as Error).message}`,
      );
      return;
    }
    if (rebroadcast) queue.queueBroadcast(new SerfBroadcast(Uint8Array.from(buf), null));
  }

  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const msgs = this.intentQueue.getBroadcasts(overhead, limit);
    let used = msgs.reduce((n, m) => n + m.length + overhead, 0);
    const queries = this.queryQueue.getBroadcasts(overhead, limit - used);
    used += queries.reduce((n, m) => n + m.length + overhead, 0);
    const events = this.eventQueue.getBroadcasts(overhead, limit - used);
    return [...msgs, ...queries, ...events];
  }

  private localState(): Uint8Array {
    return encodePushPull({
      ltime: this.clock.time(),
      statusLTimes: this.table.statusLTimes(),
      leftMembers: this.table.leftNames(),
      eventLTime: this.eventClock.time(),
      events: this.eventBuffer.snapshot(),
      queryLTime: this.queryClock.time(),
    });
  }

  private mergeRemoteState(buf: Uint8Array, isJoin: boolean): void {
    if (buf.length === 0) {
      this.logger.error('serf: Remote state is zero bytes');
      return;
    }
    if (buf[0] !== MessageType.PushPull) {
      this.logger.error(`serf: Remote state has bad type prefix: ${buf[0]}`);
      return;
    }
    let pp;
    try {
      pp = decodePushPull(buf.subarray(1));
    } catch (err) {
      this.logger.error(`serf: Failed to decode remote state: ${(err as Error).message}`);
      return;
    }
    if (pp.ltime > 0) this.clock.witness(pp.ltime - 1);
    if (pp.eventLTime > 0) this.eventClock.witness(pp.eventLTime - 1);
    if (pp.queryLTime > 0) this.queryClock.witness(pp.queryLTime - 1);
    const left = new Set(pp.leftMembers);
    for (const name of pp.leftMembers) {
      this.applyLeaveIntent({
        ltime: (pp.statusLTimes.get(name) ?? 0) + 1,
        node: name,
        prune: false,
      });
    }
    for (const [name, ltime] of pp.statusLTimes) {
      if (!left.has(name)) this.applyJoinIntent({ ltime, node: name });
    }
    if (isJoin && this.eventJoinIgnore && pp.eventLTime > this.eventBuffer.minTime) {
      this.eventBuffer.minTime = pp.eventLTime;
    }
    for (const slot of pp.events) {
      if (slot === null) continue;
      for (const e of slot.events)
        this.handleUserEvent({ ltime: slot.ltime, name: e.name, payload: e.payload, cc: false });
    }
  }

  // ---- member events ----------------------------------------------------------------------

  private handleNodeJoin(n: GossipNode): void {
    this.emit(this.table.nodeJoin(n));
  }

  private handleNodeLeave(n: GossipNode): void {
    const e = this.table.nodeLeave(n, Date.now());
    if (e) this.emit(e);
  }

  private handleNodeUpdate(n: GossipNode): void {
    const e = this.table.nodeUpdate(n);
    if (e) this.emit(e);
  }

  private applyJoinIntent(msg: JoinMessage): boolean {
    return this.table.joinIntent(msg, Date.now());
  }

  private applyLeaveIntent(msg: LeaveMessage): boolean {
    const r = this.table.leaveIntent(msg, Date.now(), this.state === 'alive');
    if (r.refute) {
      this.logger.debug('serf: Refuting an older leave intent');
      this.broadcastJoin(this.clock.time());
    }
    for (const e of r.events) this.emit(e);
    if (r.prune) {
      const { name, delayed } = r.prune;
      const erase = (): void => {
        const e = this.table.erase(name);
        if (e) {
          this.logger.info(`serf: EventMemberReap (forced): ${name}`);
          this.emit(e);
        }
      };
      if (delayed) {
        const t = setTimeout(
          erase,
          this.config.broadcastTimeoutMs + this.config.leavePropagateDelayMs,
        );
        this.timers.push(t);
      } else erase();
    }
    return r.rebroadcast;
  }

  private broadcastJoin(ltime: number): void {
    const msg: JoinMessage = { ltime, node: this.config.nodeName };
    this.clock.witness(ltime);
    this.applyJoinIntent(msg);
    this.intentQueue.queueBroadcast(new SerfBroadcast(encodeJoin(msg), null));
  }

  private broadcastAndWait(raw: Uint8Array, timeoutText: string): Promise<void> {
    const sent = new Promise<void>((resolve) =>
      this.intentQueue.queueBroadcast(new SerfBroadcast(raw, resolve)),
    );
    return withTimeout(sent, this.config.broadcastTimeoutMs, timeoutText);
  }

  // ---- user events and queries ------------------------------------------------------------

  private handleUserEvent(msg: UserEventMessage): boolean {
    this.eventClock.witness(msg.ltime);
    const rejected = this.eventBuffer.accept(
      msg.ltime,
      { name: msg.name, payload: msg.payload },
      this.eventClock.time(),
    );
    if (rejected === 'too-old') {
      this.logger.warn(
        `serf: received old event ${msg.name} from time ${msg.ltime} (current: ${this.eventClock.time()})`,
      );
    }
    if (rejected !== null) return false;
    const e: UserEvent = {
      type: 'user',
      ltime: msg.ltime,
      name: msg.name,
      payload: msg.payload,
      coalesce: msg.cc,
    };
    this.emit(e);
    return true;
  }

  private handleQuery(q: QueryMessage): boolean {
    this.queryClock.witness(q.ltime);
    const rejected = this.queryBuffer.accept(q.ltime, q.id, this.queryClock.time());
    if (rejected === 'too-old') {
      this.logger.warn(
        `serf: received old query ${q.name} from time ${q.ltime} (current: ${this.queryClock.time()})`,
      );
    }
    if (rejected !== null) return false;
    const rebroadcast = (q.flags & QUERY_FLAG_NO_BROADCAST) === 0;
    if (
      !shouldProcessQuery(q.filters, this.config.nodeName, this.tags, (w) =>
        this.logger.warn(`serf: ${w}`),
      )
    ) {
      return rebroadcast;
    }
    const destIp = bytesToIp(q.addr);
    if ((q.flags & QUERY_FLAG_ACK) !== 0) {
      const ack: QueryResponseMessage = {
        ltime: q.ltime,
        id: q.id,
        from: this.config.nodeName,
        flags: QUERY_FLAG_ACK,
        payload: null,
      };
      this.sendTo(destIp, q.port, q.sourceNode, encodeQueryResponse(ack));
      this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, ack);
    }
    let answered = false;
    const deadline = Date.now() + q.timeoutNs / 1e6;
    const event: QueryEvent = {
      type: 'query',
      ltime: q.ltime,
      name: q.name,
      payload: q.payload,
      sourceNode: q.sourceNode,
      deadline,
      respond: async (payload: Uint8Array): Promise<void> => {
        const resp: QueryResponseMessage = {
          ltime: q.ltime,
          id: q.id,
          from: this.config.nodeName,
          flags: 0,
          payload,
        };
        const raw = encodeQueryResponse(resp);
        if (raw.length > this.config.queryResponseSizeLimit) {
          throw new Error(`response exceeds limit of ${this.config.queryResponseSizeLimit} bytes`);
        }
        if (answered) throw new Error('response already sent');
        if (Date.now() > deadline) throw new Error('response is past the deadline');
        this.sendTo(destIp, q.port, q.sourceNode, raw);
        this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, resp);
        answered = true;
      },
    };
    this.emit(event);
    return rebroadcast;
  }

  private handleQueryResponse(resp: QueryResponseMessage): void {
    const query = this.queryResponses.get(resp.ltime);
    if (query === undefined) {
      this.logger.warn(
        `serf: reply for non-running query (LTime: ${resp.ltime}, ID: ${resp.id}) From: ${resp.from}`,
      );
      return;
    }
    if (query.id !== resp.id) {
      this.logger.warn(`serf: query reply ID mismatch (Local: ${query.id}, Response: ${resp.id})`);
      return;
    }
    query.record(resp.from, (resp.flags & QUERY_FLAG_ACK) !== 0, resp.payload, Date.now());
  }

  /** Sends RelayFactor extra copies of a response through random alive members (PMax ≥ 5). */
  private relayResponse(
    relayFactor: number,
    destIp: Uint8Array,
    destPort: number,
    destName: string,
    resp: QueryResponseMessage,
  ): void {
    if (relayFactor === 0) return;
    const members = this.table.list();
    if (members.length < relayFactor + 1) return;
    const raw = encodeRelayedResponse({ destIp, destPort, destZone: '', destName }, resp);
    if (raw.length > this.config.queryResponseSizeLimit) {
      this.logger.error(
        `serf: relayed response exceeds limit of ${this.config.queryResponseSizeLimit} bytes`,
      );
      return;
    }
    const relays = kRandomMembers(
      relayFactor,
      members,
      (m) => m.status !== 'alive' || m.protocolMax < 5 || m.name === this.config.nodeName,
      Math.random,
    );
    for (const m of relays) this.sendTo(m.addr, m.port, m.name, raw);
  }

  private sendTo(addr: string, port: number, name: string, msg: Uint8Array): void {
    try {
      this.memberlist.sendToAddress(addr, port, msg);
    } catch (err) {
      this.logger.error(
        `serf: failed to send to ${name} at ${addr}:${port}: ${(err as Error).message}`,
      );
    }
  }

  // ---- conflicts and merges ---------------------------------------------------------------

  private handleNodeConflict(existing: MemberlistNode, other: MemberlistNode): void {
    if (existing.name !== this.config.nodeName) {
      this.logger.warn(
        `serf: Name conflict for '${existing.name}' both ${existing.addr}:${existing.port} and ${other.addr}:${other.port} are claiming`,
      );
      return;
    }
    this.logger.error(
      `serf: Node name conflicts with another node at ${other.addr}:${other.port}. Names must be unique! (Resolution enabled: ${this.config.enableNameConflictResolution})`,
    );
    if (this.config.enableNameConflictResolution) void resolveNameConflict(this);
  }

  nodeToMember(n: MemberlistNode): SerfMember {
    const status = n.state === 'left' ? 'left' : n.state === 'dead' ? 'failed' : 'alive';
    return {
      name: n.name,
      addr: n.addr,
      port: n.port,
      tags: decodeTagsSafe(n.meta),
      status,
      protocolMin: n.pMin,
      protocolMax: n.pMax,
      protocolCur: n.pCur,
      delegateMin: n.dMin,
      delegateMax: n.dMax,
      delegateCur: n.dCur,
    };
  }

  // ---- delivery, timers ---------------------------------------------------------------------

  private emit(e: SerfEvent): void {
    const now = Date.now();
    if (this.snapshotter !== null) {
      if (e.type === 'user') this.snapshotter.recordUserEvent(e.ltime, now);
      else if (e.type === 'query') this.snapshotter.recordQuery(e.ltime, now);
      else this.snapshotter.recordMemberEvent(e, this.clock.time(), now);
    }
    if (e.type === 'query' && e.name.startsWith(INTERNAL_QUERY_PREFIX)) {
      void handleInternalQuery(this, e);
      return;
    }
    if (e.type === 'member-reap' && this.coordinates !== null) {
      for (const m of e.members) this.coordinates.forget(m.name);
    }
    for (const out of this.coalescer.push(e, now)) this.deliver(out);
    this.armCoalescer();
  }

  private armCoalescer(): void {
    const deadline = this.coalescer.nextDeadline();
    if (deadline === null || this.coalesceTimer !== null || this.state === 'shutdown') return;
    this.coalesceTimer = setTimeout(
      () => {
        this.coalesceTimer = null;
        for (const e of this.coalescer.due(Date.now())) this.deliver(e);
        this.armCoalescer();
      },
      Math.max(0, deadline - Date.now()),
    );
  }

  private deliver(e: SerfEvent): void {
    if (e.type !== 'user' && e.type !== 'query') {
      const m = e.members.map((x) => `${x.name} ${x.addr}`).join(', ');
      this.logger.info(`serf: ${memberEventLabel(e)}: ${m}`);
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error(`serf: event listener failed: ${(err as Error).message}`);
      }
    }
  }

  private startTimers(): void {
    const c = this.config;
    this.timers.push(
      setInterval(() => {
        const events = this.table.reap(
          Date.now(),
          c.reconnectTimeoutMs,
          c.tombstoneTimeoutMs,
          c.recentIntentTimeoutMs,
        );
        for (const e of events) this.emit(e);
      }, c.reapIntervalMs),
      setInterval(() => void this.reconnect(), c.reconnectIntervalMs),
      setInterval(() => this.checkQueueDepths(), c.queueCheckIntervalMs),
    );
    if (this.snapshotter !== null) {
      const snap = this.snapshotter;
      this.timers.push(setInterval(() => snap.tick(this.clock.time(), Date.now()), 500));
    }
    for (const t of this.timers) t.unref();
  }

  private async reconnect(): Promise<void> {
    const m = this.table.reconnectCandidate(Math.random);
    if (m === null || this.state !== 'alive') return;
    const addr = m.addr.includes(':') ? `[${m.addr}]:${m.port}` : `${m.addr}:${m.port}`;
    this.logger.info(`serf: attempting reconnect to ${m.name} ${addr}`);
    try {
      await this.memberlist.join([`${m.name}/${addr}`]);
    } catch (err) {
      this.logger.debug(`serf: reconnect to ${m.name} failed: ${(err as Error).message}`);
    }
  }

  private checkQueueDepths(): void {
    const max =
      this.config.minQueueDepth > 0
        ? Math.max(this.config.minQueueDepth, 2 * this.table.size())
        : this.config.maxQueueDepth;
    for (const [name, q] of [
      ['Intent', this.intentQueue],
      ['Event', this.eventQueue],
      ['Query', this.queryQueue],
    ] as const) {
      const n = q.numQueued();
      if (n >= this.config.queueDepthWarning) this.logger.warn(`serf: ${name} queue depth: ${n}`);
      if (n > max) {
        this.logger.warn(
          `serf: ${name} queue depth (${n}) exceeds limit (${max}), dropping messages!`,
        );
        q.prune(max);
      }
    }
  }

  private async rejoin(previous: Array<{ name: string; addr: string }>): Promise<void> {
    for (const prev of previous) {
      if (prev.name === this.config.nodeName || this.state !== 'alive') continue;
      this.logger.info(
        `serf: Attempting re-join to previously known node: ${prev.name}: ${prev.addr}`,
      );
      try {
        const n = await this.memberlist.join([`${prev.name}/${prev.addr}`]);
        if (n > 0) {
          this.logger.info(`serf: Re-joined to previously known node: ${prev.name}: ${prev.addr}`);
          return;
        }
      } catch {
        // try the next one
      }
    }
    this.logger.warn('serf: Failed to re-join any previously known node');
  }
}

function decodeTagsSafe(meta: Uint8Array): Record<string, string> {
  try {
    return decodeTags(meta);
  } catch {
    return {};
  }
}

function memberEventLabel(e: MemberEvent): string {
  switch (e.type) {
    case 'member-join':
      return 'EventMemberJoin';
    case 'member-leave':
      return 'EventMemberLeave';
    case 'member-failed':
      return 'EventMemberFailed';
    case 'member-update':
      return 'EventMemberUpdate';
    case 'member-reap':
      return 'EventMemberReap';
  }
}
