import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Command } from './commands';
import { applyCommand } from './fsm';
import { kvsLockTxn, kvsUnlockTxn, KvOpError, type KvWrite } from './kv';
import { decodeSnapshot } from './snapshot';
import { StateStore } from './store';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A store fed commands at consecutive Raft indexes starting at 1. */
function harness(): { store: StateStore; apply: (cmd: Command) => unknown } {
  const store = new StateStore();
  return { store, apply: (cmd) => applyCommand(store, store.lastIndex() + 1, cmd) };
}

function set(key: string, value = key, flags = 0n, cas?: number): Command {
  return cas === undefined
    ? { type: 'kv-set', key, value: bytes(value), flags }
    : { type: 'kv-set', key, value: bytes(value), flags, cas };
}

describe('KV set', () => {
  it('creates a row stamped with the applying index', () => {
    const { store, apply } = harness();
    apply(set('other'));
    assert.equal(apply(set('a/b', 'hello', 42n)), true);
    assert.deepEqual(store.kvGet('a/b').value, {
      key: 'a/b',
      value: bytes('hello'),
      flags: 42n,
      session: null,
      lockIndex: 0,
      createIndex: 2,
      modifyIndex: 2,
    });
  });

  it('keeps CreateIndex and moves ModifyIndex on update', () => {
    const { store, apply } = harness();
    apply(set('k', 'v1'));
    apply(set('k', 'v2'));
    const entry = store.kvGet('k').value;
    assert.equal(entry?.createIndex, 1);
    assert.equal(entry?.modifyIndex, 2);
    assert.deepEqual(entry?.value, bytes('v2'));
  });

  it('stores uint64 flags above 2^53 exactly', () => {
    const { store, apply } = harness();
    apply(set('lock', '', 0x2ddccbc058a50c18n));
    apply(set('max', '', 2n ** 64n - 1n));
    assert.equal(store.kvGet('lock').value?.flags, 0x2ddccbc058a50c18n);
    assert.equal(store.kvGet('max').value?.flags, 2n ** 64n - 1n);
  });

  it('writes nothing when the value, flags and lock are unchanged', () => {
    const { store, apply } = harness();
    apply(set('k', 'same', 7n));
    assert.equal(apply(set('k', 'same', 7n)), true);
    assert.equal(store.kvGet('k').value?.modifyIndex, 1);
    assert.equal(store.kvTableIndex(), 1);
    assert.equal(store.lastIndex(), 2);
  });

  it('with cas 0 sets only an absent key', () => {
    const { store, apply } = harness();
    assert.equal(apply(set('k', 'first', 0n, 0)), true);
    assert.equal(apply(set('k', 'second', 0n, 0)), false);
    assert.deepEqual(store.kvGet('k').value?.value, bytes('first'));
  });

  it('with cas N sets only when ModifyIndex is N', () => {
    const { store, apply } = harness();
    apply(set('k', 'v1'));
    assert.equal(apply(set('k', 'stale', 0n, 5)), false);
    assert.equal(apply(set('missing', 'x', 0n, 1)), false);
    assert.equal(apply(set('k', 'v2', 0n, 1)), true);
    assert.deepEqual(store.kvGet('k').value?.value, bytes('v2'));
    assert.equal(store.kvGet('missing').value, null);
    assert.equal(store.kvTableIndex(), 4);
  });
});

describe('KV delete', () => {
  it('removes the key; deleting a missing key is a successful no-op', () => {
    const { store, apply } = harness();
    apply(set('k'));
    assert.equal(apply({ type: 'kv-delete', key: 'k' }), true);
    assert.equal(store.kvGet('k').value, null);
    assert.equal(apply({ type: 'kv-delete', key: 'k' }), true);
    assert.equal(store.kvTableIndex(), 2);
  });

  it('with cas deletes only on a matching ModifyIndex; a missing key counts as deleted', () => {
    const { store, apply } = harness();
    apply(set('k'));
    assert.equal(apply({ type: 'kv-delete', key: 'k', cas: 0 }), false);
    assert.equal(apply({ type: 'kv-delete', key: 'k', cas: 9 }), false);
    assert.notEqual(store.kvGet('k').value, null);
    assert.equal(apply({ type: 'kv-delete', key: 'k', cas: 1 }), true);
    assert.equal(store.kvGet('k').value, null);
    assert.equal(apply({ type: 'kv-delete', key: 'k', cas: 1 }), true);
  });

  it('deletes a whole tree and nothing outside it', () => {
    const { store, apply } = harness();
    for (const key of ['a', 'a/', 'a/b', 'a/b/c', 'ab', 'b']) apply(set(key));
    assert.equal(apply({ type: 'kv-delete-tree', prefix: 'a/' }), true);
    assert.deepEqual(
      store.kvList('').value.map((e) => e.key),
      ['a', 'ab', 'b'],
    );
    apply({ type: 'kv-delete-tree', prefix: '' });
    assert.deepEqual(store.kvList('').value, []);
  });
});

