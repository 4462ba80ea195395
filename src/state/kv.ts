// The KV table family: rows in `kvs`, deletions remembered in `tombstones` so that the index of
// a prefix never goes backwards. Reads take a ReadTxn, writes a WriteTxn that stamps every row
// with the Raft index being applied. Semantics follow hashicorp/consul agent/consul/state/kvs.go.
import { goQuote } from './go-quote';
import { tableIndex, type ReadTxn, type WriteTxn } from './tables';
import type { KvEntry, ReadResult } from './types';

/** A failed KV operation whose message is Consul's error text (surfaces in txn errors). */
export class KvOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KvOpError';
  }
}

/** What a write supplies; the indexes come from the transaction and the existing row. */
export interface KvWrite {
  key: string;
  value: Uint8Array;
  flags: bigint;
  session: string | null;
  lockIndex: number;
}

/** The KV table index: the last change to any row or tombstone. */
export function kvsTableIndex(tx: ReadTxn): number {
  return Math.max(tableIndex(tx.tables, 'kvs'), tableIndex(tx.tables, 'tombstones'));
}

/** One key; the index is its ModifyIndex, or the table index when it is missing. */
export function kvsGet(tx: ReadTxn, key: string): ReadResult<KvEntry | null> {
  const entry = tx.tables.kvs.get(key) ?? null;
  return { value: entry, index: entry?.modifyIndex ?? kvsTableIndex(tx) };
}

/** Every row under `prefix`, sorted by key. */
export function kvsList(tx: ReadTxn, prefix: string): ReadResult<KvEntry[]> {
  const entries: KvEntry[] = [];
  let maxIndex = 0;
  for (const [, entry] of tx.tables.kvs.scanPrefix(prefix)) {
    entries.push(entry);
    maxIndex = Math.max(maxIndex, entry.modifyIndex);
  }
  return { value: entries, index: kvsPrefixIndex(tx, prefix, maxIndex) };
}

/**
 * Keys under `prefix`. With a separator each key is cut after the first separator that follows
 * the prefix, and repeats dropped (`web/` + `/` → `web/bar`, `web/subdir/`).
 */
export function kvsKeys(
  tx: ReadTxn,
  prefix: string,
  separator: string | null,
): ReadResult<string[]> {
  const keys: string[] = [];
  let maxIndex = 0;
  for (const [key, entry] of tx.tables.kvs.scanPrefix(prefix)) {
    maxIndex = Math.max(maxIndex, entry.modifyIndex);
    const shown = cutAfterSeparator(key, prefix.length, separator);
    // Keys sharing a cut form are adjacent in key order, so comparing with the last suffices.
    if (shown !== keys[keys.length - 1]) keys.push(shown);
  }
  return { value: keys, index: kvsPrefixIndex(tx, prefix, maxIndex) };
}

function cutAfterSeparator(key: string, prefixLength: number, separator: string | null): string {
  if (separator === null || separator === '') return key;
  const at = key.indexOf(separator, prefixLength);
  return at === -1 ? key : key.slice(0, at + separator.length);
}

// Max of the rows' and tombstones' indexes under the prefix, else the table index. For the whole
// tree the table index already covers every row and tombstone.
function kvsPrefixIndex(tx: ReadTxn, prefix: string, rowsIndex: number): number {
  if (prefix === '') return kvsTableIndex(tx);
  let index = rowsIndex;
  for (const [, deletedAt] of tx.tables.tombstones.scanPrefix(prefix)) {
    index = Math.max(index, deletedAt);
  }
  return index !== 0 ? index : kvsTableIndex(tx);
}

/**
 * Inserts or updates a row. Unless `updateSession`, the row keeps its current lock holder.
 * An update that changes nothing writes nothing (no new ModifyIndex, no wake-ups), as Consul.
 * Like Consul, LockIndex is taken from the write, so a plain set resets it to 0.
 */
