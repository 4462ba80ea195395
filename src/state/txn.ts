// /v1/txn: every op (KV, and Node/Service/Check in catalog-txn.ts) is evaluated in order inside one write transaction; each failure is
// collected with its op index; any failure rolls the whole transaction back. As Consul's
// agent/consul/state/txn.go.
import { CatalogError } from './catalog';
import {
  txnCatalogRead,
  txnCatalogWrite,
  type MixedTxnOp,
  type MixedTxnResult,
  type TxnOpResult,
} from './catalog-txn';
import { goQuote } from './go-quote';
import {
  KvOpError,
  kvsCasTxn,
  kvsCheckIndexTxn,
  kvsCheckSessionTxn,
  kvsDeleteCasTxn,
  kvsDeleteTreeTxn,
  kvsDeleteTxn,
  kvsGet,
  kvsList,
  kvsLockTxn,
  kvsSetTxn,
  kvsUnlockTxn,
  type KvWrite,
} from './kv';
import type { ReadTxn, WriteTxn } from './tables';
import type { KvEntry, KvTxnOp, KvVerb, TxnError, TxnResult } from './types';

type ReadVerb =
  'get' | 'get-or-empty' | 'get-tree' | 'check-index' | 'check-session' | 'check-not-exists';

const READ_VERBS: ReadonlySet<KvVerb> = new Set<ReadVerb>([
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
]);

export function isReadOnlyVerb(verb: KvVerb): boolean {
  return READ_VERBS.has(verb);
}

/**
 * Applies `ops` in `tx`. On any failure the transaction is rolled back and every error is
 * reported. `sessionExists` answers lock ops from the sessions table.
 */
export function txnApplyKv(
  tx: WriteTxn,
  ops: KvTxnOp[],
  sessionExists: (id: string) => boolean,
): TxnResult {
  const outcome = evaluate(ops, (op) =>
    asKvResults(isReadOnlyVerb(op.verb) ? txnKvRead(tx, op) : txnKvWrite(tx, op, sessionExists)),
  );
  if (outcome.errors !== null) tx.rollback();
  return outcome;
}

/**
 * Applies a transaction that mixes KV ops with Node/Service/Check ops, in order, all or
 * nothing: on any failure the transaction is rolled back and every error is reported.
 */
export function txnApplyMixed(
  tx: WriteTxn,
  ops: MixedTxnOp[],
  sessionExists: (id: string) => boolean,
): MixedTxnResult {
  const outcome = evaluate<MixedTxnOp, TxnOpResult>(ops, (op) => {
    if (op.kind !== 'kv') return txnCatalogWrite(tx, op);
    const kv = op.op;
    return asKvResults(
      isReadOnlyVerb(kv.verb) ? txnKvRead(tx, kv) : txnKvWrite(tx, kv, sessionExists),
    );
  });
  if (outcome.errors !== null) tx.rollback();
  return outcome;
}

/** Evaluates a transaction of reads only; a write verb is reported as an op error. */
export function txnReadKv(tx: ReadTxn, ops: KvTxnOp[]): TxnResult {
  return evaluate(ops, (op) => {
    if (!isReadOnlyVerb(op.verb)) {
      throw new KvOpError(`verb ${goQuote(op.verb)} is not allowed in a read-only transaction`);
    }
    return asKvResults(txnKvRead(tx, op));
  });
}

/** Evaluates a transaction of read ops of any kind; a write verb is reported as an op error. */
export function txnReadMixed(tx: ReadTxn, ops: MixedTxnOp[]): MixedTxnResult {
  return evaluate<MixedTxnOp, TxnOpResult>(ops, (op) => {
    if (op.kind !== 'kv') return txnCatalogRead(tx, op);
    if (!isReadOnlyVerb(op.op.verb)) {
      throw new KvOpError(`verb ${goQuote(op.op.verb)} is not allowed in a read-only transaction`);
    }
    return asKvResults(txnKvRead(tx, op.op));
  });
}