describe('KV read indexes', () => {
  it('reports 1, never 0, on an empty store', () => {
    const store = new StateStore();
    assert.equal(store.kvGet('x').index, 1);
    assert.equal(store.kvList('').index, 1);
    assert.equal(store.kvKeys('a/', '/').index, 1);
  });

  it('a single key reports its ModifyIndex, or the table index when missing', () => {
    const { store, apply } = harness();
    apply(set('a'));
    apply(set('b'));
    assert.equal(store.kvGet('a').index, 1);
    assert.equal(store.kvGet('nope').index, 2);
  });

  it('a prefix reports the max ModifyIndex under it, else the table index', () => {
    const { store, apply } = harness();
    apply(set('a/1'));
    apply(set('a/2'));
    apply(set('b/1'));
    assert.equal(store.kvList('a/').index, 2);
    assert.equal(store.kvKeys('a/', null).index, 2);
    assert.equal(store.kvList('c/').index, 3);
    assert.equal(store.kvList('').index, 3);
  });

  it('tombstones keep a prefix index from going backwards after a delete', () => {
    const { store, apply } = harness();
    apply(set('a/1'));
    apply(set('a/2'));
    apply(set('b/1'));
    apply({ type: 'kv-delete', key: 'a/2' });
    assert.equal(store.kvList('a/').index, 4);
    assert.equal(store.kvKeys('a/', '/').index, 4);
    apply(set('b/2'));
    assert.equal(store.kvList('a/').index, 4);
    assert.equal(store.kvGet('a/2').index, 5);
  });

  it('a deleted tree leaves a tombstone on its prefix', () => {
    const { store, apply } = harness();
    apply(set('a/x/1'));
    apply(set('a/y'));
    apply(set('z'));
    apply({ type: 'kv-delete-tree', prefix: 'a/' });
    apply(set('z', 'changed'));
    assert.equal(store.kvList('a').index, 4);
    assert.equal(store.kvList('a/').index, 4);
    // Nothing under a/x/ any more: the table index answers.
    assert.equal(store.kvList('a/x/').index, 5);
  });

  it('reaping drops tombstones up to the given index only', () => {
    const { store, apply } = harness();
    apply(set('a/1'));
    apply(set('a/2'));
    apply(set('a/3'));
    apply({ type: 'kv-delete', key: 'a/2' }); // tombstone at 4
    apply({ type: 'kv-delete', key: 'a/3' }); // tombstone at 5
    assert.equal(store.kvList('a/').index, 5);
    assert.equal(apply({ type: 'tombstone-reap', upto: 4 }), undefined);
    assert.equal(store.kvList('a/').index, 5);
    apply({ type: 'tombstone-reap', upto: 5 });
    assert.equal(store.kvList('a/').index, 1);
    assert.equal(store.lastIndex(), 7);
  });

  it('a later write to a deleted key removes its tombstone', () => {
    const { store, apply } = harness();
    apply(set('a/1'));
    apply(set('a/2'));
    apply({ type: 'kv-delete', key: 'a/1' });
    apply({ type: 'kv-delete', key: 'a/2' });
    apply(set('a/1', 'again'));
    assert.deepEqual(tombstoneKeys(store), ['a/2']);
    assert.equal(store.kvList('a/').index, 5);
  });
});

function tombstoneKeys(store: StateStore): string[] {
  return [...decodeSnapshot(store.snapshot()).tables.tombstones.scanPrefix('')].map(([k]) => k);
}

describe('KV keys', () => {
  it("cuts keys after the first separator past the prefix, as Consul's example", () => {
    const { store, apply } = harness();
    for (const key of ['web/bar', 'web/foo', 'web/subdir/a', 'web/subdir/b/c', 'webx', 'other'])
      apply(set(key));
    assert.deepEqual(store.kvKeys('web/', '/').value, ['web/bar', 'web/foo', 'web/subdir/']);
    assert.deepEqual(store.kvKeys('', '/').value, ['other', 'web/', 'webx']);
  });

  it('lists every key under the prefix without a separator', () => {
    const { store, apply } = harness();
    for (const key of ['a/b/c', 'a/b', 'a']) apply(set(key));
    assert.deepEqual(store.kvKeys('a', null).value, ['a', 'a/b', 'a/b/c']);
    assert.deepEqual(store.kvKeys('a', '').value, ['a', 'a/b', 'a/b/c']);
  });

  it('keeps a folder key and its children as one entry', () => {
    const { store, apply } = harness();
    for (const key of ['f/', 'f/x', 'f!']) apply(set(key));
    assert.deepEqual(store.kvKeys('', '/').value, ['f!', 'f/']);
  });

  it('supports multi-character separators', () => {
    const { store, apply } = harness();
    for (const key of ['a::b::c', 'a::d', 'a:e']) apply(set(key));
    assert.deepEqual(store.kvKeys('a', '::').value, ['a::', 'a:e']);
  });
});

