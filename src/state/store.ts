// The state store: every table in memory, changed only through write transactions stamped with
// the Raft index that caused them, read through methods that report the index they observed
// and record what they touched on a watch set.
import { AclReads } from './acl';
import { nodeIndexName, serviceIndexName } from './catalog';
import {
  catalogNode,
  catalogNodes,
  catalogServiceNodes,
  catalogServices,
  healthChecksInState,
  healthNodeChecks,
  healthServiceChecks,
  healthServiceNodes,
  nodeServices,
} from './catalog-read';
import type {
  CatalogNode,
  CheckServiceNode,
  HealthCheck,
  NodeService,
  NodeServices,
  ServiceNode,
} from './catalog-types';
import {
  COORDINATES_WATCH_KEY,
  coordinatesList,
  nodeCoordinates,
  type CoordinateRow,
} from './coordinates';
import { kvsGet, kvsKeys, kvsList, kvsTableIndex } from './kv';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import {
  allSessionsWatchPrefix,
  nodeSessions,
  nodeSessionsWatchPrefix,
  sessionGet,
  sessionIdWatchKey,
  sessionList,
} from './session';
import type { Session } from './session-types';
import {
  preparedQueryGet,
  preparedQueryList,
  preparedQueryResolve,
  preparedQueryWatchKey,
} from './prepared-query';
import type { PreparedQuery } from './prepared-query-types';
import {
  newTables,
  newWatchTables,
  WriteTxn,
  type IndexName,
  type ReadTxn,
  type SessionEvent,
  type Tables,
} from './tables';
import type { MixedTxnOp, MixedTxnResult } from './catalog-txn';
import { txnReadKv, txnReadMixed } from './txn';
import type { KvEntry, KvTxnOp, ReadResult, TxnResult } from './types';
import type { AutopilotConfigRow, RestoreStaging } from './restore';
import { WatchRegistry, WatchSetBuilder } from './watch';

/** Who follows session changes outside the tables (the leader's TTL timers). */
export interface SessionListener {
  committed(events: readonly SessionEvent[]): void;
  /** The whole state was replaced: every session may have changed. */
  restored(): void;
}

const LOCK_DELAY_PRUNE_AT = 1024;

/** Rows handed out by reads are the store's own objects: treat them as read-only. */
export class StateStore {
  private current: Tables = newTables();
  private readonly watches = newWatchTables();
  private readonly registry = new WatchRegistry();
  private applied = 0;
  /** Tokens, policies and roles as they stand. */
  readonly acl = new AclReads(() => this.reader());
  /** Key → epoch ms until which `?acquire` is refused (lock-delay); in memory only, as Consul. */
  private readonly lockDelays = new Map<string, number>();
  private readonly sessionListeners = new Set<SessionListener>();
  private abandons = 0;

  newWatchSet(): WatchSetBuilder {
    return new WatchSetBuilder(this.registry);
  }

  /** Adds to `ws` a whole table, by its index: woken by any write that moves that index. */
  watchIndex(ws: WatchSetBuilder | undefined, table: IndexName): void {
    ws?.addKey(this.watches.indexes, table);
  }

  /** One key; index: its ModifyIndex, else the KV table index (never 0). */
  kvGet(key: string, ws?: WatchSetBuilder): ReadResult<KvEntry | null> {
    ws?.addKey(this.watches.kvs, key);
    return reported(kvsGet(this.reader(), key));
  }

  /**
   * Every entry under `prefix` ("" = the whole tree), sorted by key; index: the max of their
   * ModifyIndexes and of the tombstones under the prefix, else the KV table index (never 0).
   */
  kvList(prefix: string, ws?: WatchSetBuilder): ReadResult<KvEntry[]> {
    ws?.addPrefix(this.watches.kvs, prefix);
    return reported(kvsList(this.reader(), prefix));
  }

  /** Keys under `prefix`, cut after the first `separator` past it; indexed as kvList. */
  kvKeys(prefix: string, separator: string | null, ws?: WatchSetBuilder): ReadResult<string[]> {
    ws?.addPrefix(this.watches.kvs, prefix);
    return reported(kvsKeys(this.reader(), prefix, separator));
  }

  /** Every node, sorted by name; index: the nodes table index. Watches the node list. */
  catalogNodes(ws?: WatchSetBuilder): ReadResult<CatalogNode[]> {
    ws?.addKey(this.watches.catalog, 'nodes');
    return reported(catalogNodes(this.reader()));
  }

  /**
   * A node and its services sorted by ID, or null; index: the node's own (its row, services,
   * checks), else the nodes/services table index. Watches that node.
   */
  catalogNode(node: string, ws?: WatchSetBuilder): ReadResult<NodeServices | null> {
    ws?.addKey(this.watches.catalog, nodeIndexName(node));
    return reported(catalogNode(this.reader(), node));
  }

