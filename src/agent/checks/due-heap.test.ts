import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DueHeap, type DueItem } from './due-heap';

interface Item extends DueItem {
  name: number;
}

const item = (name: number, dueAt: number): Item => ({ name, dueAt, heapIndex: -1, heapSeq: 0 });

test('items come out in due order, ties in push order', () => {
  const heap = new DueHeap<Item>();
  [item(1, 5), item(2, 1), item(3, 5), item(4, 0), item(5, 1)].forEach((i) => heap.push(i));
  const order: number[] = [];
  for (let next = heap.pop(); next !== undefined; next = heap.pop()) order.push(next.name);
  assert.deepEqual(order, [4, 2, 5, 1, 3]);
});

test('push, remove and reschedule in any order keep the heap equal to a sorted list', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), due: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant('move' as const),
      pick: fc.nat(),
      due: fc.integer({ min: 0, max: 50 }),
    }),
    fc.record({ kind: fc.constant('pop' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const heap = new DueHeap<Item>();
      const model: Item[] = [];
      let name = 0;
      for (const o of ops) {
        if (o.kind === 'push') {
          const it = item(name++, o.due);
          heap.push(it);
          model.push(it);
        } else if (o.kind === 'pop') {
          const popped = heap.pop();
          const min = model.reduce<Item | undefined>(
            (best, it) =>
              best === undefined ||
              it.dueAt < best.dueAt ||
              (it.dueAt === best.dueAt && it.heapSeq < best.heapSeq)
                ? it
                : best,
            undefined,
          );
          assert.equal(popped, min);
          if (min !== undefined) model.splice(model.indexOf(min), 1);
        } else if (model.length > 0) {
          const target = model[o.pick % model.length];
          if (o.kind === 'remove') {
            heap.remove(target);
            model.splice(model.indexOf(target), 1);
            assert.equal(heap.has(target), false);
          } else {
            target.dueAt = o.due;
            heap.reschedule(target);
          }
        }
        assert.equal(heap.size, model.length);
        const top = heap.peek();
        const minDue = Math.min(...model.map((m) => m.dueAt));
        assert.equal(top?.dueAt, model.length === 0 ? undefined : minDue);
      }
    }),
  );
});
