import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RouteTable } from './routes';

describe('RouteTable.allowFor', () => {
  const table = new RouteTable();
  table.add('DELETE', '/v1/kv/*');
  table.add('GET', '/v1/kv/*');
  table.add('PUT', '/v1/kv/*');
  table.add('PUT', '/v1/agent/service/deregister/:id');
  table.add('GET', '/v1/status/leader');

  it('lists OPTIONS first, then the methods in Consul order', () => {
    assert.equal(table.allowFor('/v1/kv/a/b'), 'OPTIONS,GET,PUT,DELETE');
    assert.equal(table.allowFor('/v1/kv/'), 'OPTIONS,GET,PUT,DELETE');
    assert.equal(table.allowFor('/v1/status/leader'), 'OPTIONS,GET');
  });

  it('matches one non-empty segment for a parameter', () => {
    assert.equal(table.allowFor('/v1/agent/service/deregister/web'), 'OPTIONS,PUT');
    assert.equal(table.allowFor('/v1/agent/service/deregister/'), null);
    assert.equal(table.allowFor('/v1/agent/service/deregister/a/b'), null);
  });

  it('knows nothing of other paths', () => {
    assert.equal(table.allowFor('/v1/kv'), null);
    assert.equal(table.allowFor('/v1/status/leaderx'), null);
  });
});
