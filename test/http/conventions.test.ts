// Consul's global HTTP conventions (consul-api.md §0) and the small endpoints: routing, 405 and
// OPTIONS, headers on every response, ?pretty, gzip, status, agent/self, catalog/datacenters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  // Not -dev's pretty JSON, so that compact and ?pretty output can be told apart.
  t = await startTestAgent([], (config) => ({ ...config, prettyJson: false }));
});
after(async () => {
  await t.stop();
});

describe('routing', () => {
  it('redirects GET / to the web UI, which -dev turns on as in Consul', async () => {
    const result = await t.request('GET', '/');
    assert.equal(result.status, 301);
    assert.equal(result.headers.location, '/ui/');
  });

  it('answers unknown /v1/ paths with Consul 404 text and other paths with an empty 404', async () => {
    const api = await t.request('GET', '/v1/no/such/endpoint');
    assert.equal(api.status, 404);
    assert.equal(api.text, 'Invalid URL path: not a recognized HTTP API endpoint');
    assert.equal(api.headers['content-type'], 'text/plain; charset=utf-8');
    const other = await t.request('GET', '/elsewhere');
    assert.equal(other.status, 404);
    assert.equal(other.text, '');
  });

  it('answers a wrong method with 405, Consul text and Allow listing OPTIONS first', async () => {
    const post = await t.request('POST', '/v1/kv/x', { body: 'v' });
    assert.equal(post.status, 405);
    assert.equal(post.text, 'method POST not allowed');
    assert.equal(post.headers.allow, 'OPTIONS,GET,PUT,DELETE');
    const head = await t.request('HEAD', '/v1/status/leader');
    assert.equal(head.status, 405);
    assert.equal(head.headers.allow, 'OPTIONS,GET');
    const put = await t.request('PUT', '/v1/agent/self', { body: '' });
    assert.equal(put.status, 405);
    assert.equal(put.text, 'method PUT not allowed');
  });

  it('answers OPTIONS with 200, an empty body and Allow', async () => {
    for (const [path, allow] of [
      ['/v1/kv/any/key', 'OPTIONS,GET,PUT,DELETE'],
      ['/v1/txn', 'OPTIONS,PUT'],
      ['/v1/catalog/datacenters', 'OPTIONS,GET'],
    ]) {
      const result = await t.request('OPTIONS', path);
      assert.equal(result.status, 200, path);
      assert.equal(result.text, '');
      assert.equal(result.headers.allow, allow, path);
    }
  });
});

