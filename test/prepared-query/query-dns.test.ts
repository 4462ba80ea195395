// `<name-or-id>.query[.<dc>].consul` against a real dev agent, asked with dig: A and SRV answers
// from a prepared query's instances with its DNS TTL, templates by name, NXDOMAIN for an unknown
// query and for one that finds nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dig, startDnsAgent, type DnsTestAgent } from '../dns/support';

let t: DnsTestAgent;
let queryId: string;

before(async () => {
  t = await startDnsAgent();
  for (const [node, address, status] of [
    ['web1', '10.1.0.1', 'passing'],
    ['web2', '10.1.0.2', 'warning'],
    ['web3', '10.1.0.3', 'critical'],
  ]) {
    await t.register({
      Node: node,
      Address: address,
      Service: { ID: 'web', Service: 'web', Port: 8080, Tags: ['blue'] },
      Check: { CheckID: 'web-check', Name: 'c', ServiceID: 'web', Status: status },
    });
  }
  for (const [node, address] of [
    ['api-far', '10.1.0.9'],
    ['api-here', '127.0.0.2'],
    ['api-other', '10.1.0.8'],
  ]) {
    await t.register({
      Node: node,
      Address: address,
      Service: { ID: 'api', Service: 'api', Port: 9090 },
    });
  }
  await create({ Name: 'api-near', Service: { Service: 'api', Near: '_ip' } });
  queryId = await create({ Name: 'front', Service: { Service: 'web' }, DNS: { TTL: '30s' } });
  await create({ Name: 'strict', Service: { Service: 'web', OnlyPassing: true } });
  await create({ Name: 'none', Service: { Service: 'web', Tags: ['green'] } });
  await create({
    Name: 'svc-',
    Template: { Type: 'name_prefix_match', Regexp: '^svc-(.+)$' },
    Service: { Service: '${match(1)}' },
    DNS: { TTL: '5s' },
  });
});
after(async () => {
  await t.stop();
});

async function create(definition: Record<string, unknown>): Promise<string> {
  const result = await t.request('POST', '/v1/query', { body: JSON.stringify(definition) });
  assert.equal(result.status, 200, result.text);
  return (JSON.parse(result.text) as { ID: string }).ID;
}

describe('prepared queries over DNS', () => {
  test('A records of the healthy instances carry the query DNS TTL', async () => {
    const result = await dig(t.dnsPort, ['front.query.consul', 'A']);
    assert.equal(result.status, 'NOERROR');
    assert.ok(result.flags.includes('aa'));
    const rows = result.answer.map(([name, ttl, , type, address]) => [name, ttl, type, address]);
    assert.deepEqual(rows.sort(), [
      ['front.query.consul.', '30', 'A', '10.1.0.1'],
      ['front.query.consul.', '30', 'A', '10.1.0.2'],
    ]);
  });

  test('SRV records target the nodes, with their addresses in ADDITIONAL', async () => {
    const result = await dig(t.dnsPort, ['front.query.dc1.consul', 'SRV']);
    assert.equal(result.status, 'NOERROR');
    const targets = result.answer.map((row) => [row[3], row[4], row[6], row[7]]).sort();
    assert.deepEqual(targets, [
      ['SRV', '1', '8080', 'web1.node.dc1.consul.'],
      ['SRV', '1', '8080', 'web2.node.dc1.consul.'],
    ]);
    const glue = result.additional.filter((row) => row[3] === 'A').map((row) => [row[0], row[4]]);
    assert.deepEqual(glue.sort(), [
      ['web1.node.dc1.consul.', '10.1.0.1'],
      ['web2.node.dc1.consul.', '10.1.0.2'],
    ]);
  });

  test('the query answers by ID and applies its own filters', async () => {
    const byId = await dig(t.dnsPort, [`${queryId}.query.consul`, 'A']);
    assert.equal(byId.answer.length, 2);
    const strict = await dig(t.dnsPort, ['strict.query.consul', 'A']);
    assert.deepEqual(
      strict.answer.map((row) => [row[1], row[4]]),
      [['0', '10.1.0.1']],
    );
  });

  test('a template answers for names under its prefix', async () => {
    const result = await dig(t.dnsPort, ['svc-web.query.consul', 'A']);
    assert.equal(result.status, 'NOERROR');
    assert.deepEqual(result.answer.map((row) => [row[1], row[4]]).sort(), [
      ['5', '10.1.0.1'],
      ['5', '10.1.0.2'],
    ]);
    const missing = await dig(t.dnsPort, ['svc-db.query.consul', 'A']);
    assert.equal(missing.status, 'NXDOMAIN');
  });

  test("Near _ip puts the node with the asker's address first", async () => {
    for (let i = 0; i < 5; i++) {
      // Asked from 127.0.0.2 (127.0.0.1 is the agent's own node, which has no api instance).
      const result = await dig(t.dnsPort, ['-b', '127.0.0.2', 'api-near.query.consul', 'A']);
      assert.equal(result.answer.length, 3);
      assert.equal(result.answer[0][4], '127.0.0.2');
    }
  });

  test('an unknown query, and one that finds nothing, are NXDOMAIN with the SOA', async () => {
    for (const name of ['nobody.query.consul', 'none.query.consul']) {
      const result = await dig(t.dnsPort, [name, 'A']);
      assert.equal(result.status, 'NXDOMAIN', name);
      assert.equal(result.authority[0]?.[3], 'SOA', name);
    }
  });
});