describe('store index bookkeeping', () => {
  it('advances lastIndex on every applied entry, changed or not', () => {
    const { store, apply } = harness();
    apply(set('k', 'v', 0n, 5));
    assert.equal(store.lastIndex(), 1);
    assert.equal(store.kvTableIndex(), 0);
    store.advanceIndex(10);
    store.advanceIndex(3);
    assert.equal(store.lastIndex(), 10);
  });

  it('refuses writes out of log order', () => {
    const store = new StateStore();
    applyCommand(store, 5, set('k'));
    assert.throws(() => applyCommand(store, 5, set('k')), /out of order/);
    assert.throws(() => applyCommand(store, 4, set('k')), /out of order/);
  });

  it('undoes a write whose function throws and does not count it as applied', () => {
    const { store, apply } = harness();
    apply(set('k', 'v1'));
    assert.throws(() =>
      store.write(2, (tx) => {
        tx.put(tx.tables.kvs, 'k', { ...tx.tables.kvs.get('k')!, modifyIndex: 2 });
        throw new Error('boom');
      }),
    );
    assert.equal(store.kvGet('k').value?.modifyIndex, 1);
    assert.equal(store.lastIndex(), 1);
  });
});

describe('KV locks', () => {
  const anySession = (): boolean => true;
  const write = (key: string, session: string | null, value = ''): KvWrite => ({
    key,
    value: bytes(value),
    flags: 0n,
    session,
    lockIndex: 0,
  });

  it('acquires a missing key with LockIndex 1 and re-acquires without bumping it', () => {
    const store = new StateStore();
    store.write(1, (tx) => kvsLockTxn(tx, write('l', 's1', 'a'), anySession));
    assert.equal(store.kvGet('l').value?.lockIndex, 1);
    assert.equal(store.kvGet('l').value?.session, 's1');
    store.write(2, (tx) => kvsLockTxn(tx, write('l', 's1', 'b'), anySession));
    assert.equal(store.kvGet('l').value?.lockIndex, 1);
    assert.deepEqual(store.kvGet('l').value?.value, bytes('b'));
  });

  it('refuses a lock held by another session, grants it after release', () => {
    const store = new StateStore();
    store.write(1, (tx) => kvsLockTxn(tx, write('l', 's1'), anySession));
    assert.equal(
      store.write(2, (tx) => kvsLockTxn(tx, write('l', 's2'), anySession)),
      null,
    );
    assert.equal(
      store.write(3, (tx) => kvsUnlockTxn(tx, write('l', 's2'))),
      null,
    );
    const released = store.write(4, (tx) => kvsUnlockTxn(tx, write('l', 's1')));
    assert.equal(released?.session, null);
    assert.equal(released?.lockIndex, 1);
    const taken = store.write(5, (tx) => kvsLockTxn(tx, write('l', 's2'), anySession));
    assert.equal(taken?.lockIndex, 2);
    assert.equal(taken?.session, 's2');
  });

  it('keeps the holder on a plain set and resets LockIndex, as Consul', () => {
    const store = new StateStore();
    store.write(1, (tx) => kvsLockTxn(tx, write('l', 's1'), anySession));
    applyCommand(store, 2, set('l', 'plain'));
    assert.equal(store.kvGet('l').value?.session, 's1');
    assert.equal(store.kvGet('l').value?.lockIndex, 0);
  });

  it('rejects a missing or unknown session', () => {
    const store = new StateStore();
    assert.throws(
      () => store.write(1, (tx) => kvsLockTxn(tx, write('l', null), anySession)),
      (error: Error) => error instanceof KvOpError && error.message === 'missing session',
    );
    assert.throws(() => store.write(2, (tx) => kvsLockTxn(tx, write('l', 'ghost'), () => false)), {
      message: 'invalid session "ghost"',
    });
    assert.equal(store.lastIndex(), 0);
  });
});
