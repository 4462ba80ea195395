import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { compareKeys, OrderedTable } from './ordered-table';

function keysWithPrefix(table: OrderedTable<number>, prefix: string): string[] {
  return [...table.scanPrefix(prefix)].map(([key]) => key);
}

describe('OrderedTable', () => {
  it('orders keys by code point, as UTF-8 bytes would', () => {
    const keys = ['\u{1F600}', '\uFFFD', 'b', 'a/', 'a', '\uE000', ''];
    const byUtf8 = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...keys].sort(compareKeys), byUtf8);
  });

  it('scans exactly the keys under a prefix, in order, against a naive model', () => {
    const key = fc
      .array(fc.constantFrom('a', 'b', '/', '\u{1F600}', '\uE000'), { maxLength: 4 })
      .map((parts) => parts.join(''));
    const op = fc.record({ insert: fc.boolean(), key });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), key, (ops, prefix) => {
        const table = new OrderedTable<number>();
        const model = new Map<string, number>();
        ops.forEach(({ insert, key }, i) => {
          if (insert) {
            table.set(key, i);
            model.set(key, i);
          } else {
            table.delete(key);
            model.delete(key);
          }
        });
        const expected = [...model.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
        assert.deepEqual(keysWithPrefix(table, prefix), expected);
        assert.equal(table.size, model.size);
        for (const [k, v] of model) assert.equal(table.get(k), v);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps order across chunk splits and removals of many keys', () => {
    const table = new OrderedTable<number>();
    const keys = Array.from({ length: 5000 }, (_, i) => `k/${(i * 7919) % 5000}`);
    keys.forEach((k, i) => table.set(k, i));
    keys.filter((_, i) => i % 3 === 0).forEach((k) => table.delete(k));
    const expected = keys.filter((_, i) => i % 3 !== 0).sort(compareKeys);
    assert.deepEqual(keysWithPrefix(table, ''), expected);
    assert.deepEqual(
      keysWithPrefix(table, 'k/49'),
      expected.filter((k) => k.startsWith('k/49')),
    );
  });

  it('builds from unsorted rows', () => {
    const table = OrderedTable.from([
      ['b', 2],
      ['a', 1],
      ['c', 3],
    ]);
    assert.deepEqual(keysWithPrefix(table, ''), ['a', 'b', 'c']);
  });

  it('lists 10 of 100k keys without scanning the rest', () => {
    const table = new OrderedTable<number>();
    for (let i = 0; i < 100_000; i++) {
      const n = (i * 2_654_435_761) % 4_294_967_296;
      table.set(`app/${n.toString(36)}/config`, i);
    }
    table.set('zz/probe/', 0);
    for (let i = 0; i < 9; i++) table.set(`zz/probe/${i}`, i);
    assert.equal(table.size, 100_010);

    // Compared with a full scan in the same moment, so that a loaded machine slows both alike:
    // a prefix listing that scanned everything would cost about as much as the scan.
    const scanStarted = performance.now();
    for (let i = 0; i < 5; i++) assert.equal(keysWithPrefix(table, '').length, 100_010);
    const scanMs = (performance.now() - scanStarted) / 5;
    const listStarted = performance.now();
    for (let i = 0; i < 1000; i++) assert.equal(keysWithPrefix(table, 'zz/probe/').length, 10);
    const listMs = (performance.now() - listStarted) / 1000;
    assert.ok(listMs * 50 < scanMs, `listing 10 keys took ${listMs} ms, a full scan ${scanMs} ms`);
  });
});
