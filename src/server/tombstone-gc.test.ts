import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TombstoneGc } from './tombstone-gc';

test('reaps hinted tombstones once the TTL has passed, with the highest index of the granule', async () => {
  const reaped: number[] = [];
  const gc = new TombstoneGc({ ttlMs: 80, reap: async (upto) => void reaped.push(upto) });
  gc.setEnabled(true);
  gc.hint(5);
  gc.hint(7);
  await sleep(20);
  assert.deepEqual(reaped, []);
  await sleep(120);
  assert.ok(reaped.length >= 1);
  assert.equal(Math.max(...reaped), 7);
  gc.stop();
});

test('a follower (disabled GC) ignores hints, and losing leadership drops pending reaps', async () => {
  const reaped: number[] = [];
  const gc = new TombstoneGc({ ttlMs: 40, reap: async (upto) => void reaped.push(upto) });
  gc.hint(3);
  assert.equal(gc.pending, 0);
  gc.setEnabled(true);
  gc.hint(4);
  assert.equal(gc.pending, 1);
  gc.setEnabled(false);
  await sleep(80);
  assert.deepEqual(reaped, []);
});
