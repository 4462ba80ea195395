// ACLs on every path of a dev agent with `default_policy = "deny"`: each endpoint family answers
// 403 without a token and with a token lacking the permission, and succeeds with the right one;
// lists are filtered to what the token may read; every registered route has a permission entry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pino from 'pino';

import { createHttpServer } from '../../src/http';
import { ROUTE_ACLS } from '../../src/http/acl-routes';
import { denied, MANAGEMENT, startAclAgent, type AclAgent } from './harness';

const ANONYMOUS = '00000000-0000-0000-0000-000000000002';

let t: AclAgent;
let node: string;
let unrelated: string;

before(async () => {
  t = await startAclAgent();
  node = t.agent.config.nodeName;
  unrelated = await t.tokenWith('key "unrelated" { policy = "read" }');
  // Data for the reads below, written with the management token.
  for (const key of ['app/one', 'app/two', 'secret/pw']) {
    assert.equal((await t.as(MANAGEMENT, 'PUT', `/v1/kv/${key}`, 'v')).status, 200);
  }
  for (const [n, service] of [
    ['n1', 'web'],
    ['n2', 'db'],
  ]) {
    const registration = {
      Node: n,
      Address: '10.0.0.1',
      Service: { Service: service, Port: 80 },
      Checks: [{ CheckID: `${service}-check`, Name: 'c', ServiceID: service, Status: 'passing' }],
    };
    const response = await t.as(MANAGEMENT, 'PUT', '/v1/catalog/register', registration);
    assert.equal(response.status, 200, response.text);
  }
});
after(() => t.stop());

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** Rules of a token that may do it. */
  rules: string;
  /** The 403 text for the anonymous token. */
  permission: string;
  on?: string;
}

function cases(): Case[] {
  return [
    {
      name: 'KV read',
      method: 'GET',
      path: '/v1/kv/app/one',
      rules: 'key_prefix "app/" { policy = "read" }',
      permission: 'key:read',
      on: 'app/one',
    },
    {
      name: 'KV write',
      method: 'PUT',
      path: '/v1/kv/app/new',
      body: 'x',
      rules: 'key_prefix "app/" { policy = "write" }',
      permission: 'key:write',
      on: 'app/new',
    },
    {
      name: 'KV delete',
      method: 'DELETE',
      path: '/v1/kv/app/new',
      rules: 'key "app/new" { policy = "write" }',
      permission: 'key:write',
      on: 'app/new',
    },
    {
      name: 'KV recursive delete',
      method: 'DELETE',
      path: '/v1/kv/tmp/?recurse',
      rules: 'key_prefix "tmp/" { policy = "write" }',
      permission: 'key:write',
      on: 'tmp/',
    },
    {
      name: 'txn write',
      method: 'PUT',
      path: '/v1/txn',
      body: [{ KV: { Verb: 'set', Key: 'app/txn', Value: 'eA==' } }],
      rules: 'key_prefix "app/" { policy = "write" }',
      permission: 'key:write',
      on: 'app/txn',
    },
    {
      name: 'catalog register',
      method: 'PUT',
      path: '/v1/catalog/register',
      body: { Node: 'n3', Address: '10.0.0.3', Service: { Service: 'api' } },
      rules: 'node "n3" { policy = "write" }\nservice "api" { policy = "write" }',
      permission: 'node:write',
      on: 'n3',
    },
    {
      name: 'catalog deregister',
      method: 'PUT',
      path: '/v1/catalog/deregister',
      body: { Node: 'n3', ServiceID: 'api' },
      rules: 'service "api" { policy = "write" }',
      permission: 'service:write',
      on: 'api',
    },
    {
      name: 'catalog node',
      method: 'GET',
      path: '/v1/catalog/node/n1',
      rules: 'node "n1" { policy = "read" }',
      permission: 'node:read',
      on: 'n1',
    },
    {
      name: 'agent self',
      method: 'GET',
      path: '/v1/agent/self',
      rules: 'agent_prefix "" { policy = "read" }',
      permission: 'agent:read',
      on: '',
    },
    {
      name: 'agent service register',
      method: 'PUT',
      path: '/v1/agent/service/register',
      body: { Name: 'local-web', Port: 81 },
      rules: 'service "local-web" { policy = "write" }',
      permission: 'service:write',
      on: 'local-web',
    },
    {
      name: 'agent check register (node check)',
      method: 'PUT',
      path: '/v1/agent/check/register',
      body: { Name: 'disk', TTL: '30s' },
      rules: 'node_prefix "" { policy = "write" }',
      permission: 'node:write',
      on: '',
    },
    {
      name: 'agent maintenance',
      method: 'PUT',
      path: '/v1/agent/maintenance?enable=false',
      rules: 'node_prefix "" { policy = "write" }',
      permission: 'node:write',
      on: '',
    },
    {
      name: 'operator raft configuration',
      method: 'GET',
      path: '/v1/operator/raft/configuration',
      rules: 'operator = "read"',
      permission: 'operator:read',
    },
    {
      name: 'session create',
      method: 'PUT',
      path: '/v1/session/create',
      body: {},
      rules: 'session_prefix "" { policy = "write" }',
      permission: 'session:write',
      on: '',
    },
    {
      name: 'snapshot save',
      method: 'GET',
      path: '/v1/snapshot',
      rules: 'acl = "write"',
      permission: 'acl:write',
    },
    {
      name: 'autopilot configuration',
      method: 'GET',
      path: '/v1/operator/autopilot/configuration',
      rules: 'operator = "read"',
      permission: 'operator:read',
    },
    {
      name: 'ACL token list',
      method: 'GET',
      path: '/v1/acl/tokens',
      rules: 'acl = "read"',
      permission: 'acl:read',
    },
    {
      name: 'ACL policy create',
      method: 'PUT',
      path: '/v1/acl/policy',
      body: { Name: 'made-by-acl-writer', Rules: '' },
      rules: 'acl = "write"',
      permission: 'acl:write',
    },
  ];
}

