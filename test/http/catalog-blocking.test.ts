// Blocking catalog and health reads over real HTTP: a write wakes the waiters on what it
// changed (one service, one node) and no one else; node-level health reaches every service on
// that node; the wait expires with the index unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { eventually, sleep, startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await waitForSelfRegistration(t);
  await register('app-1', {
    Service: { Service: 'web', Port: 80 },
    Check: check('web-alive', 'passing', 'web'),
  });
  await register('db-1', {
    Service: { Service: 'db', Port: 5432 },
    Check: check('db-alive', 'passing', 'db'),
  });
});
after(async () => {
  await t.stop();
});

function check(id: string, status: string, serviceID = ''): Record<string, string> {
  return { CheckID: id, Name: id, Status: status, ServiceID: serviceID };
}

async function register(node: string, rest: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({ Node: node, Address: '10.0.0.1', SkipNodeUpdate: true, ...rest });
  const result = await t.request('PUT', '/v1/catalog/register', { body });
  assert.equal(result.status, 200, result.text);
}

const waiters = (): number => t.agent.store.watchStats().waiters;

async function indexOf(path: string): Promise<number> {
  return Number((await t.request('GET', path)).headers['x-consul-index']);
}

/** Starts a blocking GET and records whether it has completed. */
function track(path: string, signal?: AbortSignal): { done: boolean; result: Promise<HttpResult> } {
  const tracked = {
    done: false,
    result: t.request('GET', path, { signal }).finally(() => {
      tracked.done = true;
    }),
  };
  return tracked;
}

describe('blocking catalog and health reads', () => {
  it('a health/service/web waiter sleeps through a db write and wakes on a web check change', async () => {
    const index = await indexOf('/v1/health/service/web');
    const pending = track(`/v1/health/service/web?index=${index}&wait=30s`);
    await eventually(() => waiters() === 1, 'the web waiter');

    await register('db-1', { Check: check('db-alive', 'critical', 'db') });
    await sleep(250);
    assert.equal(pending.done, false, 'a db write must not wake the web waiter');
    assert.equal(waiters(), 1);

    await register('app-1', { Check: check('web-alive', 'critical', 'web') });
    const woken = await pending.result;
    assert.equal(woken.status, 200);
    const newIndex = Number(woken.headers['x-consul-index']);
    assert.ok(newIndex > index);
    const [entry] = JSON.parse(woken.text) as { Checks: { CheckID: string; Status: string }[] }[];
    assert.deepEqual(
      entry.Checks.map((c) => [c.CheckID, c.Status]),
      [['web-alive', 'critical']],
    );
    assert.equal(waiters(), 0);
    assert.equal(await indexOf('/v1/health/service/web'), newIndex);
  });

  it('a node-level check change wakes the services on that node only', async () => {
    const webIndex = await indexOf('/v1/health/service/web');
    const dbIndex = await indexOf('/v1/health/service/db');
    const web = track(`/v1/health/service/web?index=${webIndex}&wait=30s`);
    const db = track(`/v1/health/service/db?index=${dbIndex}&wait=30s`);
    db.result.catch(() => undefined);
    await eventually(() => waiters() === 2, 'two waiters');

    await register('app-1', { Check: check('serfHealth', 'critical') });
    const woken = await web.result;
    const [entry] = JSON.parse(woken.text) as { Checks: { CheckID: string }[] }[];
    assert.deepEqual(
      entry.Checks.map((c) => c.CheckID),
      ['serfHealth', 'web-alive'],
    );
    await sleep(200);
    assert.equal(db.done, false, 'db runs on another node');
    assert.equal(waiters(), 1);

    // The node check of db's node wakes db.
    await register('db-1', { Check: check('serfHealth', 'passing') });
    const dbWoken = await db.result;
    assert.ok(Number(dbWoken.headers['x-consul-index']) > dbIndex);
  });

  it('catalog/service and health/node waiters wake on their own service and node', async () => {
    const serviceIndex = await indexOf('/v1/catalog/service/web');
    const nodeIndex = await indexOf('/v1/health/node/db-1');
    const service = track(`/v1/catalog/service/web?index=${serviceIndex}&wait=30s`);
    const node = track(`/v1/health/node/db-1?index=${nodeIndex}&wait=30s`);
    await eventually(() => waiters() === 2, 'two waiters');

    await register('db-1', { Service: { Service: 'db', Port: 5433 } });
    const nodeWoken = await node.result;
    assert.ok(Number(nodeWoken.headers['x-consul-index']) > nodeIndex);
    await sleep(200);
    assert.equal(service.done, false);

    await register('app-1', { Service: { Service: 'web', Port: 81 } });
    const serviceWoken = await service.result;
    const [instance] = JSON.parse(serviceWoken.text) as { ServicePort: number }[];
    assert.equal(instance.ServicePort, 81);
    assert.equal(waiters(), 0);
  });

  it('catalog/services and catalog/nodes wake on any service or node change', async () => {
    const servicesIndex = await indexOf('/v1/catalog/services');
    const nodesIndex = await indexOf('/v1/catalog/nodes');
    const services = track(`/v1/catalog/services?index=${servicesIndex}&wait=30s`);
    const nodes = track(`/v1/catalog/nodes?index=${nodesIndex}&wait=30s`);
    await eventually(() => waiters() === 2, 'two waiters');

    await register('cache-1', { Address: '10.0.0.9', SkipNodeUpdate: false });
    await nodes.result;
    await sleep(200);
    assert.equal(services.done, false, 'a new node without services changes no service');

    await register('cache-1', { Service: { Service: 'cache', Tags: ['lru'] } });
    const woken = await services.result;
    assert.deepEqual((JSON.parse(woken.text) as Record<string, string[]>).cache, ['lru']);
  });

  it('returns the unchanged index when the wait expires', async () => {
    const index = await indexOf('/v1/health/service/web');
    const started = Date.now();
    const result = await t.request('GET', `/v1/health/service/web?index=${index}&wait=150ms`);
    assert.ok(Date.now() - started >= 140);
    assert.equal(Number(result.headers['x-consul-index']), index);
    assert.equal(result.headers['x-consul-knownleader'], 'true');
  });

  it('a deregistration wakes the waiters of the service it removes', async () => {
    const index = await indexOf('/v1/health/service/cache');
    const pending = track(`/v1/health/service/cache?index=${index}&wait=30s`);
    await eventually(() => waiters() === 1, 'the cache waiter');
    const body = JSON.stringify({ Node: 'cache-1', ServiceID: 'cache' });
    assert.equal((await t.request('PUT', '/v1/catalog/deregister', { body })).status, 200);
    const woken = await pending.result;
    assert.deepEqual(JSON.parse(woken.text), []);
    // The index does not go backwards once the service is gone.
    assert.ok(Number(woken.headers['x-consul-index']) > index);
  });
});
