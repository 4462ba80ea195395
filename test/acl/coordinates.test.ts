// ACLs on /v1/coordinate: updates need node:write on their node, listings are filtered by
// node:read, one node's coordinates need node:read on it, the datacenters map needs nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { coordinateAt } from '../http/coordinate-helpers';
import { eventually } from '../http/harness';
import { MANAGEMENT, startAclAgent, type AclAgent } from './harness';

let t: AclAgent;
let writer: string;
let reader: string;

before(async () => {
  t = await startAclAgent();
  for (const node of ['a-1', 'b-1']) {
    const result = await t.as(MANAGEMENT, 'PUT', '/v1/catalog/register', {
      Node: node,
      Address: '10.0.0.1',
    });
    assert.equal(result.status, 200, result.text);
  }
  writer = await t.tokenWith('node_prefix "a-" { policy = "write" }');
  reader = await t.tokenWith('node_prefix "a-" { policy = "read" }');
});
after(async () => {
  await t.stop();
});

describe('coordinate ACLs', () => {
  it('an update needs node:write on the node it is for', async () => {
    const ok = await t.as(writer, 'PUT', '/v1/coordinate/update', {
      Node: 'a-1',
      Coord: coordinateAt(1),
    });
    assert.equal(ok.status, 200, ok.text);
    const refused = await t.as(writer, 'PUT', '/v1/coordinate/update', {
      Node: 'b-1',
      Coord: coordinateAt(2),
    });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /lacks permission 'node:write' on "b-1"/);
    const managed = await t.as(MANAGEMENT, 'PUT', '/v1/coordinate/update', {
      Node: 'b-1',
      Coord: coordinateAt(2),
    });
    assert.equal(managed.status, 200, managed.text);
  });

  it('listings show only readable nodes; one node needs node:read; datacenters needs none', async () => {
    await eventually(
      () => t.agent.store.coordinates(null).value.length === 2,
      'both coordinates stored',
    );
    const listed = await t.as(reader, 'GET', '/v1/coordinate/nodes');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (JSON.parse(listed.text) as { Node: string }[]).map((e) => e.Node),
      ['a-1'],
    );
    assert.equal(listed.headers['x-consul-results-filtered-by-acls'], 'true');
    assert.equal((await t.as(reader, 'GET', '/v1/coordinate/node/a-1')).status, 200);
    const other = await t.as(reader, 'GET', '/v1/coordinate/node/b-1');
    assert.equal(other.status, 403);
    assert.match(other.text, /lacks permission 'node:read' on "b-1"/);
    assert.equal((await t.as(null, 'GET', '/v1/coordinate/datacenters')).status, 200);
  });
});
