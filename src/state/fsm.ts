// The FSM: decodes each committed command and applies it to the state store at its Raft index.
// One apply function per command type, chosen from a table (as consul's fsm/commands_*.go).
import { EntryType, type LogEntry, type SnapshotMeta, type StateMachine } from '../raft';
import { ACL_APPLY } from './acl-apply';
import { decodeCommand } from './codec';
import { coordinateBatchUpdateTxn } from './coordinates';
import { deregisterTxn, registerTxn, syncTxn } from './catalog-register';
import type { CatalogResult } from './catalog-types';
import type {
  CatalogDeregisterCommand,
  CatalogRegisterCommand,
  CatalogSyncCommand,
  Command,
  CoordinateBatchUpdateCommand,
  KvDeleteCommand,
  KvDeleteTreeCommand,
  KvSetCommand,
  MixedTxnCommand,
  PreparedQueryApplyCommand,
  SessionCreateCommand,
  SessionDestroyCommand,
  TombstoneReapCommand,
  TxnCommand,
} from './commands';
import {
  kvsCasTxn,
  kvsDeleteCasTxn,
  kvsDeleteTreeTxn,
  kvsDeleteTxn,
  kvsSetTxn,
  reapTombstonesTxn,
  type KvWrite,
} from './kv';
import { PreparedQueryError, preparedQueryDeleteTxn, preparedQuerySetTxn } from './prepared-query';
import type { PreparedQueryResult } from './prepared-query-types';
import { applyAutopilotSet, applySnapshotChunk, applySnapshotRestore } from './restore';
import { sessionCreateTxn, sessionDestroyTxn, sessionExists, SessionError } from './session';
import type { StateStore } from './store';
import type { MixedTxnResult } from './catalog-txn';
import { txnApplyKv, txnApplyMixed } from './txn';
import type { SessionResult, TxnResult } from './types';

type Apply<C extends Command> = (store: StateStore, index: number, cmd: C) => unknown;

const applyByType: { [T in Command['type']]: Apply<Extract<Command, { type: T }>> } = {
  'kv-set': applyKvSet,
  'kv-delete': applyKvDelete,
  'kv-delete-tree': applyKvDeleteTree,
  txn: applyTxn,
  'txn-mixed': applyMixedTxn,
  'tombstone-reap': applyTombstoneReap,
  'catalog-register': applyCatalogRegister,
  'catalog-deregister': applyCatalogDeregister,
  'catalog-sync': applyCatalogSync,
  ...ACL_APPLY,
  'snapshot-chunk': applySnapshotChunk,
  'snapshot-restore': applySnapshotRestore,
  'autopilot-set': applyAutopilotSet,
  'session-create': applySessionCreate,
  'session-destroy': applySessionDestroy,
  'prepared-query-apply': applyPreparedQuery,
  'coordinate-batch-update': applyCoordinateBatchUpdate,
};

export class Fsm implements StateMachine {
  constructor(private readonly store: StateStore) {}

  apply(entry: LogEntry): unknown {
    // No-ops and membership changes touch no table but still count as applied.
    if (entry.type !== EntryType.Command) {
      this.store.advanceIndex(entry.index);
      return undefined;
    }
    return applyCommand(this.store, entry.index, decodeCommand(entry.data));
  }

  snapshot(): Uint8Array {
    return this.store.snapshot();
  }

  restore(data: Uint8Array, meta: SnapshotMeta): void {
    this.store.restore(data, meta.index);
  }
}

/** Applies one decoded command at Raft index `index`; returns what the proposer gets back. */
export function applyCommand(store: StateStore, index: number, cmd: Command): unknown {
  const apply = applyByType[cmd.type] as Apply<Command>;
  return apply(store, index, cmd);
}

/** True when set; false when a cas did not match. */
function applyKvSet(store: StateStore, index: number, cmd: KvSetCommand): boolean {
  const write: KvWrite = {
    key: cmd.key,
    value: cmd.value,
    flags: cmd.flags,
    session: null,
    lockIndex: 0,
  };
  return store.write(index, (tx) =>
    cmd.cas === undefined
      ? (kvsSetTxn(tx, write, false), true)
      : kvsCasTxn(tx, write, cmd.cas) !== null,
  );
}

/** True when deleted (or already absent); false when a cas did not match. */
function applyKvDelete(store: StateStore, index: number, cmd: KvDeleteCommand): boolean {
  return store.write(index, (tx) => {
    if (cmd.cas !== undefined) return kvsDeleteCasTxn(tx, cmd.key, cmd.cas);
    kvsDeleteTxn(tx, cmd.key);
    return true;
  });
}

function applyKvDeleteTree(store: StateStore, index: number, cmd: KvDeleteTreeCommand): boolean {
  store.write(index, (tx) => kvsDeleteTreeTxn(tx, cmd.prefix));
  return true;
}

function applyTxn(store: StateStore, index: number, cmd: TxnCommand): TxnResult {
  return store.write(index, (tx) => txnApplyKv(tx, cmd.ops, (id) => sessionExists(tx, id)));
}

function applyMixedTxn(store: StateStore, index: number, cmd: MixedTxnCommand): MixedTxnResult {
  return store.write(index, (tx) => txnApplyMixed(tx, cmd.ops, (id) => sessionExists(tx, id)));
}

function applyTombstoneReap(store: StateStore, index: number, cmd: TombstoneReapCommand): void {
  store.write(index, (tx) => reapTombstonesTxn(tx, cmd.upto));
}

function applyCatalogRegister(
  store: StateStore,
  index: number,
  cmd: CatalogRegisterCommand,
): CatalogResult {
  return store.write(index, (tx) => registerTxn(tx, cmd.registration));
}

function applyCatalogDeregister(
  store: StateStore,
  index: number,
  cmd: CatalogDeregisterCommand,
): CatalogResult {
  return store.write(index, (tx) => deregisterTxn(tx, cmd.deregistration));
}

function applyCatalogSync(
  store: StateStore,
  index: number,
  cmd: CatalogSyncCommand,
): CatalogResult {
  return store.write(index, (tx) => syncTxn(tx, cmd.node, cmd.ops));
}

/** `{ok: true}`, or Consul's error text (missing node, missing or critical check). */
function applySessionCreate(
  store: StateStore,
  index: number,
  cmd: SessionCreateCommand,
): SessionResult {
  return store.write(index, (tx) => {
    try {
      sessionCreateTxn(tx, cmd.session);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      tx.rollback();
      return { ok: false, error: error.message };
    }
  });
}

/** True when the session existed. */
function applySessionDestroy(
  store: StateStore,
  index: number,
  cmd: SessionDestroyCommand,
): boolean {
  return store.write(index, (tx) => sessionDestroyTxn(tx, cmd.id));
}

/** `{ok: true}`, or Consul's error text (name taken, unknown session, bad template). */
function applyPreparedQuery(
  store: StateStore,
  index: number,
  cmd: PreparedQueryApplyCommand,
): PreparedQueryResult {
  return store.write(index, (tx) => {
    if (cmd.op === 'delete') {
      preparedQueryDeleteTxn(tx, cmd.query.id);
      return { ok: true };
    }
    try {
      preparedQuerySetTxn(tx, cmd.query);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof PreparedQueryError)) throw error;
      tx.rollback();
      return { ok: false, error: error.message };
    }
  });
}

/** How many updates were stored (those of nodes not in the catalog are dropped). */
function applyCoordinateBatchUpdate(
  store: StateStore,
  index: number,
  cmd: CoordinateBatchUpdateCommand,
): number {
  return store.write(index, (tx) => coordinateBatchUpdateTxn(tx, cmd.updates));
}
