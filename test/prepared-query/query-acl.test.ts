// Prepared queries with ACLs on (default deny): query:read filters the list and guards reads and
// explain, query:write guards writes (on the old and the new name), stored tokens are hidden from
// all but management, and execution filters nodes with the query's token, else the caller's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MANAGEMENT, startAclAgent, type AclAgent } from '../acl/harness';

let t: AclAgent;
let teamA: string;
let teamB: string;
let unnamed: string;

before(async () => {
  t = await startAclAgent();
  const registration = {
    Node: 'n1',
    Address: '10.0.0.1',
    Service: { Service: 'web', Port: 80 },
    Check: { CheckID: 'web-check', Name: 'c', ServiceID: 'web', Status: 'passing' },
  };
  assert.equal((await t.as(MANAGEMENT, 'PUT', '/v1/catalog/register', registration)).status, 200);
  teamA = await create(MANAGEMENT, { Name: 'team-a', Service: { Service: 'web' } });
  teamB = await create(MANAGEMENT, {
    Name: 'team-b',
    Token: MANAGEMENT,
    Service: { Service: 'web' },
  });
  const session = await t.as(MANAGEMENT, 'PUT', '/v1/session/create', { Node: 'n1', Checks: [] });
  assert.equal(session.status, 200, session.text);
  const sessionId = (JSON.parse(session.text) as { ID: string }).ID;
  unnamed = await create(MANAGEMENT, { Session: sessionId, Service: { Service: 'web' } });
});
after(async () => {
  await t.stop();
});

async function create(token: string, definition: Record<string, unknown>): Promise<string> {
  const result = await t.as(token, 'POST', '/v1/query', definition);
  assert.equal(result.status, 200, result.text);
  return (JSON.parse(result.text) as { ID: string }).ID;
}

describe('prepared queries with ACLs', () => {
  it('lists only the queries query:read allows, tokens hidden, and says it filtered', async () => {
    const reader = await t.tokenWith('query_prefix "team-" { policy = "read" }');
    const list = await t.as(reader, 'GET', '/v1/query');
    assert.equal(list.status, 200);
    assert.equal(list.headers['x-consul-results-filtered-by-acls'], 'true');
    const queries = JSON.parse(list.text) as { ID: string; Name: string; Token: string }[];
    assert.deepEqual(queries.map((q) => q.Name).sort(), ['team-a', 'team-b']);
    assert.equal(queries.find((q) => q.Name === 'team-b')?.Token, '<hidden>');
    assert.equal(queries.find((q) => q.Name === 'team-a')?.Token, '');

    const narrow = await t.tokenWith('query "team-a" { policy = "read" }');
    const only = JSON.parse((await t.as(narrow, 'GET', '/v1/query')).text) as { Name: string }[];
    assert.deepEqual(
      only.map((q) => q.Name),
      ['team-a'],
    );

    const all = JSON.parse((await t.as(MANAGEMENT, 'GET', '/v1/query')).text) as {
      Name: string;
      Token: string;
    }[];
    assert.equal(all.length, 3);
    assert.equal(all.find((q) => q.Name === 'team-b')?.Token, MANAGEMENT);
  });

  it('answers 403 for a named query the token may not read; unnamed ones by ID', async () => {
    const narrow = await t.tokenWith('query "team-a" { policy = "read" }');
    assert.equal((await t.as(narrow, 'GET', `/v1/query/${teamA}`)).status, 200);
    const denied = await t.as(narrow, 'GET', `/v1/query/${teamB}`);
    assert.equal(denied.status, 403);
    assert.match(denied.text, /^Permission denied/);
    assert.equal((await t.as(narrow, 'GET', '/v1/query/team-b/explain')).status, 403);
    assert.equal((await t.as(narrow, 'GET', '/v1/query/team-a/explain')).status, 200);
    // Whoever has the ID of an unnamed query may read it (no rule covers it).
    assert.equal((await t.as(narrow, 'GET', `/v1/query/${unnamed}`)).status, 200);
  });

  it('needs query:write on the name to create, update or delete', async () => {
    const reader = await t.tokenWith('query_prefix "team-" { policy = "read" }');
    const refused = await t.as(reader, 'POST', '/v1/query', {
      Name: 'team-c',
      Service: { Service: 'web' },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /^Permission denied.*query:write/);
    const writer = await t.tokenWith('query_prefix "team-a" { policy = "write" }');
    const id = await create(writer, { Name: 'team-a-2', Service: { Service: 'web' } });
    // Renaming into a name the token may not write is refused, and so is changing team-b.
    const rename = await t.as(writer, 'PUT', `/v1/query/${id}`, {
      Name: 'team-b-2',
      Service: { Service: 'web' },
    });
    assert.equal(rename.status, 403);
    const steal = await t.as(writer, 'PUT', `/v1/query/${teamB}`, {
      Name: 'team-a-3',
      Service: { Service: 'web' },
    });
    assert.equal(steal.status, 403);
    assert.equal((await t.as(reader, 'DELETE', `/v1/query/${id}`)).status, 403);
    assert.equal((await t.as(writer, 'DELETE', `/v1/query/${id}`)).status, 200);
  });

  it('filters executed nodes with the caller token, or the query token when it has one', async () => {
    const queryOnly = await t.tokenWith('query_prefix "" { policy = "read" }');
    const executed = await t.as(queryOnly, 'GET', '/v1/query/team-a/execute');
    assert.equal(executed.headers['x-consul-results-filtered-by-acls'], 'true');
    const a = JSON.parse(executed.text) as { Nodes: unknown[]; ResultsFilteredByACLs: boolean };
    assert.deepEqual(a.Nodes, [], 'no service:read, no node:read: nothing');
    assert.equal(a.ResultsFilteredByACLs, true);
    const b = JSON.parse((await t.as(queryOnly, 'GET', '/v1/query/team-b/execute')).text) as {
      Nodes: { Node: { Node: string } }[];
    };
    assert.deepEqual(
      b.Nodes.map((n) => n.Node.Node),
      ['n1'],
      'team-b runs with its stored management token',
    );
    const seer = await t.tokenWith(
      'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }',
    );
    const seen = JSON.parse((await t.as(seer, 'GET', '/v1/query/team-a/execute')).text) as {
      Nodes: unknown[];
    };
    assert.equal(seen.Nodes.length, 1);
  });
});
