import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Command } from './commands';
import { applyCommand } from './fsm';
import { StateStore } from './store';
import type { KvEntry, KvTxnOp, TxnResult } from './types';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const EMPTY = new Uint8Array(0);

function apply(store: StateStore, cmd: Command): unknown {
  return applyCommand(store, store.lastIndex() + 1, cmd);
}

function txn(store: StateStore, ops: KvTxnOp[]): TxnResult {
  return apply(store, { type: 'txn', ops }) as TxnResult;
}

function seeded(): StateStore {
  const store = new StateStore();
  apply(store, { type: 'kv-set', key: 'a', value: bytes('A'), flags: 1n }); // 1
  apply(store, { type: 'kv-set', key: 'dir/x', value: bytes('X'), flags: 0n }); // 2
  apply(store, { type: 'kv-set', key: 'dir/y', value: bytes('Y'), flags: 0n }); // 3
  return store;
}

function entry(key: string, value: Uint8Array, index: number, flags = 0n): KvEntry {
  return {
    key,
    value,
    flags,
    session: null,
    lockIndex: 0,
    createIndex: index,
    modifyIndex: index,
  };
}

describe('txn', () => {
  it('returns one value-less entry per write and check, full entries for gets, none for deletes', () => {
    const store = seeded();
    const result = txn(store, [
      { verb: 'set', key: 'b', value: bytes('B'), flags: 5n },
      { verb: 'cas', key: 'a', value: bytes('A2'), index: 1 },
      { verb: 'get', key: 'b' },
      { verb: 'get-tree', key: 'dir/' },
      { verb: 'check-index', key: 'dir/x', index: 2 },
      { verb: 'check-not-exists', key: 'nope' },
      { verb: 'get-or-empty', key: 'nope' },
      { verb: 'delete', key: 'dir/y' },
      { verb: 'delete-cas', key: 'dir/x', index: 2 },
      { verb: 'delete-tree', key: 'zzz/' },
    ]);
    assert.equal(result.errors, null);
    assert.deepEqual(result.results, [
      { kv: entry('b', EMPTY, 4, 5n) },
      { kv: { ...entry('a', EMPTY, 4), createIndex: 1 } },
      { kv: entry('b', bytes('B'), 4, 5n) },
      { kv: entry('dir/x', bytes('X'), 2) },
      { kv: entry('dir/y', bytes('Y'), 3) },
      { kv: entry('dir/x', EMPTY, 2) },
      { kv: { ...entry('nope', EMPTY, 0) } },
    ]);
    assert.deepEqual(store.kvGet('a').value?.value, bytes('A2'));
    assert.deepEqual(store.kvList('dir/').value, []);
    assert.equal(store.kvList('dir/').index, 4);
  });

  it('applies nothing when an op in the middle fails, and lists every failure', () => {
    const store = seeded();
    const before = store.snapshot();
    const result = txn(store, [
      { verb: 'set', key: 'new', value: bytes('1') },
      { verb: 'delete', key: 'a' },
      { verb: 'cas', key: 'dir/x', value: bytes('2'), index: 99 },
      { verb: 'delete-tree', key: 'dir/' },
      { verb: 'get', key: 'missing' },
      { verb: 'check-not-exists', key: 'new' },
      { verb: 'delete-cas', key: 'new', index: 1 },
    ]);
    assert.deepEqual(result, {
      results: null,
      errors: [
        { opIndex: 2, what: 'failed to set key "dir/x", index is stale' },
        { opIndex: 4, what: `key "missing" doesn't exist` },
        { opIndex: 5, what: 'key "new" exists' },
        { opIndex: 6, what: 'failed to delete key "new", index is stale' },
      ],
    });
    assert.equal(store.kvGet('new').value, null);
    assert.notEqual(store.kvGet('a').value, null);
    assert.equal(store.kvList('dir/').value.length, 2);
    assert.equal(store.kvTableIndex(), 3);
    assert.equal(store.lastIndex(), 4);
    // Byte-identical state apart from the applied index.
    const after = new StateStore();
    after.restore(store.snapshot(), 3);
    assert.deepEqual(after.snapshot(), before);
  });

  it('lets later ops see earlier writes of the same transaction', () => {
    const store = seeded();
    const result = txn(store, [
      { verb: 'set', key: 'n', value: bytes('1') },
      { verb: 'check-index', key: 'n', index: 4 },
      { verb: 'delete', key: 'n' },
      { verb: 'check-not-exists', key: 'n' },
      { verb: 'cas', key: 'n', value: bytes('2'), index: 0 },
      { verb: 'get', key: 'n' },
    ]);
    assert.equal(result.errors, null);
    assert.deepEqual(result.results?.at(-1)?.kv.value, bytes('2'));
  });

  it("fails index and session checks with Consul's texts", () => {
    const store = seeded();
    const result = txn(store, [
      { verb: 'check-index', key: 'a', index: 7 },
      { verb: 'check-index', key: 'gone', index: 1 },
      { verb: 'check-session', key: 'a', session: 's1' },
      { verb: 'check-session', key: 'gone', session: 's1' },
      { verb: 'check-session', key: 'a' },
    ]);
    assert.deepEqual(result.errors, [
      { opIndex: 0, what: 'failed index check for key "a", current modify index 1 != 7' },
      { opIndex: 1, what: `failed to check index, key "gone" doesn't exist` },
      { opIndex: 2, what: 'failed session check for key "a", current session "" != "s1"' },
      { opIndex: 3, what: `failed to check session, key "gone" doesn't exist` },
    ]);
  });

  it('refuses lock with an unknown session and unlock of a key not held', () => {
    const store = seeded();
    const result = txn(store, [
      { verb: 'lock', key: 'a', value: bytes('v'), session: 'no-such-session' },
      { verb: 'unlock', key: 'a', value: bytes('v'), session: 'no-such-session' },
      { verb: 'lock', key: 'a', value: bytes('v') },
    ]);
    assert.deepEqual(result.errors, [
      { opIndex: 0, what: 'invalid session "no-such-session"' },
      {
        opIndex: 1,
        what: `failed to unlock key "a", lock isn't held, or is held by another session`,
      },
      { opIndex: 2, what: 'missing session' },
    ]);
  });

  it('quotes keys as Go does in error texts', () => {
    const store = seeded();
    const result = txn(store, [{ verb: 'get', key: 'tab\there "q" \u0001' }]);
    assert.equal(result.errors?.[0].what, `key "tab\\there \\"q\\" \\x01" doesn't exist`);
  });

  it('evaluates a read-only transaction without changing anything', () => {
    const store = seeded();
    const result = store.kvTxnRead([
      { verb: 'get', key: 'a' },
      { verb: 'check-index', key: 'dir/y', index: 3 },
    ]);
    assert.deepEqual(result, {
      results: [{ kv: entry('a', bytes('A'), 1, 1n) }, { kv: entry('dir/y', EMPTY, 3) }],
      errors: null,
    });
    const refused = store.kvTxnRead([
      { verb: 'get', key: 'missing' },
      { verb: 'set', key: 'a', value: bytes('x') },
    ]);
    assert.deepEqual(refused.errors, [
      { opIndex: 0, what: `key "missing" doesn't exist` },
      { opIndex: 1, what: 'verb "set" is not allowed in a read-only transaction' },
    ]);
    assert.equal(store.lastIndex(), 3);
    assert.deepEqual(store.kvGet('a').value?.value, bytes('A'));
  });
});
