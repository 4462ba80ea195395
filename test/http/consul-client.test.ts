// The npm `consul` client (v2), unchanged, against the agent: KV, txn and the watch helper.
// If a Consul client could tell the difference, these would fail.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { startTestAgent, type TestAgent } from './harness';

let t: TestAgent;
let consul: Consul;
before(async () => {
  t = await startTestAgent();
  consul = new Consul({ host: t.host, port: t.port });
});
after(async () => {
  await t.stop();
});

interface Item {
  Key: string;
  Value: string | null;
  Flags: number;
  ModifyIndex: number;
}

describe('npm consul client', () => {
  it('sets, gets, lists keys, recurses and deletes', async () => {
    assert.equal(await consul.kv.set('client/a', 'alpha'), true);
    assert.equal(await consul.kv.set({ key: 'client/b/c', value: 'beta', flags: 42 }), true);
    const a = (await consul.kv.get('client/a')) as Item;
    assert.equal(a.Key, 'client/a');
    assert.equal(a.Value, 'alpha');
    const b = (await consul.kv.get('client/b/c')) as Item;
    assert.equal(b.Flags, 42);
    assert.equal(await consul.kv.get('client/missing'), undefined);
    assert.deepEqual(await consul.kv.keys('client/'), ['client/a', 'client/b/c']);
    assert.deepEqual(await consul.kv.keys({ key: 'client/', separator: '/' }), [
      'client/a',
      'client/b/',
    ]);
    const all = (await consul.kv.get({ key: 'client/', recurse: true })) as Item[];
    assert.deepEqual(
      all.map((item) => [item.Key, item.Value]),
      [
        ['client/a', 'alpha'],
        ['client/b/c', 'beta'],
      ],
    );
    assert.equal(await consul.kv.del('client/a'), true);
    assert.equal(await consul.kv.get('client/a'), undefined);
    assert.equal(await consul.kv.del({ key: 'client/', recurse: true }), true);
    assert.equal(await consul.kv.get({ key: 'client/', recurse: true }), undefined);
  });

  it('does check-and-set through cas', async () => {
    await consul.kv.set('client/cas', 'one');
    const item = (await consul.kv.get('client/cas')) as Item;
    // The client resolves Consul's `false` body as a falsy value.
    assert.ok(!(await consul.kv.set({ key: 'client/cas', value: 'x', cas: item.ModifyIndex + 5 })));
    assert.equal(((await consul.kv.get('client/cas')) as Item).Value, 'one');
    assert.equal(
      await consul.kv.set({ key: 'client/cas', value: 'two', cas: item.ModifyIndex }),
      true,
    );
    assert.equal(((await consul.kv.get('client/cas')) as Item).Value, 'two');
  });

  it('surfaces Consul errors as errors with the status code', async () => {
    await assert.rejects(
      consul.kv.set({ key: 'client/lock', value: 'v', acquire: 'no-such-session' }),
      (error: Error & { statusCode?: number }) => {
        assert.equal(error.statusCode, 500);
        return true;
      },
    );
  });

  it('runs transactions (ops in Consul body form, as the client README shows)', async () => {
    const operations = [
      { KV: { Verb: 'set', Key: 'client/tx/a', Value: Buffer.from('1').toString('base64') } },
      { KV: { Verb: 'get', Key: 'client/tx/a' } },
    ];
    // The client's typings describe a flat op shape; at run time it sends the array as given.
    const result = await consul.transaction.create(operations as never, { operations: [] });
    assert.equal(result.Results?.length, 2);
    assert.equal(result.Errors, null);
    assert.equal(((await consul.kv.get('client/tx/a')) as Item).Value, '1');
  });

  it('watches a key: the first result, then each change, with indexes handled', async () => {
    await consul.kv.set('client/watched', 'v0');
    const watch = consul.watch({
      method: consul.kv.get,
      options: { key: 'client/watched', wait: '5s' },
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    watch.on('error', (error: unknown) => errors.push(error));
    try {
      await new Promise<void>((resolve) => {
        watch.on('change', (data: Item | undefined) => {
          seen.push(data?.Value ?? '<none>');
          if (seen.length === 1) void consul.kv.set('client/watched', 'v1');
          if (seen.length === 2) void consul.kv.set('client/watched', 'v2');
          if (seen.length === 3) resolve();
        });
      });
    } finally {
      watch.end();
    }
    assert.deepEqual(seen, ['v0', 'v1', 'v2']);
    assert.deepEqual(errors, []);
  });
});