  /** The services registered on a node, sorted by ID; indexed and watched as catalogNode. */
  nodeServices(node: string, ws?: WatchSetBuilder): ReadResult<NodeService[]> {
    ws?.addKey(this.watches.catalog, nodeIndexName(node));
    return reported(nodeServices(this.reader(), node));
  }

  /** Service name → sorted, deduplicated union of tags; index: the services table index. */
  catalogServices(ws?: WatchSetBuilder): ReadResult<Map<string, string[]>> {
    ws?.addKey(this.watches.catalog, 'services');
    return reported(catalogServices(this.reader()));
  }

  /**
   * Instances of a service with their nodes, sorted by node then service ID; index: the
   * service's own (instances, their checks, their nodes' rows and node checks), else the
   * services table index. Watches that service name only.
   */
  catalogServiceNodes(service: string, ws?: WatchSetBuilder): ReadResult<ServiceNode[]> {
    ws?.addKey(this.watches.catalog, serviceIndexName(service));
    return reported(catalogServiceNodes(this.reader(), service));
  }

  /** Every check of a node, sorted by check ID; indexed and watched as catalogNode. */
  healthNodeChecks(node: string, ws?: WatchSetBuilder): ReadResult<HealthCheck[]> {
    ws?.addKey(this.watches.catalog, nodeIndexName(node));
    return reported(healthNodeChecks(this.reader(), node));
  }

  /** The checks bound to instances of a service; indexed and watched as catalogServiceNodes. */
  healthServiceChecks(service: string, ws?: WatchSetBuilder): ReadResult<HealthCheck[]> {
    ws?.addKey(this.watches.catalog, serviceIndexName(service));
    return reported(healthServiceChecks(this.reader(), service));
  }

  /**
   * Instances of a service with node and checks (node-level first, then the instance's own),
   * sorted by node then service ID; indexed and watched as catalogServiceNodes — node-level
   * changes on a hosting node reach the service's index and watchers.
   */
  healthServiceNodes(service: string, ws?: WatchSetBuilder): ReadResult<CheckServiceNode[]> {
    ws?.addKey(this.watches.catalog, serviceIndexName(service));
    return reported(healthServiceNodes(this.reader(), service));
  }

  /** Checks with that status ('any': all), sorted by node then check ID; checks table index. */
  healthChecksInState(state: string, ws?: WatchSetBuilder): ReadResult<HealthCheck[]> {
    ws?.addKey(this.watches.catalog, 'checks');
    return reported(healthChecksInState(this.reader(), state));
  }

  /**
   * Every network coordinate by node then segment (`segment` null: all segments); index: the
   * coordinates table index. Watches the whole table, as Consul.
   */
  coordinates(segment: string | null, ws?: WatchSetBuilder): ReadResult<CoordinateRow[]> {
    ws?.addKey(this.watches.catalog, COORDINATES_WATCH_KEY);
    return reported(coordinatesList(this.reader(), segment));
  }

  /** The Raft index of the last change to any coordinate (0 before the first). */
  coordinatesIndex(): number {
    return this.current.indexes.get('coordinates') ?? 0;
  }

  /** One node's coordinates, one per segment; indexed and watched as coordinates(). */
  nodeCoordinates(node: string, ws?: WatchSetBuilder): ReadResult<CoordinateRow[]> {
    ws?.addKey(this.watches.catalog, COORDINATES_WATCH_KEY);
    return reported(nodeCoordinates(this.reader(), node));
  }

  /** One session, or null; index: the sessions table index. Watches that session. */
  sessionGet(id: string, ws?: WatchSetBuilder): ReadResult<Session | null> {
    ws?.addKey(this.watches.sessions, sessionIdWatchKey(id));
    return reported(sessionGet(this.reader(), id));
  }

  /** Every session, sorted by ID; index: the sessions table index. */
  sessionList(ws?: WatchSetBuilder): ReadResult<Session[]> {
    ws?.addPrefix(this.watches.sessions, allSessionsWatchPrefix);
    return reported(sessionList(this.reader()));
  }

  /** The sessions of one node, sorted by ID; index: the sessions table index. */
  nodeSessions(node: string, ws?: WatchSetBuilder): ReadResult<Session[]> {
    ws?.addPrefix(this.watches.sessions, nodeSessionsWatchPrefix(node));
    return reported(nodeSessions(this.reader(), node));
  }

  /** One prepared query by ID, or null; index: the prepared-queries table index. */
  preparedQueryGet(id: string, ws?: WatchSetBuilder): ReadResult<PreparedQuery | null> {
    ws?.addKey(this.watches.preparedQueries, preparedQueryWatchKey(id));
    return reported(preparedQueryGet(this.reader(), id));
  }

  /** Every prepared query, sorted by ID; index: the prepared-queries table index. */
  preparedQueryList(ws?: WatchSetBuilder): ReadResult<PreparedQuery[]> {
    ws?.addPrefix(this.watches.preparedQueries, '');
    return reported(preparedQueryList(this.reader()));
  }

