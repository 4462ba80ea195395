// The npm `consul` client (v2), unchanged, against the agent: its query.* calls create, list,
// get, update, execute and destroy prepared queries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { startTestAgent, type TestAgent } from '../http/harness';

let t: TestAgent;
let consul: Consul;
before(async () => {
  t = await startTestAgent();
  consul = new Consul({ host: t.host, port: t.port });
  const registration = {
    Node: 'c1',
    Address: '10.2.0.1',
    Service: { ID: 'api', Service: 'api', Port: 9000, Tags: ['v2'] },
    Check: { CheckID: 'api-check', Name: 'c', ServiceID: 'api', Status: 'passing' },
  };
  const result = await t.request('PUT', '/v1/catalog/register', {
    body: JSON.stringify(registration),
  });
  assert.equal(result.status, 200, result.text);
});
after(async () => {
  await t.stop();
});

interface QueryJson {
  ID: string;
  Name: string;
  Service: { Service: string; OnlyPassing: boolean; Tags: string[] | null };
  DNS: { TTL: string };
}

describe('npm consul client query calls', () => {
  it('creates, reads, lists, updates, executes and destroys', async () => {
    const { ID } = await consul.query.create({
      name: 'api-q',
      service: { service: 'api', onlypassing: true },
      dns: { ttl: '15s' },
    });
    assert.match(ID, /^[0-9a-f-]{36}$/);
    const got = (await consul.query.get(ID)) as QueryJson;
    assert.equal(got.Name, 'api-q');
    assert.equal(got.Service.OnlyPassing, true);
    assert.deepEqual(got.DNS, { TTL: '15s' });
    const listed = (await consul.query.list()) as QueryJson[];
    assert.deepEqual(
      listed.map((q) => q.ID),
      [ID],
    );

    await consul.query.update({
      query: ID,
      name: 'api-q',
      service: { service: 'api', onlypassing: false },
      dns: { ttl: '20s' },
    });
    assert.equal(((await consul.query.get(ID)) as QueryJson).DNS.TTL, '20s');

    const executed = (await consul.query.execute('api-q')) as {
      Service: string;
      Nodes: { Node: { Node: string }; Service: { Port: number } }[];
      DNS: { TTL: string };
    };
    assert.equal(executed.Service, 'api');
    assert.deepEqual(
      executed.Nodes.map((n) => [n.Node.Node, n.Service.Port]),
      [['c1', 9000]],
    );
    assert.equal(executed.DNS.TTL, '20s');

    // (query.explain reads the first element of an array, and Consul answers an object: the
    // client yields undefined against Consul too, so explain is tested over plain HTTP.)

    // `destroy` is in the client, not in its type declarations.
    const query = consul.query as unknown as { destroy(id: string): Promise<void> };
    await query.destroy(ID);
    assert.deepEqual(await consul.query.list(), []);
    await assert.rejects(consul.query.get(ID), /Query not found/);
  });
});
