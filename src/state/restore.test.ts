import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import { EntryType, type LogEntry } from '../raft';
import { encodeCommand } from './codec';
import type { AutopilotValues, Command } from './commands';
import { Fsm } from './fsm';
import { StateStore } from './store';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A store and its FSM, applying commands at consecutive indexes. */
class Replica {
  readonly store = new StateStore();
  readonly fsm = new Fsm(this.store);
  index = 0;

  apply(cmd: Command): unknown {
    this.index += 1;
    const entry: LogEntry = {
      index: this.index,
      term: 1,
      type: EntryType.Command,
      data: encodeCommand(cmd),
    };
    return this.fsm.apply(entry);
  }
}

function sourceState(): Uint8Array {
  const source = new Replica();
  source.apply({ type: 'kv-set', key: 'restored/a', value: bytes('A'), flags: 1n });
  source.apply({ type: 'kv-set', key: 'restored/b', value: bytes('B'), flags: 0n });
  return source.store.snapshot();
}

function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function stage(replica: Replica, restore: string, data: Uint8Array, size = 16): void {
  let offset = 0;
  for (const chunk of chunks(data, size)) {
    assert.equal(replica.apply({ type: 'snapshot-chunk', restore, offset, data: chunk }), true);
    offset += chunk.length;
  }
}

describe('snapshot restore through the FSM', () => {
  it('stages chunks without changing what readers see, then swaps the whole store', () => {
    const state = sourceState();
    const target = new Replica();
    target.apply({ type: 'kv-set', key: 'old', value: bytes('x'), flags: 0n });
    stage(target, 'r1', state);
    assert.equal(target.store.kvGet('old').value?.key, 'old');
    assert.equal(target.store.kvGet('restored/a').value, null);
    const result = target.apply({
      type: 'snapshot-restore',
      restore: 'r1',
      size: state.length,
      sha256: sha256(state),
    });
    assert.deepEqual(result, { restored: true });
    assert.equal(target.store.kvGet('old').value, null);
    const a = target.store.kvGet('restored/a').value;
    assert.equal(a?.flags, 1n);
    // Rows keep the indexes they had where the snapshot was taken.
    assert.equal(a?.createIndex, 1);
    assert.equal(target.store.lastIndex(), target.index);
    assert.equal(target.store.restoring(), null);
  });

  it('refuses an incomplete or mismatched staging and leaves the store as it was', () => {
    const state = sourceState();
    const target = new Replica();
    target.apply({ type: 'kv-set', key: 'kept', value: bytes('x'), flags: 0n });
    stage(target, 'r1', state.subarray(0, state.length - 5));
    const short = target.apply({
      type: 'snapshot-restore',
      restore: 'r1',
      size: state.length,
      sha256: sha256(state),
    });
    assert.deepEqual(short, {
      restored: false,
      error: `staged ${state.length - 5} bytes of state, expected ${state.length}`,
    });
    assert.equal(target.store.restoring(), null);
    stage(target, 'r2', state);
    const wrongHash = target.apply({
      type: 'snapshot-restore',
      restore: 'r2',
      size: state.length,
      sha256: '0'.repeat(64),
    });
    assert.deepEqual(wrongHash, {
      restored: false,
      error: 'staged state does not match its SHA-256',
    });
    const garbage = bytes('CSNP\u0002 definitely not msgpack');
    stage(target, 'r3', garbage);
    const corrupt = target.apply({
      type: 'snapshot-restore',
      restore: 'r3',
      size: garbage.length,
      sha256: sha256(garbage),
    }) as { restored: boolean; error: string };
    assert.equal(corrupt.restored, false);
    assert.match(corrupt.error, /^failed to restore snapshot: /);
    assert.equal(target.store.kvGet('kept').value?.key, 'kept');
  });

  it('refuses chunks of another restore or out of order', () => {
    const target = new Replica();
    stage(target, 'r1', bytes('0123456789'), 5);
    const other = target.apply({
      type: 'snapshot-chunk',
      restore: 'r2',
      offset: 10,
      data: bytes('x'),
    });
    assert.equal(other, false);
    const gap = target.apply({
      type: 'snapshot-chunk',
      restore: 'r1',
      offset: 11,
      data: bytes('x'),
    });
    assert.equal(gap, false);
    // A new restore (offset 0) replaces an abandoned one.
    assert.equal(
      target.apply({ type: 'snapshot-chunk', restore: 'r3', offset: 0, data: bytes('y') }),
      true,
    );
    assert.equal(target.store.restoring()?.id, 'r3');
  });

  it('carries a staging restore in FSM snapshots, so a server caught up from one commits too', () => {
    const state = sourceState();
    const leader = new Replica();
    stage(leader, 'r1', state.subarray(0, 20), 7);
    const follower = new Replica();
    follower.fsm.restore(leader.fsm.snapshot(), {
      index: leader.index,
      term: 1,
      membership: { servers: [] },
      size: 0,
    });
    follower.index = leader.index;
    for (const replica of [leader, follower]) {
      assert.equal(
        replica.apply({
          type: 'snapshot-chunk',
          restore: 'r1',
          offset: 20,
          data: state.subarray(20),
        }),
        true,
      );
      const result = replica.apply({
        type: 'snapshot-restore',
        restore: 'r1',
        size: state.length,
        sha256: sha256(state),
      });
      assert.deepEqual(result, { restored: true });
      assert.equal(replica.store.kvGet('restored/b').value?.key, 'restored/b');
    }
  });
});

describe('autopilot configuration in the FSM', () => {
  const values: AutopilotValues = {
    cleanupDeadServers: true,
    lastContactThresholdMs: 200,
    maxTrailingLogs: 250,
    minQuorum: 0,
    serverStabilizationTimeMs: 10_000,
  };

  it('is seeded once, then changed only when the CAS index matches', () => {
    const replica = new Replica();
    assert.equal(replica.apply({ type: 'autopilot-set', config: values, cas: 0 }), false);
    assert.equal(replica.apply({ type: 'autopilot-set', config: values, seed: true }), true);
    const seeded = replica.store.autopilotConfig();
    assert.deepEqual(seeded, { ...values, createIndex: 2, modifyIndex: 2 });
    const changed = { ...values, minQuorum: 3 };
    assert.equal(replica.apply({ type: 'autopilot-set', config: changed, seed: true }), false);
    assert.equal(replica.apply({ type: 'autopilot-set', config: changed, cas: 1 }), false);
    assert.equal(replica.apply({ type: 'autopilot-set', config: changed, cas: 2 }), true);
    assert.deepEqual(replica.store.autopilotConfig(), {
      ...changed,
      createIndex: 2,
      modifyIndex: 5,
    });
    assert.equal(replica.apply({ type: 'autopilot-set', config: values }), true);
    assert.equal(replica.store.autopilotConfig()?.modifyIndex, 6);
  });

  it('survives a snapshot and restore', () => {
    const replica = new Replica();
    replica.apply({ type: 'autopilot-set', config: { ...values, maxTrailingLogs: 9 } });
    const copy = new StateStore();
    copy.restore(replica.store.snapshot());
    assert.deepEqual(copy.autopilotConfig(), {
      ...values,
      maxTrailingLogs: 9,
      createIndex: 1,
      modifyIndex: 1,
    });
  });
});