  /**
   * The query an ID or name selects, rendered for that name when it is a template (`segment`:
   * the executing agent's network segment); null when none. Throws a PreparedQueryError for a
   * template addressed by ID or one that does not render.
   */
  preparedQueryResolve(idOrName: string, segment: string): ReadResult<PreparedQuery | null> {
    return reported(preparedQueryResolve(this.reader(), idOrName, segment));
  }

  /**
   * Epoch ms until which a new `?acquire` of `key` must be refused (0 when none): the lock-delay
   * a session invalidation left on it.
   */
  kvLockDelayUntil(key: string, now = Date.now()): number {
    const until = this.lockDelays.get(key);
    if (until === undefined) return 0;
    if (until > now) return until;
    this.lockDelays.delete(key);
    return 0;
  }

  /**
   * Tells `listener` of every committed session creation and invalidation (and of a restore,
   * which replaces every session). Returns the unsubscribe function.
   */
  onSessionEvents(listener: SessionListener): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  /** Evaluates a transaction of read verbs against the current state; never changes it. */
  kvTxnRead(ops: KvTxnOp[]): TxnResult {
    return txnReadKv(this.reader(), ops);
  }

  /** Evaluates read ops of any kind (KV and Node/Service/Check gets); never changes state. */
  txnRead(ops: MixedTxnOp[]): MixedTxnResult {
    return txnReadMixed(this.reader(), ops);
  }

  /** The highest Raft index applied to the store. */
  lastIndex(): number {
    return this.applied;
  }

  /** The Raft index of the last change to any KV row or tombstone (0 before the first). */
  kvTableIndex(): number {
    return kvsTableIndex(this.reader());
  }

  /** Records an applied entry that changes no table (a Raft no-op); never moves backwards. */
  advanceIndex(index: number): void {
    this.applied = Math.max(this.applied, index);
  }

  /** How many watch sets are waiting right now (open blocking queries). */
  watchStats(): { waiters: number } {
    return { waiters: this.registry.waiters };
  }

  /** Wakes every waiting watch set: what they read may no longer exist. */
  abandon(): void {
    this.abandons += 1;
    this.registry.abandon();
  }

  /** How many times the store was abandoned (restored); blocking queries return when it moves. */
  abandonEpoch(): number {
    return this.abandons;
  }

  /**
   * Runs `change` as the write transaction of Raft entry `index` (entries arrive in log order).
   * Whatever it leaves un-rolled-back commits; then the watchers of what changed wake, once.
   * If it throws, every edit is undone and the entry does not count as applied.
   */
  write<T>(index: number, change: (tx: WriteTxn) => T): T {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new Error(`write at index ${index} is out of order: already applied ${this.applied}`);
    }
    const tx = new WriteTxn(this.current, this.watches, index);
    let result: T;
    try {
      result = change(tx);
    } catch (error) {
      tx.rollback();
      throw error;
    }
    this.applied = index;
    const { changes, sessionEvents } = tx.commit();
    this.registry.notify(changes);
    if (sessionEvents.length > 0) this.sessionsChanged(sessionEvents);
    return result;
  }

  // Lock-delay windows start now, on this server's clock (Consul's lockDelay.SetExpiration).
  private sessionsChanged(events: SessionEvent[]): void {
    const now = Date.now();
    for (const event of events) {
      if (event.kind !== 'invalidated' || event.lockDelayMs <= 0) continue;
      for (const key of event.heldKeys) this.lockDelays.set(key, now + event.lockDelayMs);
    }
    this.pruneLockDelays(now);
    for (const listener of this.sessionListeners) listener.committed(events);
  }

  // Expired windows are dropped when read; this bounds what a long quiet run leaves behind.
  private pruneLockDelays(now: number): void {
    if (this.lockDelays.size < LOCK_DELAY_PRUNE_AT) return;
    for (const [key, until] of this.lockDelays) if (until <= now) this.lockDelays.delete(key);
  }

  private reader(): ReadTxn {
    return { tables: this.current };
  }

  /** Autopilot's stored configuration, or null before the leader first stores it. */
  autopilotConfig(): AutopilotConfigRow | null {
    return this.current.autopilot;
  }

  /** The snapshot restore being staged through Raft, if any (restore.ts). */
  restoring(): RestoreStaging | null {
    return this.current.restoring;
  }

  snapshot(): Uint8Array {
    return encodeSnapshot({ tables: this.current, lastIndex: this.applied });
  }

  /**
   * Replaces the whole state with a snapshot taken at Raft index `index` (default: the index
   * recorded in it). A corrupt snapshot throws and leaves the current state untouched.
   */
  restore(data: Uint8Array, index?: number): void {
    const restored = decodeSnapshot(data);
    this.current = restored.tables;
    this.applied = index ?? restored.lastIndex;
    this.abandon();
    for (const listener of this.sessionListeners) listener.restored();
  }
}

// Consul never reports index 0: a client blocking on 0 would not block at all.
function reported<T>(result: ReadResult<T>): ReadResult<T> {
  return result.index === 0 ? { value: result.value, index: 1 } : result;
}