describe('ACL enforcement with default_policy = "deny"', () => {
  for (const c of cases()) {
    it(`${c.name}: 403 without a token, 403 with another token, success with the right one`, async () => {
      const on = c.on === '' ? node : c.on;
      const anonymous = await t.as(null, c.method, c.path, c.body);
      assert.equal(anonymous.status, 403, anonymous.text);
      assert.equal(anonymous.text, denied(ANONYMOUS, c.permission, on));
      const other = await t.as(unrelated, c.method, c.path, c.body);
      assert.equal(other.status, 403, other.text);
      assert.match(other.text, /^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks/);
      const right = await t.as(await t.tokenWith(c.rules), c.method, c.path, c.body);
      assert.equal(right.status, 200, `${right.status} ${right.text}`);
    });
  }

  it('status endpoints and the datacenter list need no token', async () => {
    for (const path of ['/v1/status/leader', '/v1/status/peers', '/v1/catalog/datacenters']) {
      assert.equal((await t.as(null, 'GET', path)).status, 200, path);
    }
  });

  it('says the default policy on every response', async () => {
    const response = await t.as(null, 'GET', '/v1/status/leader');
    assert.equal(response.headers['x-consul-default-acl-policy'], 'deny');
    const refused = await t.as(null, 'GET', '/v1/kv/app/one');
    assert.equal(refused.headers['x-consul-default-acl-policy'], 'deny');
  });

  it('takes the token from ?token and Authorization: Bearer as well', async () => {
    const reader = await t.tokenWith('key_prefix "app/" { policy = "read" }');
    assert.equal((await t.request('GET', `/v1/kv/app/one?token=${reader}`)).status, 200);
    const bearer = await t.request('GET', '/v1/kv/app/one', {
      headers: { authorization: `Bearer ${reader}` },
    });
    assert.equal(bearer.status, 200);
  });

  it('answers an unknown token with 403 ACL not found', async () => {
    const response = await t.as('6f1c7e1a-0000-4000-8000-000000000000', 'GET', '/v1/kv/app/one');
    assert.equal(response.status, 403);
    assert.equal(response.text, 'ACL not found');
  });

  it('refuses a recursive delete over a key the token may not write', async () => {
    const token = await t.tokenWith(
      'key_prefix "app/" { policy = "write" }\nkey "app/one" { policy = "read" }',
    );
    const response = await t.as(token, 'DELETE', '/v1/kv/app/?recurse');
    assert.equal(response.status, 403);
    assert.ok(t.agent.store.kvGet('app/one').value !== null);
  });
});

