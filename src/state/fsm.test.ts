import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EntryType, type LogEntry, type SnapshotMeta } from '../raft';
import { encodeCommand } from './codec';
import type { Command } from './commands';
import { Fsm } from './fsm';
import { StateStore } from './store';
import type { TxnResult } from './types';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function entry(index: number, cmd: Command): LogEntry {
  return { index, term: 1, type: EntryType.Command, data: encodeCommand(cmd) };
}

function meta(index: number, size: number): SnapshotMeta {
  return { index, term: 1, membership: { servers: [] }, size };
}

function populated(): { store: StateStore; fsm: Fsm } {
  const store = new StateStore();
  const fsm = new Fsm(store);
  fsm.apply(entry(1, { type: 'kv-set', key: 'a/1', value: bytes('one'), flags: 2n ** 64n - 1n }));
  fsm.apply(entry(2, { type: 'kv-set', key: 'a/2', value: bytes('two'), flags: 0n }));
  fsm.apply(entry(3, { type: 'kv-set', key: 'b', value: new Uint8Array([0, 255]), flags: 7n }));
  fsm.apply(entry(4, { type: 'kv-delete', key: 'a/2' }));
  return { store, fsm };
}

describe('Fsm', () => {
  it('returns each command type its result', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    assert.equal(
      fsm.apply(entry(1, { type: 'kv-set', key: 'k', value: bytes('v'), flags: 0n })),
      true,
    );
    assert.equal(
      fsm.apply(entry(2, { type: 'kv-set', key: 'k', value: bytes('w'), flags: 0n, cas: 0 })),
      false,
    );
    assert.equal(fsm.apply(entry(3, { type: 'kv-delete', key: 'k', cas: 9 })), false);
    assert.equal(fsm.apply(entry(4, { type: 'kv-delete-tree', prefix: 'x/' })), true);
    const result = fsm.apply(entry(5, { type: 'txn', ops: [{ verb: 'get', key: 'k' }] }));
    assert.deepEqual((result as TxnResult).results?.[0].kv.value, bytes('v'));
    assert.equal(fsm.apply(entry(6, { type: 'tombstone-reap', upto: 6 })), undefined);
    assert.equal(store.lastIndex(), 6);
  });

  it('counts no-op and membership entries as applied without changing tables', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    fsm.apply({ index: 1, term: 1, type: EntryType.Noop, data: new Uint8Array(0) });
    fsm.apply({ index: 2, term: 1, type: EntryType.Membership, data: new Uint8Array([1]) });
    assert.equal(store.lastIndex(), 2);
    assert.equal(store.kvTableIndex(), 0);
  });

  it('throws on a command entry that does not decode', () => {
    const fsm = new Fsm(new StateStore());
    const bad: LogEntry = { index: 1, term: 1, type: EntryType.Command, data: bytes('junk') };
    assert.throws(() => fsm.apply(bad));
  });
});

describe('snapshot and restore', () => {
  it('restores every row, tombstone and table index', () => {
    const { store, fsm } = populated();
    const data = fsm.snapshot();
    const copy = new StateStore();
    new Fsm(copy).restore(data, meta(4, data.length));
    assert.deepEqual(copy.kvList('').value, store.kvList('').value);
    assert.equal(copy.kvList('a/').index, 4);
    assert.equal(copy.kvTableIndex(), 4);
    assert.equal(copy.lastIndex(), 4);
    assert.equal(copy.kvGet('a/1').value?.flags, 2n ** 64n - 1n);
    assert.deepEqual(copy.snapshot(), data);
  });

  it('replaces whatever state was there before', () => {
    const { fsm } = populated();
    const data = fsm.snapshot();
    const other = new StateStore();
    const otherFsm = new Fsm(other);
    for (let i = 1; i <= 9; i++) {
      otherFsm.apply(entry(i, { type: 'kv-set', key: `z/${i}`, value: bytes(''), flags: 0n }));
    }
    otherFsm.restore(data, meta(4, data.length));
    assert.deepEqual(other.kvKeys('', null).value, ['a/1', 'b']);
    assert.equal(other.lastIndex(), 4);
    otherFsm.apply(entry(5, { type: 'kv-set', key: 'c', value: bytes(''), flags: 0n }));
    assert.equal(other.kvGet('c').value?.createIndex, 5);
  });

  it('refuses a corrupt snapshot and keeps the current state', () => {
    const { store, fsm } = populated();
    const data = fsm.snapshot();
    const before = store.snapshot();
    const corruptions: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /bad header/],
      [Uint8Array.from([0x58, ...data.subarray(1)]), /bad header/],
      [Uint8Array.from([...data.subarray(0, 4), 9, ...data.subarray(5)]), /format version 9/],
      [data.subarray(0, data.length - 3), /snapshot/],
      [Uint8Array.from([...data.subarray(0, 5), 0x81]), /not valid msgpack/],
      [Uint8Array.from([...data.subarray(0, 5), 0xc0]), /snapshot must be a map/],
    ];
    for (const [corrupt, message] of corruptions) {
      assert.throws(() => fsm.restore(corrupt, meta(99, corrupt.length)), message);
    }
    assert.deepEqual(store.snapshot(), before);
    assert.equal(store.lastIndex(), 4);
  });

  it('names the bad field of a well-formed but wrong snapshot body', async () => {
    const { packr } = await import('./wire');
    const body = packr.pack({
      lastIndex: 1,
      indexes: { kvs: 1, tombstones: 0 },
      kvs: [['k', 'not-bytes', 0n, null, 0, 1, 1]],
      tombstones: [],
    });
    const data = Uint8Array.from([0x43, 0x53, 0x4e, 0x50, 1, ...body]);
    assert.throws(() => new StateStore().restore(data), /snapshot\.kvs\[0\]\.value must be bytes/);
  });
});
