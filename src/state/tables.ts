// The tables of the state store and the write transaction that changes them.
// A write transaction edits the tables in place and records how to undo each edit, so that a
// transaction either commits whole or rolls back to exactly where it started. JS runs it
// synchronously, so no reader ever observes a half-applied transaction.
import type { AclTables } from './acl';
import type { CatalogNode, HealthCheck, NodeService } from './catalog-types';
import type { CoordinateRow } from './coordinates';
import { OrderedTable } from './ordered-table';
import type { PreparedQuery } from './prepared-query-types';
import type { AutopilotConfigRow, RestoreStaging } from './restore';
import type { Session } from './session-types';
import type { KvEntry } from './types';
import { WatchTable, type WatchChange } from './watch';

/** Table names that carry an index (Consul's "index" table): the Raft index of their last change. */
export type IndexedTable =
  | 'kvs'
  | 'tombstones'
  | 'nodes'
  | 'services'
  | 'checks'
  | 'sessions'
  | 'prepared-queries'
  | 'acl-tokens'
  | 'acl-policies'
  | 'acl-roles'
  | 'acl-bootstrap'
  | 'coordinates';

/**
 * Entries of the index table: whole tables, plus one per service name (`service.<name>`) and
 * one per node (`node.<name>`), names lower-cased, so that reads of one service or node report
 * (and wait on) changes to it alone.
 */
export type IndexName = IndexedTable | `service.${string}` | `node.${string}`;

export interface Tables extends AclTables {
  kvs: OrderedTable<KvEntry>;
  /** Deleted KV keys (or deleted prefixes) → the index of the delete. */
  tombstones: OrderedTable<number>;
  /** Keyed by lower-cased node name (Consul's node names are case-insensitive). */
  nodes: OrderedTable<CatalogNode>;
  /** Keyed `node\0serviceID`, both lower-cased. */
  services: OrderedTable<NodeService>;
  /** Keyed `node\0checkID`, both lower-cased. */
  checks: OrderedTable<HealthCheck>;
  /** Secondary index of `services`: `name\0node\0serviceID` (lower-cased) → services key. */
  serviceInstances: OrderedTable<string>;
  /** Keyed by session ID. */
  sessions: OrderedTable<Session>;
  /** Secondary index of `sessions`: `node\0sessionID` (node lower-cased) → session ID. */
  nodeSessions: OrderedTable<string>;
  /** Secondary index of `sessions`: `checks key\0sessionID` → session ID (checks it is bound to). */
  sessionChecks: OrderedTable<string>;
  /** Secondary index of `kvs`: `sessionID\0key` → key, for every key a session holds. */
  kvSessions: OrderedTable<string>;
  /** Keyed by lower-cased query ID. */
  preparedQueries: OrderedTable<PreparedQuery>;
  /** Secondary index of `preparedQueries`: lower-cased name → ID (named queries and templates). */
  preparedQueryNames: OrderedTable<string>;
  /** Secondary index of `preparedQueries`: lower-cased template name ("" too) → ID. */
  preparedQueryTemplates: OrderedTable<string>;
  /** Secondary index of `preparedQueries`: `sessionID\0queryID` → ID (queries bound to a session). */
  preparedQuerySessions: OrderedTable<string>;
  /** Keyed `node\0segment` (node lower-cased): network coordinates (coordinates.ts). */
  coordinates: OrderedTable<CoordinateRow>;
  indexes: Map<IndexName, number>;
  /** Autopilot's configuration once set (restore.ts). */
  autopilot: AutopilotConfigRow | null;
  /** A snapshot restore being staged (restore.ts). */
  restoring: RestoreStaging | null;
}

/** Per table family, who is watching which keys. Lives outside Tables: a restore keeps it. */
export interface WatchTables {
  kvs: WatchTable;
  /** Exact keys only: a table index's name (`acl-tokens`, …), woken whenever it moves. */
  indexes: WatchTable;
  /**
   * Exact keys only: `nodes`, `services`, `checks`, `node.<name>`, `service.<name>`,
   * `coordinates`.
   */
  catalog: WatchTable;
  /** Session rows: `i\0<id>` (one session) and `n\0<node>\0<id>` (a node's sessions). */
  sessions: WatchTable;
  /** Query rows: `i\0<id>`; list readers watch the prefix "". */
  preparedQueries: WatchTable;
}