describe('headers and encodings', () => {
  it('sends X-Consul-Default-ACL-Policy: allow on every response', async () => {
    const responses = await Promise.all([
      t.request('GET', '/v1/status/leader'),
      t.request('GET', '/v1/kv/missing'),
      t.request('POST', '/v1/kv/x'),
      t.request('GET', '/v1/kv/'),
      t.request('GET', '/v1/unknown'),
      t.request('OPTIONS', '/v1/txn'),
      t.request('GET', '/v1/kv/x?dc=nowhere'),
    ]);
    for (const result of responses) {
      assert.equal(result.headers['x-consul-default-acl-policy'], 'allow', String(result.status));
    }
  });

  it('writes compact JSON by default and 4-space indented JSON with a newline for ?pretty', async () => {
    const compact = await t.request('GET', '/v1/catalog/datacenters');
    assert.equal(compact.text, '["dc1"]');
    const pretty = await t.request('GET', '/v1/catalog/datacenters?pretty');
    assert.equal(pretty.text, '[\n    "dc1"\n]\n');
    await t.request('PUT', '/v1/kv/pretty/k', { body: 'v' });
    const entry = await t.request('GET', '/v1/kv/pretty/k?pretty');
    assert.match(entry.text, /^\[\n {4}\{\n {8}"LockIndex": 0,\n {8}"Key": "pretty\/k",/);
    assert.ok(entry.text.endsWith('}\n]\n'));
  });

  it('gzips non-empty bodies when the client accepts gzip, and only then', async () => {
    await t.request('PUT', '/v1/kv/gz/k', { body: 'compress me' });
    const gz = await t.request('GET', '/v1/kv/gz/k?raw', {
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.raw[0], 0x1f);
    assert.equal(gz.text, 'compress me');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    const plain = await t.request('GET', '/v1/kv/gz/k?raw');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.text, 'compress me');
    const refused = await t.request('GET', '/v1/kv/gz/k?raw', {
      headers: { 'accept-encoding': 'gzip;q=0, identity' },
    });
    assert.equal(refused.headers['content-encoding'], undefined);
    const empty = await t.request('GET', '/v1/kv/gz/none', {
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(empty.status, 404);
    assert.equal(empty.headers['content-encoding'], undefined);
    const error = await t.request('GET', '/v1/kv/', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(error.headers['content-encoding'], 'gzip');
    assert.equal(error.text, 'Missing key name');
  });

  it('adds http_config.response_headers to every response', async () => {
    const config = t.agent.config;
    t.agent.reload({
      ...config,
      httpConfig: { ...config.httpConfig, responseHeaders: { 'Access-Control-Allow-Origin': '*' } },
    });
    try {
      const result = await t.request('GET', '/v1/unknown');
      assert.equal(result.headers['access-control-allow-origin'], '*');
    } finally {
      t.agent.reload(config);
    }
  });
});

describe('small endpoints', () => {
  it('/v1/status/leader is the leader RPC address as a JSON string; peers lists the voters', async () => {
    const status = t.agent.raft.status();
    const leader = await t.request('GET', '/v1/status/leader');
    assert.equal(leader.status, 200);
    assert.equal(leader.headers['content-type'], 'application/json');
    const address = JSON.parse(leader.text) as string;
    assert.match(address, /^\d+\.\d+\.\d+\.\d+:\d+$/);
    assert.equal(address, status.membership.servers[0].address);
    const peers = await t.request('GET', '/v1/status/peers');
    assert.deepEqual(JSON.parse(peers.text), [address]);
  });

  it('/v1/agent/self carries Config, Member, Stats (strings), Meta and xDS', async () => {
    const result = await t.request('GET', '/v1/agent/self');
    assert.equal(result.status, 200);
    const self = JSON.parse(result.text) as {
      Config: Record<string, unknown>;
      DebugConfig: Record<string, unknown>;
      Member: { Name: string; Tags: Record<string, string>; Status: number };
      Stats: Record<string, Record<string, unknown>>;
      Meta: Record<string, string>;
      xDS: unknown;
      Coord: { Vec: number[] };
    };
    const config = t.agent.config;
    assert.equal(self.Config.Datacenter, config.datacenter);
    assert.equal(self.Config.NodeName, config.nodeName);
    assert.equal(self.Config.NodeID, config.nodeId);
    assert.equal(self.Config.Server, true);
    assert.equal(typeof self.Config.Version, 'string');
    assert.equal(self.Member.Name, config.nodeName);
    assert.equal(self.Member.Tags.role, 'consul');
    assert.equal(self.Member.Status, 1);
    assert.equal(self.Stats.raft.state, 'Leader');
    assert.equal(self.Stats.consul.leader, 'true');
    for (const section of Object.values(self.Stats)) {
      for (const value of Object.values(section)) assert.equal(typeof value, 'string');
    }
    assert.equal(self.Coord.Vec.length, 8);
    assert.ok('xDS' in self);
    assert.equal(self.DebugConfig.Datacenter, config.datacenter);
    assert.equal(self.Meta['consul-network-segment'], '');
  });

  it('/v1/catalog/datacenters lists this agent datacenter', async () => {
    const result = await t.request('GET', '/v1/catalog/datacenters');
    assert.deepEqual(JSON.parse(result.text), ['dc1']);
  });
});

describe('a fresh agent', () => {
  it('answers ?keys on the empty root with [] and binds every client address', async () => {
    const fresh = await startTestAgent([], (config) => ({
      ...config,
      clientAddr: ['127.0.0.1', '127.0.0.2'],
    }));
    try {
      const addresses = fresh.agent.httpAddresses;
      assert.equal(addresses.length, 2);
      assert.equal(addresses[0].split(':')[1], addresses[1].split(':')[1]);
      for (const address of addresses) {
        const result = await fetch(`http://${address}/v1/kv/?keys`);
        assert.equal(result.status, 200);
        assert.deepEqual(await result.json(), []);
        assert.ok(Number(result.headers.get('x-consul-index')) >= 1);
      }
      assert.equal((await fresh.request('GET', '/v1/kv/?recurse')).status, 404);
    } finally {
      await fresh.stop();
    }
  });
});