describe('list filtering', () => {
  it('KV ?recurse and ?keys keep only readable keys and say they filtered', async () => {
    const token = await t.tokenWith('key_prefix "app/" { policy = "read" }');
    const recurse = await t.as(token, 'GET', '/v1/kv/?recurse');
    assert.equal(recurse.status, 200);
    const keys = (JSON.parse(recurse.text) as { Key: string }[]).map((e) => e.Key);
    assert.ok(keys.length > 0 && keys.every((key) => key.startsWith('app/')), keys.join());
    assert.equal(recurse.headers['x-consul-results-filtered-by-acls'], 'true');
    const listed = await t.as(token, 'GET', '/v1/kv/?keys');
    assert.ok((JSON.parse(listed.text) as string[]).every((key) => key.startsWith('app/')));
  });

  it('a recurse the token can read nothing of answers 404', async () => {
    const token = await t.tokenWith('key_prefix "app/" { policy = "read" }');
    const response = await t.as(token, 'GET', '/v1/kv/secret/?recurse');
    assert.equal(response.status, 404);
  });

  it('the anonymous token gets filtered lists without the filtered header', async () => {
    const response = await t.as(null, 'GET', '/v1/catalog/nodes');
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.text), []);
    assert.equal(response.headers['x-consul-results-filtered-by-acls'], undefined);
  });

  it('catalog and health lists show only the nodes and services the token may read', async () => {
    const token = await t.tokenWith(
      'node "n1" { policy = "read" }\nservice "web" { policy = "read" }',
    );
    const nodes = JSON.parse((await t.as(token, 'GET', '/v1/catalog/nodes')).text) as {
      Node: string;
    }[];
    assert.deepEqual(
      nodes.map((n) => n.Node),
      ['n1'],
    );
    const services = await t.as(token, 'GET', '/v1/catalog/services');
    assert.deepEqual(Object.keys(JSON.parse(services.text) as object), ['web']);
    assert.equal(services.headers['x-consul-results-filtered-by-acls'], 'true');
    const health = JSON.parse((await t.as(token, 'GET', '/v1/health/service/web')).text) as {
      Node: { Node: string };
    }[];
    assert.deepEqual(
      health.map((h) => h.Node.Node),
      ['n1'],
    );
    const db = JSON.parse((await t.as(token, 'GET', '/v1/health/service/db')).text) as unknown[];
    assert.deepEqual(db, []);
    const checks = JSON.parse((await t.as(token, 'GET', '/v1/health/state/any')).text) as {
      CheckID: string;
    }[];
    assert.deepEqual(
      checks.map((c) => c.CheckID),
      ['web-check'],
    );
  });

  it('session lists show only sessions on nodes the token may read', async () => {
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/session/create', {});
    assert.equal(created.status, 200, created.text);
    const none = await t.tokenWith('session "elsewhere" { policy = "read" }');
    assert.deepEqual(JSON.parse((await t.as(none, 'GET', '/v1/session/list')).text), []);
    const reader = await t.tokenWith('session_prefix "" { policy = "read" }');
    const all = JSON.parse((await t.as(reader, 'GET', '/v1/session/list')).text) as unknown[];
    assert.ok(all.length >= 1);
  });

  it('a missing node still answers null, not a filtered list', async () => {
    const token = await t.tokenWith('node_prefix "" { policy = "read" }');
    const response = await t.as(token, 'GET', '/v1/catalog/node/no-such-node');
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.text), null);
  });

  it('a changed policy changes what the same token sees at once', async () => {
    const name = 'widening';
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: name,
      Rules: 'node "n1" { policy = "read" }',
    });
    const policy = JSON.parse(created.text) as { ID: string };
    const token = JSON.parse(
      (await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { Policies: [{ ID: policy.ID }] })).text,
    ) as { SecretID: string };
    const before = JSON.parse((await t.as(token.SecretID, 'GET', '/v1/catalog/nodes')).text);
    assert.equal((before as unknown[]).length, 1);
    await t.as(MANAGEMENT, 'PUT', `/v1/acl/policy/${policy.ID}`, {
      Name: name,
      Rules: 'node_prefix "" { policy = "read" }',
    });
    const after = JSON.parse((await t.as(token.SecretID, 'GET', '/v1/catalog/nodes')).text);
    assert.ok((after as unknown[]).length >= 2);
  });
});

describe('route table', () => {
  it('gives every registered route a permission entry', async () => {
    const server = await createHttpServer(t.agent, { logger: pino({ level: 'silent' }) });
    const routes = server.routes();
    await server.close();
    const missing: string[] = [];
    for (const route of routes) {
      if (route.url === '/') continue;
      for (const method of route.methods) {
        if (ROUTE_ACLS[`${method} ${route.url}`] === undefined) {
          missing.push(`${method} ${route.url}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('a route without an entry needs a management token', async () => {
    const { routeAcl } = await import('../../src/http/acl-routes');
    const rule = routeAcl('GET', '/v1/not-listed');
    assert.ok(rule.check !== undefined);
  });
});
