// Blocking queries over real HTTP: a write wakes only the waiters on what it changed, the wait
// expires with the index unchanged, and a client that goes away frees its waiter.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { eventually, sleep, startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  // 1,000 waiters from one address: above Consul's default of 200 connections per client.
  t = await startTestAgent([], (config) => ({
    ...config,
    limits: { ...config.limits, httpMaxConnsPerClient: 2000 },
  }));
});
after(async () => {
  await t.stop();
});

const waiters = (): number => t.agent.store.watchStats().waiters;

async function indexOf(path: string): Promise<number> {
  return Number((await t.request('GET', path)).headers['x-consul-index']);
}

/** Starts a request and records when (and whether) it completes. */
function track(path: string, signal?: AbortSignal): { done: boolean; result: Promise<HttpResult> } {
  const tracked = {
    done: false,
    result: t.request('GET', path, { signal }).finally(() => {
      tracked.done = true;
    }),
  };
  return tracked;
}

describe('blocking queries', () => {
  it('1,000 waiters on unrelated keys sleep through a write; the written key wakes its waiter only', async () => {
    const count = 1000;
    for (let i = 0; i < count; i++) await t.request('PUT', `/v1/kv/many/k${i}`, { body: 'v' });
    // The newest of them: every key's own index is at most this, so every read blocks.
    const index = await indexOf('/v1/kv/many/?recurse');
    const controller = new AbortController();
    const pending = Array.from({ length: count }, (_, i) =>
      track(`/v1/kv/many/k${i}?index=${index}&wait=60s`, controller.signal),
    );
    pending.forEach((request) => request.result.catch(() => undefined));
    try {
      await eventually(() => waiters() === count, `${count} waiters`, 20000);

      await t.request('PUT', '/v1/kv/unrelated/key', { body: 'x' });
      await sleep(300);
      assert.equal(pending.filter((request) => request.done).length, 0);
      assert.equal(waiters(), count);

      const write = await t.request('PUT', '/v1/kv/many/k7', { body: 'changed' });
      assert.equal(write.status, 200);
      const woken = await pending[7].result;
      const body = JSON.parse(woken.text) as { ModifyIndex: number; Value: string }[];
      assert.equal(Buffer.from(body[0].Value, 'base64').toString(), 'changed');
      assert.equal(woken.headers['x-consul-index'], String(body[0].ModifyIndex));
      await sleep(100);
      assert.equal(pending.filter((request) => request.done).length, 1);
      assert.equal(waiters(), count - 1);
    } finally {
      controller.abort();
    }
    await eventually(() => waiters() === 0, 'aborted waiters to be released', 10000);
  });

  it('wakes prefix waiters (recurse and keys) on a write under the prefix', async () => {
    await t.request('PUT', '/v1/kv/pfx/a', { body: 'v' });
    const index = await indexOf('/v1/kv/pfx/?recurse');
    const recurse = track(`/v1/kv/pfx/?recurse&index=${index}&wait=30s`);
    const keys = track(`/v1/kv/pf?keys&index=${index}&wait=30s`);
    const other = track(`/v1/kv/pfy/?recurse&index=${index}&wait=30s`);
    await eventually(() => waiters() === 3, '3 waiters');
    await t.request('PUT', '/v1/kv/pfx/deep/b', { body: 'v' });
    const [woken, wokenKeys] = await Promise.all([recurse.result, keys.result]);
    assert.ok(Number(woken.headers['x-consul-index']) > index);
    assert.equal((JSON.parse(woken.text) as unknown[]).length, 2);
    assert.deepEqual(JSON.parse(wokenKeys.text), ['pfx/a', 'pfx/deep/b']);
    await sleep(50);
    assert.equal(other.done, false);
    await t.request('PUT', '/v1/kv/pfy/c', { body: 'v' });
    assert.equal((await other.result).status, 200);
  });

  it('wakes a waiter on a missing key when the key is created', async () => {
    const missing = await t.request('GET', '/v1/kv/later/key');
    assert.equal(missing.status, 404);
    const index = Number(missing.headers['x-consul-index']);
    const waiting = track(`/v1/kv/later/key?index=${index}&wait=30s`);
    await eventually(() => waiters() === 1, 'the waiter');
    await t.request('PUT', '/v1/kv/later/key', { body: 'here' });
    const result = await waiting.result;
    assert.equal(result.status, 200);
    assert.ok(Number(result.headers['x-consul-index']) > index);
  });

  it('returns at the end of ?wait (plus at most wait/16) with the index unchanged', async () => {
    await t.request('PUT', '/v1/kv/timeout/k', { body: 'v' });
    const index = await indexOf('/v1/kv/timeout/k');
    const started = Date.now();
    const result = await t.request('GET', `/v1/kv/timeout/k?index=${index}&wait=400ms`);
    const elapsed = Date.now() - started;
    assert.equal(result.status, 200);
    assert.equal(result.headers['x-consul-index'], String(index));
    assert.ok(elapsed >= 390, `returned after ${elapsed} ms`);
    assert.ok(elapsed < 400 * (1 + 1 / 16) + 250, `returned after ${elapsed} ms`);
  });

  it('blocks when the requested index is ahead of the server (no early return)', async () => {
    const index = await indexOf('/v1/kv/timeout/k');
    const started = Date.now();
    const result = await t.request('GET', `/v1/kv/timeout/k?index=${index + 1_000_000}&wait=300ms`);
    assert.ok(Date.now() - started >= 290);
    assert.equal(result.headers['x-consul-index'], String(index));
  });

  it('answers at once without ?index or with ?index=0', async () => {
    const started = Date.now();
    await t.request('GET', '/v1/kv/timeout/k?wait=10s');
    await t.request('GET', '/v1/kv/timeout/k?index=0&wait=10s');
    assert.ok(Date.now() - started < 1000);
  });

  it('frees the waiter when the client disconnects', async () => {
    await t.request('PUT', '/v1/kv/gone/k', { body: 'v' });
    const index = await indexOf('/v1/kv/gone/k');
    const controller = new AbortController();
    const waiting = track(`/v1/kv/gone/k?index=${index}&wait=60s`, controller.signal);
    waiting.result.catch(() => undefined);
    await eventually(() => waiters() === 1, 'the waiter');
    controller.abort();
    await eventually(() => waiters() === 0, 'the waiter to be released');
    // The agent keeps serving after the disconnect.
    assert.equal((await t.request('GET', '/v1/kv/gone/k')).status, 200);
  });
});
