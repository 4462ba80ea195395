// The Node, Service and Check verbs of /v1/txn over real HTTP: writes applied atomically with
// KV ops, the read-only path for gets, CAS verbs, pre-apply refusals and rollback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(async () => {
  await t.stop();
});

interface TxnAnswer {
  Results: Record<string, Record<string, unknown>>[] | null;
  Errors: { OpIndex: number; What: string }[] | null;
  Index?: number;
  KnownLeader?: boolean;
}

async function txn(ops: unknown[]): Promise<{ status: number; body: TxnAnswer }> {
  const result = await t.request('PUT', '/v1/txn', { body: JSON.stringify(ops) });
  return { status: result.status, body: JSON.parse(result.text) as TxnAnswer };
}
const get = (path: string): Promise<HttpResult> => t.request('GET', path);
const json = (result: HttpResult): unknown => JSON.parse(result.text);

describe('/v1/txn catalog verbs', () => {
  it('sets a node, a service, a check and a key in one transaction', async () => {
    const { status, body } = await txn([
      { Node: { Verb: 'set', Node: { Node: 'tx-1', Address: '10.3.0.1', Meta: { a: 'b' } } } },
      {
        Service: {
          Verb: 'set',
          Node: 'tx-1',
          Service: { Service: 'tx-web', Tags: ['t'], Port: 8080 },
        },
      },
      {
        Check: {
          Verb: 'set',
          Check: {
            Node: 'tx-1',
            Name: 'tx-web-alive',
            Status: 'passing',
            ServiceID: 'tx-web',
            Definition: { TCP: '10.3.0.1:8080', Interval: '15s' },
          },
        },
      },
      { KV: { Verb: 'set', Key: 'tx/key', Value: Buffer.from('v').toString('base64') } },
    ]);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.Errors, null);
    const results = body.Results ?? [];
    assert.deepEqual(
      results.map((result) => Object.keys(result)),
      [['Node'], ['Service'], ['Check'], ['KV']],
    );
    const index = results[0].Node.CreateIndex as number;
    assert.deepEqual(results[0].Node, {
      ID: '',
      Node: 'tx-1',
      Address: '10.3.0.1',
      Datacenter: '',
      TaggedAddresses: null,
      Meta: { a: 'b' },
      CreateIndex: index,
      ModifyIndex: index,
    });
    assert.equal(results[1].Service.ID, 'tx-web');
    assert.deepEqual(results[1].Service.Tags, ['t']);
    assert.equal(results[2].Check.CheckID, 'tx-web-alive');
    assert.equal(results[2].Check.ServiceName, 'tx-web');
    assert.deepEqual(results[2].Check.Definition, { Interval: '15s', TCP: '10.3.0.1:8080' });

    const [entry] = json(await get('/v1/health/service/tx-web')) as {
      Checks: { CheckID: string }[];
    }[];
    assert.deepEqual(
      entry.Checks.map((check) => check.CheckID),
      ['tx-web-alive'],
    );
    assert.equal((await get('/v1/kv/tx/key')).status, 200);
  });

  it('answers read-only gets on the fast path, with the read response fields', async () => {
    const { status, body } = await txn([
      { Node: { Verb: 'get', Node: { Node: 'TX-1' } } },
      { Service: { Verb: 'get', Node: 'tx-1', Service: { ID: 'tx-web' } } },
      { Check: { Verb: 'get', Check: { Node: 'tx-1', CheckID: 'tx-web-alive' } } },
      { KV: { Verb: 'get', Key: 'tx/key' } },
    ]);
    assert.equal(status, 200, JSON.stringify(body));
    const results = body.Results ?? [];
    assert.equal(results[0].Node.Node, 'tx-1');
    assert.equal(results[1].Service.Port, 8080);
    assert.equal(results[2].Check.Status, 'passing');
    assert.equal(results[3].KV.Key, 'tx/key');
    assert.equal(body.Index, 0);
    assert.equal(body.KnownLeader, true);

    const missing = await txn([
      { Node: { Verb: 'get', Node: { Node: 'nope' } } },
      { Service: { Verb: 'get', Node: 'tx-1', Service: { ID: 'nope' } } },
      { Check: { Verb: 'get', Check: { Node: 'tx-1', CheckID: 'nope' } } },
    ]);
    assert.equal(missing.status, 409);
    assert.deepEqual(missing.body.Errors, [
      { OpIndex: 0, What: 'node "nope" doesn\'t exist' },
      { OpIndex: 1, What: 'service "nope" on node "tx-1" doesn\'t exist' },
      { OpIndex: 2, What: 'check "nope" on node "tx-1" doesn\'t exist' },
    ]);
  });

  it('fails a stale cas and rolls back every op of the batch', async () => {
    const before = json(await get('/v1/catalog/node/tx-1')) as {
      Node: { ModifyIndex: number };
    };
    const stale = before.Node.ModifyIndex + 100;
    const { status, body } = await txn([
      { KV: { Verb: 'set', Key: 'tx/rolled-back', Value: '' } },
      { Node: { Verb: 'cas', Node: { Node: 'tx-1', Address: '10.3.0.9', ModifyIndex: stale } } },
      {
        Service: {
          Verb: 'delete-cas',
          Node: 'tx-1',
          Service: { ID: 'tx-web', Service: 'tx-web', ModifyIndex: stale },
        },
      },
      { Check: { Verb: 'set', Check: { Node: 'tx-1', Name: 'orphan', ServiceID: 'none' } } },
    ]);
    assert.equal(status, 409);
    assert.equal(body.Results, null);
    assert.deepEqual(body.Errors, [
      { OpIndex: 1, What: 'failed to set node "tx-1", index is stale' },
      { OpIndex: 2, What: 'failed to delete service "tx-web" on node "tx-1", index is stale' },
      { OpIndex: 3, What: "Unknown service ID 'none' for check ID 'orphan'" },
    ]);
    assert.equal((await get('/v1/kv/tx/rolled-back')).status, 404);
    const after = json(await get('/v1/catalog/node/tx-1')) as {
      Node: { Address: string; ModifyIndex: number };
    };
    assert.equal(after.Node.Address, '10.3.0.1');
  });

  it('applies cas and delete-cas at the current index; 0 means create-only', async () => {
    const node = json(await get('/v1/catalog/node/tx-1')) as { Node: { ModifyIndex: number } };
    const updated = await txn([
      {
        Node: {
          Verb: 'cas',
          Node: { Node: 'tx-1', Address: '10.3.0.2', ModifyIndex: node.Node.ModifyIndex },
        },
      },
      { Node: { Verb: 'cas', Node: { Node: 'tx-2', Address: '10.3.0.3', ModifyIndex: 0 } } },
    ]);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((updated.body.Results ?? [])[0].Node.Address, '10.3.0.2');
    const again = await txn([
      { Node: { Verb: 'cas', Node: { Node: 'tx-2', Address: '10.3.0.3', ModifyIndex: 0 } } },
    ]);
    assert.deepEqual(again.body.Errors, [
      { OpIndex: 0, What: 'failed to set node "tx-2", index is stale' },
    ]);

    const [check] = json(await get('/v1/health/checks/tx-web')) as { ModifyIndex: number }[];
    const deleted = await txn([
      {
        Check: {
          Verb: 'delete-cas',
          Check: { Node: 'tx-1', CheckID: 'tx-web-alive', ModifyIndex: check.ModifyIndex },
        },
      },
      { Service: { Verb: 'delete', Node: 'tx-1', Service: { ID: 'tx-web', Service: 'tx-web' } } },
      { Node: { Verb: 'delete', Node: { Node: 'tx-2' } } },
    ]);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(deleted.body.Results, []);
    assert.deepEqual(json(await get('/v1/health/checks/tx-web')), []);
    assert.deepEqual(json(await get('/v1/catalog/service/tx-web')), []);
    assert.equal((await get('/v1/catalog/node/tx-2')).text.trim(), 'null');
  });

  it('refuses ops failing the pre-apply checks before proposing anything', async () => {
    const { status, body } = await txn([
      { KV: { Verb: 'set', Key: 'tx/never', Value: '' } },
      { Node: { Verb: 'bogus', Node: { Node: 'x' } } },
      { Node: { Verb: 'set', Node: { Address: '10.0.0.1' } } },
      { Node: { Verb: 'set', Node: { Node: 'x', ID: 'not-a-uuid' } } },
      { Service: { Verb: 'set', Node: 'tx-1', Service: { ID: 'only-id' } } },
      { Service: { Verb: 'set', Node: 'tx-1', Service: { Service: 's', Address: '0.0.0.0' } } },
      { Check: { Verb: 'nope', Check: { Node: 'tx-1' } } },
    ]);
    assert.equal(status, 409);
    assert.deepEqual(body.Errors, [
      { OpIndex: 1, What: 'unknown node operation: bogus' },
      { OpIndex: 2, What: 'Must provide node' },
      { OpIndex: 3, What: 'Bad node ID: uuid string is wrong length' },
      { OpIndex: 4, What: 'Must provide service name with ID' },
      { OpIndex: 5, What: 'Invalid service address' },
      { OpIndex: 6, What: 'unknown check operation: nope' },
    ]);
    assert.equal((await get('/v1/kv/tx/never')).status, 404);
  });

  it('answers a mistyped catalog op with 400', async () => {
    const result = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ Service: { Verb: 'set', Node: 'n', Service: { Port: 'x' } } }]),
    });
    assert.equal(result.status, 400);
    assert.match(
      result.text,
      /^Failed to parse body: json: cannot unmarshal string into .* of type int$/,
    );
  });

  it('wakes blocking health readers of the services a transaction changes', async () => {
    await txn([
      { Node: { Verb: 'set', Node: { Node: 'tx-3', Address: '10.3.0.4' } } },
      { Service: { Verb: 'set', Node: 'tx-3', Service: { Service: 'tx-api' } } },
    ]);
    const index = Number((await get('/v1/health/service/tx-api')).headers['x-consul-index']);
    const pending = get(`/v1/health/service/tx-api?index=${index}&wait=10s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await txn([
      { Check: { Verb: 'set', Check: { Node: 'tx-3', Name: 'node-ok', Status: 'critical' } } },
    ]);
    const woken = await pending;
    assert.ok(Number(woken.headers['x-consul-index']) > index);
    const [entry] = json(woken) as { Checks: { CheckID: string; Status: string }[] }[];
    assert.deepEqual(entry.Checks, [
      { ...entry.Checks[0], CheckID: 'node-ok', Status: 'critical' },
    ]);
  });
});
