import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RouteTable } from './routes';

function table(): RouteTable {
  const routes = new RouteTable();
  routes.add('DELETE', '/v1/kv/*');
  routes.add('GET', '/v1/kv/*');
  routes.add('PUT', '/v1/kv/*');
  routes.add('GET', '/v1/agent/service/*');
  routes.add('PUT', '/v1/agent/service/register');
  routes.add('PUT', '/v1/agent/service/deregister/*');
  routes.add('PUT', '/v1/agent/check/pass/:id');
  routes.add('GET', '/v1/status/leader');
  return routes;
}

describe('RouteTable.allowFor', () => {
  it('lists OPTIONS first, then the methods in Consul order', () => {
    assert.equal(table().allowFor('/v1/kv/a/b'), 'OPTIONS,GET,PUT,DELETE');
    assert.equal(table().allowFor('/v1/kv/'), 'OPTIONS,GET,PUT,DELETE');
    assert.equal(table().allowFor('/v1/status/leader'), 'OPTIONS,GET');
  });

  it('matches one non-empty segment for a parameter', () => {
    assert.equal(table().allowFor('/v1/agent/check/pass/web'), 'OPTIONS,PUT');
    assert.equal(table().allowFor('/v1/agent/check/pass/'), null);
    assert.equal(table().allowFor('/v1/agent/check/pass/a/b'), null);
  });

  it('answers for the endpoint with the longest matching pattern only', () => {
    assert.equal(table().allowFor('/v1/agent/service/deregister/web'), 'OPTIONS,PUT');
    assert.equal(table().allowFor('/v1/agent/service/register'), 'OPTIONS,PUT');
    assert.equal(table().allowFor('/v1/agent/service/web'), 'OPTIONS,GET');
    assert.equal(table().allowFor('/v1/agent/service/register/more'), 'OPTIONS,GET');
  });

  it('knows nothing of other paths', () => {
    assert.equal(table().allowFor('/v1/kv'), null);
    assert.equal(table().allowFor('/v1/status/leaderx'), null);
  });
});

describe('RouteTable.misrouted', () => {
  it('finds a request that a wildcard took from a more specific endpoint', () => {
    const routes = table();
    const at = '/v1/agent/service/*';
    assert.equal(routes.misrouted('GET', at, '/v1/agent/service/deregister/web'), 'OPTIONS,PUT');
    assert.equal(routes.misrouted('GET', at, '/v1/agent/service/register'), 'OPTIONS,PUT');
  });

  it('leaves requests that belong to the route they matched', () => {
    const routes = table();
    assert.equal(routes.misrouted('GET', '/v1/agent/service/*', '/v1/agent/service/web'), null);
    assert.equal(routes.misrouted('GET', '/v1/kv/*', '/v1/kv/deregister/x'), null);
    assert.equal(
      routes.misrouted('PUT', '/v1/agent/service/deregister/*', '/v1/agent/service/deregister/x'),
      null,
    );
  });
});

describe('RouteTable.entries', () => {
  it('lists each endpoint once with its methods in Consul order', () => {
    const kv = table()
      .entries()
      .find((entry) => entry.url === '/v1/kv/*');
    assert.deepEqual(kv, { url: '/v1/kv/*', methods: ['GET', 'PUT', 'DELETE'] });
  });
});
