import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinateBatcher, type CoordinateUpdate } from './batch';
import { rateScaledIntervalMs, startCoordinateSync, type CoordinateSyncTimers } from './sync';
import { newCoordinate } from './vivaldi';

const update = (node: string, x = 0, segment = ''): CoordinateUpdate => {
  const coord = newCoordinate();
  coord.Vec[0] = x;
  return { node, segment, coord };
};

test('the batcher keeps the latest update per node and segment, in arrival order', () => {
  const b = new CoordinateBatcher();
  b.add(update('a', 1));
  b.add(update('b', 2));
  b.add(update('a', 3));
  b.add(update('a', 4, 'seg'));
  const { batches, discarded } = b.flush();
  assert.equal(discarded, 0);
  assert.deepEqual(
    batches[0].map((u) => [u.node, u.segment, u.coord.Vec[0]]),
    [
      ['a', '', 3],
      ['b', '', 2],
      ['a', 'seg', 4],
    ],
  );
  assert.deepEqual(b.flush(), { batches: [], discarded: 0 });
});

test('a flush hands out at most maxBatches batches of batchSize and discards the rest', () => {
  const b = new CoordinateBatcher({ batchSize: 128, maxBatches: 5 });
  for (let i = 0; i < 700; i++) b.add(update(`n${i}`));
  const { batches, discarded } = b.flush();
  assert.deepEqual(
    batches.map((batch) => batch.length),
    [128, 128, 128, 128, 128],
  );
  assert.equal(discarded, 60);
  assert.equal(b.size, 0);
});

test('the sync interval is interval_min until the members outgrow the rate target', () => {
  assert.equal(rateScaledIntervalMs(64, 15_000, 3), 15_000);
  assert.equal(rateScaledIntervalMs(64, 15_000, 960), 15_000);
  assert.equal(rateScaledIntervalMs(64, 15_000, 6400), 100_000);
});

test('the sync sends every segment’s coordinate after the interval plus a stagger', async () => {
  const scheduled: { fn: () => void; ms: number }[] = [];
  const timers: CoordinateSyncTimers = {
    setTimeout: (fn, ms) => scheduled.push({ fn, ms }),
    clearTimeout: () => undefined,
  };
  const sent: CoordinateUpdate[] = [];
  const errors: unknown[] = [];
  let fail = true;
  const sync = startCoordinateSync({
    node: 'me',
    coordinates: () =>
      new Map([
        ['', newCoordinate()],
        ['seg', newCoordinate()],
      ]),
    memberCount: () => 10,
    send: async (u) => {
      if (fail) throw new Error('no server');
      sent.push(u);
    },
    onError: (e) => errors.push(e),
    random: () => 0.5,
    timers,
  });
  assert.equal(scheduled.length, 1);
  assert.equal(scheduled[0].ms, 15_000 * 1.5);
  // A failed send is reported and the loop goes on.
  scheduled[0].fn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 2);
  assert.equal(scheduled.length, 2);
  fail = false;
  scheduled[1].fn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    sent.map((u) => [u.node, u.segment]),
    [
      ['me', ''],
      ['me', 'seg'],
    ],
  );
  sync.stop();
  scheduled[2].fn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(scheduled.length, 3, 'nothing is scheduled after stop');
});
