import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Command } from './commands';
import { applyCommand } from './fsm';
import { StateStore } from './store';
import type { WatchSetBuilder } from './watch';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const set = (key: string, value = 'v'): Command => ({
  type: 'kv-set',
  key,
  value: bytes(value),
  flags: 0n,
});

function apply(store: StateStore, cmd: Command): unknown {
  return applyCommand(store, store.lastIndex() + 1, cmd);
}

/** Starts waiting and reports whether the wait has settled (and how) so far. */
function track(ws: WatchSetBuilder, timeoutMs = 5000, signal?: AbortSignal) {
  const state: { settled: boolean; changed: boolean | null; done: Promise<boolean> } = {
    settled: false,
    changed: null,
    done: ws.wait(timeoutMs, signal),
  };
  void state.done.then((changed) => {
    state.settled = true;
    state.changed = changed;
  });
  return state;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function watchKey(store: StateStore, key: string): WatchSetBuilder {
  const ws = store.newWatchSet();
  store.kvGet(key, ws);
  return ws;
}

function watchPrefix(store: StateStore, prefix: string): WatchSetBuilder {
  const ws = store.newWatchSet();
  store.kvList(prefix, ws);
  return ws;
}

describe('watch sets', () => {
  it('a write to a key wakes watchers of that key and of each of its prefixes', async () => {
    const store = new StateStore();
    const woken = ['a/b/c', 'a/b/', 'a/b', 'a/', 'a', ''].map((prefix) =>
      track(watchPrefix(store, prefix)),
    );
    const exact = track(watchKey(store, 'a/b/c'));
    apply(store, set('a/b/c'));
    await tick();
    for (const waiter of [...woken, exact]) assert.equal(waiter.changed, true);
    assert.equal(store.watchStats().waiters, 0);
  });

  it('does not wake watchers of other keys, longer prefixes or siblings', async () => {
    const store = new StateStore();
    const others = [
      track(watchKey(store, 'a/b')),
      track(watchKey(store, 'a/b/c/d')),
      track(watchPrefix(store, 'a/b/c/')),
      track(watchPrefix(store, 'a/x')),
      track(watchPrefix(store, 'b')),
    ];
    apply(store, set('a/b/c'));
    await tick();
    for (const waiter of others) assert.equal(waiter.settled, false);
    assert.equal(store.watchStats().waiters, 5);
    store.abandon();
    await tick();
    for (const waiter of others) assert.equal(waiter.changed, true);
  });

  it('wakes a watcher of a missing key when the key is created', async () => {
    const store = new StateStore();
    const waiter = track(watchKey(store, 'later'));
    apply(store, set('sooner'));
    await tick();
    assert.equal(waiter.settled, false);
    apply(store, set('later'));
    assert.equal(await waiter.done, true);
  });

  it('wakes watchers of deleted keys and of prefixes above a deleted tree', async () => {
    const store = new StateStore();
    apply(store, set('t/1'));
    apply(store, set('t/2/x'));
    const key = track(watchKey(store, 't/2/x'));
    const sub = track(watchPrefix(store, 't/2/'));
    const whole = track(watchPrefix(store, ''));
    const unrelated = track(watchPrefix(store, 't/3/'));
    apply(store, { type: 'kv-delete-tree', prefix: 't/' });
    await tick();
    assert.deepEqual(
      [key.changed, sub.changed, whole.changed, unrelated.settled],
      [true, true, true, false],
    );
    store.abandon();
  });

  it('wakes each waiter once per transaction, after it commits', async () => {
    const store = new StateStore();
    let wakeUps = 0;
    const ws = watchPrefix(store, 'multi/');
    const done = ws.wait(5000).then((changed) => {
      wakeUps++;
      return changed;
    });
    apply(store, {
      type: 'txn',
      ops: ['multi/1', 'multi/2', 'multi/3'].map((key) => ({ verb: 'set', key })),
    });
    assert.equal(await done, true);
    assert.equal(wakeUps, 1);
  });

  it('a rolled-back transaction and a no-change write wake nobody', async () => {
    const store = new StateStore();
    apply(store, set('k', 'same'));
    const waiter = track(watchKey(store, 'k'));
    apply(store, {
      type: 'txn',
      ops: [
        { verb: 'set', key: 'k', value: bytes('new') },
        { verb: 'get', key: 'missing' },
      ],
    });
    apply(store, set('k', 'same'));
    apply(store, { type: 'tombstone-reap', upto: 100 });
    await tick();
    assert.equal(waiter.settled, false);
    store.abandon();
    assert.equal(await waiter.done, true);
  });

  it('catches a change committed between the read and the wait', async () => {
    const store = new StateStore();
    const ws = watchKey(store, 'k');
    apply(store, set('k'));
    assert.equal(await ws.wait(5000), true);
    assert.equal(store.watchStats().waiters, 0);
  });

  it('ignores an unrelated change committed between the read and the wait', async () => {
    const store = new StateStore();
    const ws = watchKey(store, 'k');
    apply(store, set('other'));
    assert.equal(await ws.wait(20), false);
  });

  it('times out with false and unregisters', async () => {
    const store = new StateStore();
    const ws = watchKey(store, 'k');
    const done = ws.wait(10);
    assert.equal(store.watchStats().waiters, 1);
    assert.equal(await done, false);
    assert.equal(store.watchStats().waiters, 0);
    apply(store, set('k'));
  });

  it('resolves false when aborted, or at once when already aborted', async () => {
    const store = new StateStore();
    const controller = new AbortController();
    const done = watchKey(store, 'k').wait(60_000, controller.signal);
    controller.abort();
    assert.equal(await done, false);
    assert.equal(store.watchStats().waiters, 0);
    assert.equal(await watchKey(store, 'k').wait(60_000, controller.signal), false);
  });

  it('abandon wakes every waiter, and a restore abandons', async () => {
    const store = new StateStore();
    const first = track(watchKey(store, 'x'));
    const second = track(watchPrefix(store, 'y/'));
    store.restore(new StateStore().snapshot());
    assert.equal(await first.done, true);
    assert.equal(await second.done, true);
    assert.equal(store.watchStats().waiters, 0);
  });

  it('counts waiting watch sets', async () => {
    const store = new StateStore();
    const waits = Array.from({ length: 3 }, (_, i) => watchKey(store, `k${i}`).wait(5000));
    assert.deepEqual(store.watchStats(), { waiters: 3 });
    apply(store, set('k1'));
    await waits[1];
    assert.deepEqual(store.watchStats(), { waiters: 2 });
    store.abandon();
    await Promise.all(waits);
    assert.deepEqual(store.watchStats(), { waiters: 0 });
  });

  // How fast they wake is bench/kv's fan-out measurement, not this test's.
  it('wakes all of 10,000 waiters on one key and unregisters them', async () => {
    const store = new StateStore();
    const waits = Array.from({ length: 10_000 }, () => watchKey(store, 'hot').wait(60_000));
    assert.equal(store.watchStats().waiters, 10_000);
    apply(store, set('hot'));
    const results = await Promise.all(waits);
    assert.ok(results.every((changed) => changed));
    assert.equal(store.watchStats().waiters, 0);
  });

  it('does not wake 1,000 waiters on unrelated keys', async () => {
    const store = new StateStore();
    const waiters = Array.from({ length: 1000 }, (_, i) =>
      track(i % 2 === 0 ? watchKey(store, `svc/${i}`) : watchPrefix(store, `svc/${i}/`)),
    );
    for (let i = 0; i < 50; i++) apply(store, set(`app/${i}`));
    apply(store, { type: 'kv-delete-tree', prefix: 'app/' });
    await tick();
    assert.equal(waiters.filter((waiter) => waiter.settled).length, 0);
    assert.equal(store.watchStats().waiters, 1000);
    store.abandon();
    await Promise.all(waiters.map((waiter) => waiter.done));
  });
});
