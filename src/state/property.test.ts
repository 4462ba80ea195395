// Randomised checks: the store against a naive Map model, and snapshot/restore mid-sequence
// against an uninterrupted replica.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import type { Command } from './commands';
import { applyCommand } from './fsm';
import { compareKeys } from './ordered-table';
import { StateStore } from './store';
import type { KvEntry, KvTxnOp, TxnError, TxnResult } from './types';

type Step = Command | 'noop';

const ALPHABET = ['a', 'b', '/', '\u{1F600}'];
const keyArb = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(''));
const prefixArb = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 3 })
  .map((parts) => parts.join(''));
const valueArb = fc.constantFrom('', 'x', 'y').map((text) => new TextEncoder().encode(text));
const flagsArb = fc.constantFrom(0n, 1n, 2n ** 64n - 1n);
const casArb = fc.option(fc.nat({ max: 12 }), { nil: undefined });

const txnOpArb: fc.Arbitrary<KvTxnOp> = fc.oneof(
  fc.record({ verb: fc.constant('set' as const), key: keyArb, value: valueArb, flags: flagsArb }),
  fc.record({ verb: fc.constant('cas' as const), key: keyArb, value: valueArb, index: fc.nat(12) }),
  fc.record({ verb: fc.constant('delete' as const), key: keyArb }),
  fc.record({ verb: fc.constant('delete-cas' as const), key: keyArb, index: fc.nat(12) }),
  fc.record({ verb: fc.constant('delete-tree' as const), key: prefixArb }),
  fc.record({ verb: fc.constant('get' as const), key: keyArb }),
  fc.record({ verb: fc.constant('check-index' as const), key: keyArb, index: fc.nat(12) }),
  fc.record({ verb: fc.constant('check-not-exists' as const), key: keyArb }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('kv-set' as const),
      key: keyArb,
      value: valueArb,
      flags: flagsArb,
      cas: casArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('kv-delete' as const), key: keyArb, cas: casArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('kv-delete-tree' as const), prefix: prefixArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('txn' as const),
      ops: fc.array(txnOpArb, { maxLength: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('tombstone-reap' as const), upto: fc.nat(40) }),
  },
  { weight: 1, arbitrary: fc.constant('noop' as const) },
);

function applyStep(store: StateStore, step: Step): unknown {
  const index = store.lastIndex() + 1;
  if (step === 'noop') return store.advanceIndex(index);
  return applyCommand(store, index, step);
}

/** The KV rules restated as plainly as possible: linear scans over Maps. */
class KvModel {
  rows = new Map<string, KvEntry>();
  tombstones = new Map<string, number>();
  kvsIndex = 0;
  tombstonesIndex = 0;
  lastIndex = 0;

  apply(step: Step): unknown {
    const index = ++this.lastIndex;
    if (step === 'noop') return undefined;
    switch (step.type) {
      case 'kv-set':
        if (step.cas !== undefined && !this.casMatches(step.key, step.cas)) return false;
        this.set(index, step.key, step.value, step.flags);
        return true;
      case 'kv-delete':
        if (
          step.cas !== undefined &&
          this.rows.has(step.key) &&
          !this.casMatches(step.key, step.cas)
        )
          return false;
        this.delete(index, step.key);
        return true;
      case 'kv-delete-tree':
        this.deleteTree(index, step.prefix);
        return true;
      case 'txn':
        return this.txn(index, step.ops);
      case 'tombstone-reap':
        for (const [key, at] of [...this.tombstones])
          if (at <= step.upto) this.tombstones.delete(key);
        return undefined;
    }
  }

  casMatches(key: string, cas: number): boolean {
    const row = this.rows.get(key);
    return cas === 0 ? row === undefined : row?.modifyIndex === cas;
  }

  set(index: number, key: string, value: Uint8Array, flags: bigint): KvEntry {
    const old = this.rows.get(key);
    if (old && old.flags === flags && old.lockIndex === 0 && equalBytes(old.value, value))
      return old;
    const row: KvEntry = {
      key,
      value,
      flags,
      session: old?.session ?? null,
      lockIndex: 0,
      createIndex: old?.createIndex ?? index,
      modifyIndex: index,
    };
    this.rows.set(key, row);
    this.tombstones.delete(key);
    this.kvsIndex = index;
    return row;
  }

  delete(index: number, key: string): void {
    if (!this.rows.delete(key)) return;
    this.tombstones.set(key, index);
    this.kvsIndex = this.tombstonesIndex = index;
  }

  deleteTree(index: number, prefix: string): void {
    const doomed = [...this.rows.keys()].filter((key) => key.startsWith(prefix));
    if (doomed.length === 0) return;
    doomed.forEach((key) => this.rows.delete(key));
    if (prefix !== '') {
      this.tombstones.set(prefix, index);
      this.tombstonesIndex = index;
    }
    this.kvsIndex = index;
  }