export function newTables(): Tables {
  return {
    kvs: new OrderedTable(),
    tombstones: new OrderedTable(),
    nodes: new OrderedTable(),
    services: new OrderedTable(),
    checks: new OrderedTable(),
    serviceInstances: new OrderedTable(),
    aclTokens: new OrderedTable(),
    aclTokenSecrets: new OrderedTable(),
    aclPolicies: new OrderedTable(),
    aclPolicyNames: new OrderedTable(),
    aclRoles: new OrderedTable(),
    aclRoleNames: new OrderedTable(),
    sessions: new OrderedTable(),
    nodeSessions: new OrderedTable(),
    sessionChecks: new OrderedTable(),
    kvSessions: new OrderedTable(),
    preparedQueries: new OrderedTable(),
    preparedQueryNames: new OrderedTable(),
    preparedQueryTemplates: new OrderedTable(),
    preparedQuerySessions: new OrderedTable(),
    coordinates: new OrderedTable(),
    indexes: new Map(),
    autopilot: null,
    restoring: null,
  };
}

export function newWatchTables(): WatchTables {
  return {
    kvs: new WatchTable(),
    indexes: new WatchTable(),
    catalog: new WatchTable(),
    sessions: new WatchTable(),
    preparedQueries: new WatchTable(),
  };
}

/**
 * What a committed write did to sessions, for what lives outside the replicated tables: the
 * leader's TTL timers and every server's lock-delay windows (kept in memory, as Consul).
 */
export type SessionEvent =
  | { kind: 'created'; session: Session }
  | {
      kind: 'invalidated';
      id: string;
      /** Keys it held (released or deleted), each now under lock-delay. */
      heldKeys: string[];
      /** min(LockDelay, 60 s) in milliseconds. */
      lockDelayMs: number;
    };

/** What reads need: the tables as they stand (inside a write, including its own edits). */
export interface ReadTxn {
  readonly tables: Tables;
}

export function tableIndex(tables: Tables, table: IndexName): number {
  return tables.indexes.get(table) ?? 0;
}

export class WriteTxn implements ReadTxn {
  private undoLog: (() => void)[] = [];
  private changes: WatchChange[] = [];
  private sessionEvents: SessionEvent[] = [];
  private finished = false;

  constructor(
    readonly tables: Tables,
    readonly watches: WatchTables,
    /** The Raft index of the entry being applied; every row written is stamped with it. */
    readonly index: number,
  ) {}

  put<V>(table: OrderedTable<V>, key: string, row: V): void {
    const previous = table.get(key);
    table.set(key, row);
    this.undoLog.push(() => restoreRow(table, key, previous));
  }

  remove<V>(table: OrderedTable<V>, key: string): void {
    const previous = table.get(key);
    if (previous === undefined) return;
    table.delete(key);
    this.undoLog.push(() => table.set(key, previous));
  }

  /** Records that `table` changed at this transaction's index. */
  touchIndex(table: IndexName): void {
    this.setIndex(table, this.index);
    this.changed(this.watches.indexes, table);
  }

  /** Forgets a per-service or per-node index (its service or node is gone). */
  dropIndex(name: IndexName): void {
    this.setIndex(name, undefined);
  }

  private setIndex(name: IndexName, value: number | undefined): void {
    const indexes = this.tables.indexes;
    const previous = indexes.get(name);
    if (previous === value) return;
    if (value === undefined) indexes.delete(name);
    else indexes.set(name, value);
    this.undoLog.push(() => {
      if (previous === undefined) indexes.delete(name);
      else indexes.set(name, previous);
    });
  }

  /** Queues a wake-up for watchers of `key` (and of its prefixes), sent only on commit. */
  changed(watch: WatchTable, key: string): void {
    this.changes.push({ watch, key });
  }

  /** Queues a session event (created, invalidated), delivered only on commit. */
  sessionEvent(event: SessionEvent): void {
    this.sessionEvents.push(event);
  }

  /** Undoes every edit, newest first. The transaction then commits nothing. */
  rollback(): void {
    this.assertOpen();
    for (let i = this.undoLog.length - 1; i >= 0; i--) this.undoLog[i]();
    this.undoLog = [];
    this.changes = [];
    this.sessionEvents = [];
  }

  /** Ends the transaction; returns the changes whose watchers must now be woken. */
  commit(): { changes: WatchChange[]; sessionEvents: SessionEvent[] } {
    this.assertOpen();
    this.finished = true;
    this.undoLog = [];
    return { changes: this.changes, sessionEvents: this.sessionEvents };
  }

  private assertOpen(): void {
    if (this.finished) throw new Error(`write transaction at index ${this.index} already ended`);
  }
}

function restoreRow<V>(table: OrderedTable<V>, key: string, previous: V | undefined): void {
  if (previous === undefined) table.delete(key);
  else table.set(key, previous);
}