// Runs every op, collecting each failure (KV and catalog op errors) with its position.
function evaluate<Op, R>(
  ops: readonly Op[],
  run: (op: Op) => R[],
): { results: R[] | null; errors: TxnError[] | null } {
  const results: R[] = [];
  const errors: TxnError[] = [];
  ops.forEach((op, opIndex) => {
    try {
      results.push(...run(op));
    } catch (error) {
      if (!(error instanceof KvOpError) && !(error instanceof CatalogError)) throw error;
      errors.push({ opIndex, what: error.message });
    }
  });
  return errors.length > 0 ? { results: null, errors } : { results, errors: null };
}

const asKvResults = (entries: KvEntry[]): { kv: KvEntry }[] => entries.map((kv) => ({ kv }));

/** Results of one read op. Only get, get-or-empty and get-tree return values. */
function txnKvRead(tx: ReadTxn, op: KvTxnOp): KvEntry[] {
  switch (op.verb as ReadVerb) {
    case 'get': {
      const entry = kvsGet(tx, op.key).value;
      if (entry === null) throw new KvOpError(`key ${goQuote(op.key)} doesn't exist`);
      return [entry];
    }
    case 'get-or-empty':
      return [kvsGet(tx, op.key).value ?? emptyEntry(op)];
    case 'get-tree':
      return kvsList(tx, op.key).value;
    case 'check-index':
      return [withoutValue(kvsCheckIndexTxn(tx, op.key, op.index ?? 0))];
    case 'check-session':
      return [withoutValue(kvsCheckSessionTxn(tx, op.key, op.session ?? ''))];
    case 'check-not-exists':
      if (kvsGet(tx, op.key).value !== null) throw new KvOpError(`key ${goQuote(op.key)} exists`);
      return [];
  }
}

/** Results of one write op: the written row without its value; nothing for deletes. */
function txnKvWrite(tx: WriteTxn, op: KvTxnOp, sessionExists: (id: string) => boolean): KvEntry[] {
  const write = kvWriteOf(op);
  const quotedKey = goQuote(op.key);
  switch (op.verb) {
    case 'set':
      return [withoutValue(kvsSetTxn(tx, write, false))];
    case 'cas':
      return [
        withoutValue(
          kvsCasTxn(tx, write, op.index ?? 0) ??
            fail(`failed to set key ${quotedKey}, index is stale`),
        ),
      ];
    case 'lock':
      return [
        withoutValue(
          kvsLockTxn(tx, write, sessionExists) ??
            fail(`failed to lock key ${quotedKey}, lock is already held`),
        ),
      ];
    case 'unlock':
      return [
        withoutValue(
          kvsUnlockTxn(tx, write) ??
            fail(
              `failed to unlock key ${quotedKey}, lock isn't held, or is held by another session`,
            ),
        ),
      ];
    case 'delete':
      kvsDeleteTxn(tx, op.key);
      return [];
    case 'delete-tree':
      kvsDeleteTreeTxn(tx, op.key);
      return [];
    case 'delete-cas':
      if (!kvsDeleteCasTxn(tx, op.key, op.index ?? 0)) {
        fail(`failed to delete key ${quotedKey}, index is stale`);
      }
      return [];
    default:
      throw new KvOpError(`unknown KV verb ${goQuote(op.verb)}`);
  }
}

function kvWriteOf(op: KvTxnOp): KvWrite {
  return {
    key: op.key,
    value: op.value ?? new Uint8Array(0),
    flags: op.flags ?? 0n,
    session: op.session ?? null,
    lockIndex: 0,
  };
}

// get-or-empty on a missing key answers with the op's own entry, as Consul does.
function emptyEntry(op: KvTxnOp): KvEntry {
  return {
    key: op.key,
    value: new Uint8Array(0),
    flags: op.flags ?? 0n,
    session: op.session ?? null,
    lockIndex: 0,
    createIndex: 0,
    modifyIndex: op.index ?? 0,
  };
}

function withoutValue(entry: KvEntry): KvEntry {
  return { ...entry, value: new Uint8Array(0) };
}

function fail(what: string): never {
  throw new KvOpError(what);
}
