// watch(): blocking-query loops against a real agent, including agent restarts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Consul, ConsulError, kvText, watch, type WatchErrorInfo, type WatchQuery } from '../src';
import {
  eventually,
  startAgentProcess,
  startAgentWithClient,
  type AgentProcess,
} from './agent-process';

let agent: AgentProcess;
let consul: Consul;

before(async () => ({ agent, consul } = await startAgentWithClient()));
after(() => agent.destroy());

/** A watch of one key's text (undefined when missing). */
function watchText(client: Consul, key: string, wait: number | string = '10s') {
  return watch(
    async (q) => {
      const { data, meta } = await client.kv.get(key, q);
      return { data: kvText(data), meta };
    },
    { wait, backoff: { initialMs: 50, maxMs: 300 } },
  );
}

describe('watch', () => {
  test('emits the first result, then each change once', async () => {
    await consul.kv.put('w/first', 'a');
    const seen: (string | undefined)[] = [];
    const w = watchText(consul, 'w/first');
    w.on('change', ({ data }) => seen.push(data));
    await eventually(() => seen.length === 1, 'first result');
    await consul.kv.put('w/first', 'b');
    await eventually(() => seen.length === 2, 'second value');
    await consul.kv.put('w/first', 'c');
    await eventually(() => seen.length === 3, 'third value');
    w.stop();
    await w.finished;
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  test('a new index with equal data is not a change', async () => {
    await consul.kv.put('w/same', 'x');
    const seen: (string | undefined)[] = [];
    const indexes: number[] = [];
    const w = watchText(consul, 'w/same');
    w.on('change', ({ data, meta }) => {
      seen.push(data);
      indexes.push(meta.index);
    });
    await eventually(() => seen.length === 1, 'first result');
    const before = w.index;
    await consul.kv.put('w/same', 'x', { flags: 7 }); // same text, new ModifyIndex
    await eventually(() => w.index > before, 'the watch to see the new index');
    await consul.kv.put('w/same', 'y');
    await eventually(() => seen.length === 2, 'the real change');
    w.stop();
    assert.deepEqual(seen, ['x', 'y']);
  });

  test('the async iterator yields changes and leaving the loop stops the watch', async () => {
    await consul.kv.put('w/iter', '0');
    const w = watchText(consul, 'w/iter');
    const seen: (string | undefined)[] = [];
    for await (const { data, previous } of w) {
      seen.push(data);
      if (seen.length === 1) assert.equal(previous, undefined);
      else assert.equal(previous, String(seen.length - 2));
      if (seen.length === 3) break;
      await consul.kv.put('w/iter', String(seen.length));
    }
    assert.deepEqual(seen, ['0', '1', '2']);
    await w.finished;
    assert.equal(w.running, false);
  });

  test('a missing key is reported as undefined and its creation as a change', async () => {
    const w = watchText(consul, 'w/later');
    const seen: (string | undefined)[] = [];
    w.on('change', ({ data }) => seen.push(data));
    await eventually(() => seen.length === 1, 'first result');
    await consul.kv.put('w/later', 'here');
    await eventually(() => seen.length === 2, 'creation');
    w.stop();
    assert.deepEqual(seen, [undefined, 'here']);
  });

  test('aborting the signal ends the watch and its blocked request at once', async () => {
    const controller = new AbortController();
    const w = watch((q) => consul.kv.get('w/abort', q), {
      wait: '60s',
      signal: controller.signal,
    });
    let changes = 0;
    w.on('change', () => changes++);
    await eventually(() => changes === 1, 'first result');
    const started = Date.now();
    controller.abort();
    await w.finished;
    assert.ok(Date.now() - started < 1000);
    assert.equal(w.running, false);
  });

  test('an index of 0 is treated as 1 and a tight loop is rate limited', async () => {
    const queries: WatchQuery[] = [];
    const w = watch(
      async (q) => {
        queries.push(q);
        const data = await consul.status.leader();
        return { data, meta: { ...(await consul.kv.get('w/x')).meta, index: 0 } };
      },
      { rateLimit: { perSecond: 10, burst: 2 } },
    );
    let changes = 0;
    w.on('change', () => changes++);
    await new Promise((done) => setTimeout(done, 1000));
    w.stop();
    await w.finished;
    assert.equal(changes, 1);
    assert.equal(queries[0].index, 0);
    assert.ok(queries.slice(1).every((q) => q.index === 1));
    assert.ok(queries.length >= 8 && queries.length <= 14, `${queries.length} rounds in 1 s`);
  });

  test('an index lower than the one blocked on resets the next request to 0', async () => {
    const reported = [10, 20, 5, 6];
    const requested: number[] = [];
    const w = watch(async (q) => {
      requested.push(q.index);
      const { data, meta } = await consul.kv.get('w/x');
      const index = reported.shift();
      if (index === undefined) w.stop();
      return { data, meta: { ...meta, index: index ?? 6 } };
    });
    await w.finished;
    // 5 after blocking on 20 → the next round asks with 0; its answer (6) is followed from there.
    assert.deepEqual(requested.slice(0, 5), [0, 10, 20, 0, 6]);
  });

  test('errors back off exponentially up to the cap and are reported', async () => {
    const dead = new Consul({ address: '127.0.0.1:1' });
    const delays: number[] = [];
    const w = watch((q) => dead.kv.get('k', q), {
      backoff: { initialMs: 20, maxMs: 160 },
      onError: (_error, info) => delays.push(info.retryInMs ?? -1),
    });
    await eventually(() => delays.length >= 7, 'seven failures', 5000);
    w.stop();
    await w.finished;
    dead.close();
    // ±50 % jitter around 20, 40, 80, 160, 160, …
    const caps = [20, 40, 80, 160, 160, 160, 160];
    caps.forEach((cap, i) => {
      assert.ok(delays[i] >= cap / 2 && delays[i] <= cap, `delay ${i}: ${delays[i]} vs ${cap}`);
    });
  });

  test('an endpoint the agent does not have ends the watch with a fatal error', async () => {
    const w = watch((q) =>
      consul.transport.query<unknown>(
        { method: 'GET', path: '/v1/no-such-endpoint', options: q },
        () => undefined,
      ),
    );
    const errors: WatchErrorInfo[] = [];
    w.on('error', (_e: Error, info: WatchErrorInfo) => errors.push(info));
    await assert.rejects(
      (async () => {
        for await (const _ of w) assert.fail('no data expected');
      })(),
      (error: unknown) => error instanceof ConsulError && error.status === 404,
    );
    assert.deepEqual(errors, [{ attempt: 1, fatal: true }]);
  });
});

describe('watch across agent restarts', () => {
  test('resumes after a restart with a data dir: no duplicate and no missed change', async () => {
    const persistent = await startAgentProcess({ persistent: true });
    try {
      const client = persistent.client();
      await client.kv.put('r/k', 'c1');
      const seen: (string | undefined)[] = [];
      let errors = 0;
      const w = watchText(client, 'r/k', '30s');
      w.on('change', ({ data }) => seen.push(data));
      w.on('error', () => errors++);
      await eventually(() => seen.length === 1, 'c1');
      await persistent.stop();
      await eventually(() => errors > 0, 'the watch to notice the agent is gone');
      await persistent.start();
      await client.kv.put('r/k', 'c2'); // written before the watch reconnects (it is backing off)
      await eventually(() => seen.length >= 2, 'c2 after the restart');
      await client.kv.put('r/k', 'c3');
      await eventually(() => seen.length >= 3, 'c3');
      await new Promise((done) => setTimeout(done, 300));
      w.stop();
      await w.finished;
      assert.deepEqual(seen, ['c1', 'c2', 'c3']);
    } finally {
      await persistent.destroy();
    }
  });

  test('after an in-memory agent restart it re-reads at once and follows the lower index', async () => {
    const fresh = await startAgentProcess();
    try {
      const client = fresh.client();
      for (let i = 0; i < 30; i++) await client.kv.put('r/pad', String(i));
      await client.kv.put('r/k', 'before');
      const seen: (string | undefined)[] = [];
      const w = watchText(client, 'r/k', '60s');
      w.on('change', ({ data }) => seen.push(data));
      await eventually(() => seen.length === 1, 'first value');
      const highIndex = w.index;
      await fresh.stop();
      await fresh.start(); // in memory: the new agent's indexes start again near 1
      await client.kv.put('r/k', 'after');
      // Blocking on the old, higher index would wait the full 60 s (the agent does not answer
      // early for an index ahead of its own); re-reading after the error makes it prompt.
      await eventually(() => seen.length === 2, 'the value written after the restart', 8000);
      assert.ok(w.index < highIndex, `index ${w.index} should be below ${highIndex}`);
      w.stop();
      await w.finished;
      assert.deepEqual(seen, ['before', 'after']);
    } finally {
      await fresh.destroy();
    }
  });
});
