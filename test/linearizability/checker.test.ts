import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkHistory, type HistoryEntry, type KvOperation, type KvOutcome } from './checker';

function entry(
  client: number,
  call: number,
  ret: number,
  op: KvOperation,
  outcome: KvOutcome,
  key = 'k',
): HistoryEntry {
  return { client, key, op, outcome, call, ret };
}

const ok: KvOutcome = { kind: 'ok' };
const read = (value: string | null): KvOutcome => ({ kind: 'read', value });
const get: KvOperation = { kind: 'get' };
const put = (value: string): KvOperation => ({ kind: 'put', value });

describe('linearizability checker', () => {
  it('accepts a sequential history that follows the register', () => {
    const history = [
      entry(1, 0, 1, get, read(null)),
      entry(1, 2, 3, put('a'), ok),
      entry(2, 4, 5, get, read('a')),
      entry(2, 6, 7, { kind: 'delete' }, ok),
      entry(1, 8, 9, get, read(null)),
    ];
    assert.equal(checkHistory(history).ok, true);
  });

  it('accepts a read overlapping a write returning either value', () => {
    for (const seen of [null, 'a'] as (string | null)[]) {
      const history: HistoryEntry[] = [
        entry(1, 0, 10, put('a'), ok),
        entry(2, 1, 2, get, read(seen)),
      ];
      assert.equal(checkHistory(history).ok, true, String(seen));
    }
  });

  it('refuses a stale read after an acknowledged write', () => {
    const history = [
      entry(1, 0, 1, put('a'), ok),
      entry(1, 2, 3, put('b'), ok),
      entry(2, 4, 5, get, read('a')),
    ];
    const result = checkHistory(history);
    assert.equal(result.ok, false);
    assert.equal(result.failure?.key, 'k');
  });

  it('refuses a lost acknowledged write', () => {
    const history = [entry(1, 0, 1, put('a'), ok), entry(2, 2, 3, get, read(null))];
    assert.equal(checkHistory(history).ok, false);
  });

  it('refuses two reads that see writes in opposite orders', () => {
    const history = [
      entry(1, 0, 10, put('a'), ok),
      entry(2, 0, 10, put('b'), ok),
      entry(3, 11, 12, get, read('a')),
      entry(4, 13, 14, get, read('b')),
      entry(5, 15, 16, get, read('a')),
    ];
    assert.equal(checkHistory(history).ok, false);
  });

  it('checks CAS outcomes against the value held', () => {
    const good = [
      entry(1, 0, 1, put('a'), ok),
      entry(2, 2, 3, { kind: 'cas', expected: 'a', value: 'b' }, { kind: 'cas', swapped: true }),
      entry(3, 4, 5, { kind: 'cas', expected: 'a', value: 'c' }, { kind: 'cas', swapped: false }),
      entry(1, 6, 7, get, read('b')),
    ];
    assert.equal(checkHistory(good).ok, true);
    const twoWinners = [
      entry(1, 0, 1, put('a'), ok),
      entry(2, 2, 5, { kind: 'cas', expected: 'a', value: 'b' }, { kind: 'cas', swapped: true }),
      entry(3, 2, 5, { kind: 'cas', expected: 'a', value: 'c' }, { kind: 'cas', swapped: true }),
    ];
    assert.equal(checkHistory(twoWinners).ok, false);
  });

  it('lets a write of unknown outcome take effect later or never', () => {
    const unknown: KvOutcome = { kind: 'unknown' };
    const seenLater = [entry(1, 0, 1, put('a'), unknown), entry(2, 50, 51, get, read('a'))];
    assert.equal(checkHistory(seenLater).ok, true);
    const never = [entry(1, 0, 1, put('a'), unknown), entry(2, 50, 51, get, read(null))];
    assert.equal(checkHistory(never).ok, true);
    const beforeItWasSent = [entry(2, 0, 1, get, read('a')), entry(1, 5, 6, put('a'), unknown)];
    assert.equal(checkHistory(beforeItWasSent).ok, false);
  });

  it('checks keys independently and handles a few hundred concurrent operations', () => {
    const history: HistoryEntry[] = [];
    let t = 0;
    for (let i = 0; i < 300; i++) {
      const key = `k${i % 5}`;
      history.push(entry(i % 8, t, t + 3, put(`v${i}`), ok, key));
      history.push(entry((i + 1) % 8, t + 1, t + 4, get, read(`v${i}`), key));
      t += 5;
    }
    assert.equal(checkHistory(history).ok, true);
  });

  it('explains a failed CAS by a write nobody read, and only by one that could have happened', () => {
    const unknown: KvOutcome = { kind: 'unknown' };
    const failedCas: KvOutcome = { kind: 'cas', swapped: false };
    const casAB: KvOperation = { kind: 'cas', expected: 'a', value: 'b' };
    const explained = [
      entry(1, 0, 1, put('a'), ok),
      entry(2, 2, 3, get, read('a')),
      entry(3, 2, 3, put('x'), unknown),
      entry(3, 2, 3, put('y'), unknown),
      entry(2, 4, 5, casAB, failedCas),
    ];
    assert.equal(checkHistory(explained).ok, true);
    const unexplained = [
      entry(1, 0, 1, put('a'), ok),
      entry(2, 2, 3, get, read('a')),
      entry(2, 4, 5, casAB, failedCas),
      entry(3, 6, 7, put('x'), unknown),
    ];
    assert.equal(checkHistory(unexplained).ok, false);
  });
});