export function kvsSetTxn(tx: WriteTxn, write: KvWrite, updateSession: boolean): KvEntry {
  const existing = tx.tables.kvs.get(write.key);
  const entry: KvEntry = {
    key: write.key,
    value: write.value,
    flags: write.flags,
    session: updateSession ? write.session : (existing?.session ?? null),
    lockIndex: write.lockIndex,
    createIndex: existing?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  if (existing !== undefined && sameContent(existing, entry)) return existing;
  insertKvTxn(tx, entry);
  return entry;
}

/** Sets only if the row's ModifyIndex equals `casIndex` (0: only if the key is absent). */
export function kvsCasTxn(tx: WriteTxn, write: KvWrite, casIndex: number): KvEntry | null {
  const existing = tx.tables.kvs.get(write.key);
  const matches = casIndex === 0 ? existing === undefined : existing?.modifyIndex === casIndex;
  return matches ? kvsSetTxn(tx, write, false) : null;
}

/** Deletes one key, leaving a tombstone. Deleting a missing key changes nothing. */
export function kvsDeleteTxn(tx: WriteTxn, key: string): void {
  if (tx.tables.kvs.get(key) === undefined) return;
  buryTxn(tx, key);
  removeKvTxn(tx, [key]);
}

/**
 * Deletes only if the row's ModifyIndex equals `casIndex`. A missing key counts as deleted
 * (true); `casIndex` 0 never matches an existing row.
 */
export function kvsDeleteCasTxn(tx: WriteTxn, key: string, casIndex: number): boolean {
  const existing = tx.tables.kvs.get(key);
  if (existing === undefined) return true;
  if (existing.modifyIndex !== casIndex) return false;
  kvsDeleteTxn(tx, key);
  return true;
}

/**
 * Deletes every key under `prefix` with one tombstone on the prefix itself (none for the whole
 * tree: then the table index speaks for everything), as Consul does.
 */
export function kvsDeleteTreeTxn(tx: WriteTxn, prefix: string): void {
  const keys = [...tx.tables.kvs.scanPrefix(prefix)].map(([key]) => key);
  if (keys.length === 0) return;
  if (prefix !== '') buryTxn(tx, prefix);
  // Last key first: each removal then takes the tail of a sorted chunk, which moves nothing.
  removeKvTxn(tx, keys.reverse());
}

/**
 * Acquires the lock on `write.key` for `write.session`: succeeds when the key is unlocked or
 * already held by that session; LockIndex grows only on a new acquisition. Null when another
 * session holds it. `sessionExists` answers from the sessions table.
 */
export function kvsLockTxn(
  tx: WriteTxn,
  write: KvWrite,
  sessionExists: (id: string) => boolean,
): KvEntry | null {
  const session = requireSession(write);
  if (!sessionExists(session)) throw new KvOpError(`invalid session ${goQuote(session)}`);
  const existing = tx.tables.kvs.get(write.key);
  if (existing !== undefined && existing.session !== null && existing.session !== session) {
    return null;
  }
  const lockIndex =
    existing === undefined ? 1 : existing.lockIndex + (existing.session === session ? 0 : 1);
  return kvsSetTxn(tx, { ...write, session, lockIndex }, true);
}

/** Releases the lock if `write.session` holds it: clears Session, keeps LockIndex. */
export function kvsUnlockTxn(tx: WriteTxn, write: KvWrite): KvEntry | null {
  const session = requireSession(write);
  const existing = tx.tables.kvs.get(write.key);
  if (existing === undefined || existing.session !== session) return null;
  return kvsSetTxn(tx, { ...write, session: null, lockIndex: existing.lockIndex }, true);
}

function requireSession(write: KvWrite): string {
  if (write.session === null || write.session === '') throw new KvOpError('missing session');
  return write.session;
}

/** The row, if it is locked by `session` ("" or absent: if it is unlocked). */
export function kvsCheckSessionTxn(tx: ReadTxn, key: string, session: string): KvEntry {
  const entry = tx.tables.kvs.get(key);
  if (entry === undefined) {
    throw new KvOpError(`failed to check session, key ${goQuote(key)} doesn't exist`);
  }
  const holder = entry.session ?? '';
  if (holder !== session) {
    throw new KvOpError(
      `failed session check for key ${goQuote(key)}, current session ${goQuote(holder)} != ${goQuote(session)}`,
    );
  }
  return entry;
}

/** The row, if its ModifyIndex equals `index`. */
export function kvsCheckIndexTxn(tx: ReadTxn, key: string, index: number): KvEntry {
  const entry = tx.tables.kvs.get(key);
  if (entry === undefined) {
    throw new KvOpError(`failed to check index, key ${goQuote(key)} doesn't exist`);
  }
  if (entry.modifyIndex !== index) {
    throw new KvOpError(
      `failed index check for key ${goQuote(key)}, current modify index ${entry.modifyIndex} != ${index}`,
    );
  }
  return entry;
}

/**
 * Drops tombstones deleted at or before `upto`. Nothing visible changes, so nobody is woken;
 * a prefix's index may go backwards afterwards, which clients tolerate (they reset).
 */
export function reapTombstonesTxn(tx: WriteTxn, upto: number): void {
  const expired: string[] = [];
  for (const [key, deletedAt] of tx.tables.tombstones.scanPrefix('')) {
    if (deletedAt <= upto) expired.push(key);
  }
  for (const key of expired) tx.remove(tx.tables.tombstones, key);
}

function insertKvTxn(tx: WriteTxn, entry: KvEntry): void {
  const previous = tx.tables.kvs.get(entry.key);
  if (previous?.session !== entry.session) {
    if (previous?.session) tx.remove(tx.tables.kvSessions, kvSessionKey(previous));
    if (entry.session) tx.put(tx.tables.kvSessions, kvSessionKey(entry), entry.key);
  }
  tx.put(tx.tables.kvs, entry.key, entry);
  // The live row's ModifyIndex is newer than its tombstone, so the tombstone is no longer needed.
  tx.remove(tx.tables.tombstones, entry.key);
  tx.touchIndex('kvs');
  tx.changed(tx.watches.kvs, entry.key);
}

function removeKvTxn(tx: WriteTxn, keys: string[]): void {
  for (const key of keys) {
    const previous = tx.tables.kvs.get(key);
    if (previous?.session) tx.remove(tx.tables.kvSessions, kvSessionKey(previous));
    tx.remove(tx.tables.kvs, key);
    tx.changed(tx.watches.kvs, key);
  }
  tx.touchIndex('kvs');
}

/** Key of a held row in the kvSessions index: the holder's ID, then the key. */
export function kvSessionKey(entry: KvEntry): string {
  return `${entry.session ?? ''}\0${entry.key}`;
}

function buryTxn(tx: WriteTxn, key: string): void {
  tx.put(tx.tables.tombstones, key, tx.index);
  tx.touchIndex('tombstones');
}

function sameContent(a: KvEntry, b: KvEntry): boolean {
  return (
    a.key === b.key &&
    a.flags === b.flags &&
    a.session === b.session &&
    a.lockIndex === b.lockIndex &&
    sameBytes(a.value, b.value)
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