  txn(index: number, ops: KvTxnOp[]): TxnResult {
    const saved = this.copy();
    const results: { kv: KvEntry }[] = [];
    const errors: TxnError[] = [];
    const blank = (row: KvEntry): { kv: KvEntry } => ({ kv: { ...row, value: new Uint8Array(0) } });
    ops.forEach((op, opIndex) => {
      const row = this.rows.get(op.key);
      const fail = (what: string): number => errors.push({ opIndex, what });
      switch (op.verb) {
        case 'set':
          results.push(blank(this.set(index, op.key, op.value!, op.flags!)));
          break;
        case 'cas':
          if (!this.casMatches(op.key, op.index!))
            fail(`failed to set key "${op.key}", index is stale`);
          else results.push(blank(this.set(index, op.key, op.value!, 0n)));
          break;
        case 'delete':
          this.delete(index, op.key);
          break;
        case 'delete-cas':
          if (row && row.modifyIndex !== op.index)
            fail(`failed to delete key "${op.key}", index is stale`);
          else this.delete(index, op.key);
          break;
        case 'delete-tree':
          this.deleteTree(index, op.key);
          break;
        case 'get':
          if (!row) fail(`key "${op.key}" doesn't exist`);
          else results.push({ kv: row });
          break;
        case 'check-index':
          if (!row) fail(`failed to check index, key "${op.key}" doesn't exist`);
          else if (row.modifyIndex !== op.index)
            fail(
              `failed index check for key "${op.key}", current modify index ${row.modifyIndex} != ${op.index}`,
            );
          else results.push(blank(row));
          break;
        case 'check-not-exists':
          if (row) fail(`key "${op.key}" exists`);
          break;
        default:
          throw new Error(`model lacks verb ${op.verb}`);
      }
    });
    if (errors.length === 0) return { results, errors: null };
    Object.assign(this, saved);
    return { results: null, errors };
  }

  copy(): Pick<KvModel, 'rows' | 'tombstones' | 'kvsIndex' | 'tombstonesIndex'> {
    return {
      rows: new Map(this.rows),
      tombstones: new Map(this.tombstones),
      kvsIndex: this.kvsIndex,
      tombstonesIndex: this.tombstonesIndex,
    };
  }

  tableIndex(): number {
    return Math.max(this.kvsIndex, this.tombstonesIndex);
  }

  get(key: string): { value: KvEntry | null; index: number } {
    const row = this.rows.get(key) ?? null;
    return { value: row, index: Math.max(1, row?.modifyIndex ?? this.tableIndex()) };
  }

  list(prefix: string): { value: KvEntry[]; index: number } {
    const value = [...this.rows.values()]
      .filter((row) => row.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
    return { value, index: this.prefixIndex(prefix, value) };
  }

  keys(prefix: string, separator: string): { value: string[]; index: number } {
    const rows = this.list(prefix).value;
    const cut = rows.map(({ key }) => {
      const at = key.indexOf(separator, prefix.length);
      return at === -1 ? key : key.slice(0, at + separator.length);
    });
    return { value: [...new Set(cut)].sort(compareKeys), index: this.prefixIndex(prefix, rows) };
  }

  prefixIndex(prefix: string, rows: KvEntry[]): number {
    if (prefix === '') return Math.max(1, this.tableIndex());
    const stones = [...this.tombstones]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, at]) => at);
    const index = Math.max(0, ...rows.map((row) => row.modifyIndex), ...stones);
    return Math.max(1, index || this.tableIndex());
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const PROBES = ['', 'a', 'b', '/', 'a/', 'a/a', 'b/b', 'aa', '\u{1F600}', 'a\u{1F600}/'];

function assertSameAsModel(store: StateStore, model: KvModel): void {
  assert.equal(store.lastIndex(), model.lastIndex);
  assert.equal(store.kvTableIndex(), model.tableIndex());
  for (const probe of PROBES) {
    assert.deepEqual(store.kvGet(probe), model.get(probe), `get ${probe}`);
    assert.deepEqual(store.kvList(probe), model.list(probe), `list ${probe}`);
    assert.deepEqual(store.kvKeys(probe, '/'), model.keys(probe, '/'), `keys ${probe}`);
  }
}

describe('state store properties', () => {
  it('behaves like a naive Map model of KV after every command', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const store = new StateStore();
        const model = new KvModel();
        for (const step of steps) {
          assert.deepEqual(applyStep(store, step), model.apply(step));
          assertSameAsModel(store, model);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('ends identical whether or not a replica was snapshotted and restored midway', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 80 }), fc.nat(), (steps, cut) => {
        const steady = new StateStore();
        let replica = new StateStore();
        const restoreAt = steps.length === 0 ? 0 : cut % steps.length;
        steps.forEach((step, i) => {
          if (i === restoreAt) {
            const restored = new StateStore();
            restored.restore(replica.snapshot(), replica.lastIndex());
            replica = restored;
          }
          assert.deepEqual(applyStep(replica, step), applyStep(steady, step));
        });
        assert.deepEqual(replica.snapshot(), steady.snapshot());
        assert.deepEqual(replica.kvList(''), steady.kvList(''));
        assert.equal(replica.lastIndex(), steady.lastIndex());
        for (const probe of PROBES)
          assert.equal(replica.kvList(probe).index, steady.kvList(probe).index);
      }),
      { numRuns: 500 },
    );
  });
});
