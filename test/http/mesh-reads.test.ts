// The read endpoints of features this agent does not have (service mesh, gateways, cluster
// peering) answer as a Consul without them does: empty results with the usual query headers,
// blocking like any catalog read, and the same parameter checks (consul-api.md §4.3, §6.2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await waitForSelfRegistration(t);
});
after(async () => {
  await t.stop();
});

function assertQueryHeaders(result: HttpResult, path: string): number {
  assert.equal(result.status, 200, `${path}: ${result.text}`);
  assert.equal(result.headers['content-type'], 'application/json', path);
  assert.equal(result.headers['x-consul-knownleader'], 'true', path);
  assert.equal(result.headers['x-consul-lastcontact'], '0', path);
  assert.equal(result.headers['x-consul-effective-consistency'], 'leader', path);
  const index = Number(result.headers['x-consul-index']);
  assert.ok(Number.isInteger(index) && index >= 1, `${path}: X-Consul-Index ${index}`);
  return index;
}

async function register(service: string, node = 'mesh-node'): Promise<void> {
  const result = await t.request('PUT', '/v1/catalog/register', {
    body: JSON.stringify({ Node: node, Address: '10.9.0.1', Service: { Service: service } }),
  });
  assert.equal(result.status, 200, result.text);
}

describe('mesh and gateway reads', () => {
  it('answers the connect and ingress listings with [] and the query headers', async () => {
    for (const path of [
      '/v1/catalog/connect/consul',
      '/v1/health/connect/consul',
      '/v1/health/ingress/consul',
      '/v1/catalog/connect/no-such-service?merge-central-config',
      '/v1/health/connect/consul?passing&merge-central-config',
    ]) {
      const result = await t.request('GET', path);
      assertQueryHeaders(result, path);
      assert.equal(result.text.trim(), '[]', path);
    }
  });

  it('answers gateway-services of a gateway without a config entry with null at index 1', async () => {
    const result = await t.request('GET', '/v1/catalog/gateway-services/ingress-gw');
    assert.equal(assertQueryHeaders(result, 'gateway-services'), 1);
    assert.equal(result.text.trim(), 'null');
  });

  it('wakes a blocking connect query when its service changes', async () => {
    await register('blocky');
    const first = await t.request('GET', '/v1/catalog/connect/blocky');
    const index = assertQueryHeaders(first, 'connect');
    const blocked = t.request('GET', `/v1/catalog/connect/blocky?index=${index}&wait=30s`);
    const started = Date.now();
    await register('blocky', 'mesh-node-2');
    const woken = await blocked;
    assert.ok(assertQueryHeaders(woken, 'connect') > index);
    assert.ok(Date.now() - started < 20_000, 'woken by the write, not by the wait');
    assert.equal(woken.text.trim(), '[]');
  });

  it('holds a blocking ingress query for its whole wait', async () => {
    const started = Date.now();
    const result = await t.request('GET', '/v1/health/ingress/consul?index=1&wait=400ms');
    assert.ok(Date.now() - started >= 390, `returned after ${Date.now() - started}ms`);
    assert.equal(assertQueryHeaders(result, 'ingress'), 1);
  });

  it('lists the tagged service itself for ingress with ?tag, as Consul picks the tag lookup first', async () => {
    await t.request('PUT', '/v1/catalog/register', {
      body: JSON.stringify({
        Node: 'mesh-node',
        Address: '10.9.0.1',
        Service: { Service: 'tagged', Tags: ['blue'] },
      }),
    });
    const result = await t.request('GET', '/v1/health/ingress/tagged?tag=blue');
    assertQueryHeaders(result, 'ingress?tag');
    const entries = JSON.parse(result.text) as { Service: { Service: string } }[];
    assert.deepEqual(
      entries.map((entry) => entry.Service.Service),
      ['tagged'],
    );
  });

  it('checks the parameters as the service listings do', async () => {
    for (const [path, status, text] of [
      ['/v1/catalog/connect/', 400, 'Missing service name'],
      ['/v1/health/connect/', 400, 'Missing service name'],
      ['/v1/health/ingress/', 400, 'Missing service name'],
      ['/v1/catalog/gateway-services/', 400, 'Missing gateway name'],
      ['/v1/health/connect/consul?passing=maybe', 400, 'Invalid value for ?passing'],
      ['/v1/catalog/connect/consul?index=x', 400, 'Invalid index'],
      ['/v1/catalog/connect/consul?dc=elsewhere', 500, 'No path to datacenter'],
    ] as const) {
      const result = await t.request('GET', path);
      assert.equal(result.status, status, path);
      assert.equal(result.text, text, path);
    }
    const filter = await t.request('GET', '/v1/catalog/connect/consul?filter=Bad%20%3D%3D');
    assert.equal(filter.status, 500);
    assert.match(filter.text, /^Failed to create boolean expression evaluator/);
  });
});

describe('?peer', () => {
  it('answers a health service read for an unknown peer with [] at index 1', async () => {
    for (const path of [
      '/v1/health/service/consul?peer=other-cluster',
      '/v1/health/connect/consul?peer=other-cluster',
    ]) {
      const result = await t.request('GET', path);
      assert.equal(assertQueryHeaders(result, path), 1);
      assert.equal(result.text.trim(), '[]', path);
    }
  });

  it('leaves the catalog reads, which Consul does not scope by peer, answering local data', async () => {
    const result = await t.request('GET', '/v1/catalog/service/consul?peer=other-cluster');
    assertQueryHeaders(result, 'catalog/service?peer');
    assert.equal((JSON.parse(result.text) as unknown[]).length, 1);
  });
});
