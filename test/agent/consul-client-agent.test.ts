// The npm `consul` client (v2), unchanged, against the agent's service and check endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { eventually, startTestAgent, type TestAgent } from '../http/harness';

let t: TestAgent;
let consul: Consul;
before(async () => {
  t = await startTestAgent();
  consul = new Consul({ host: t.host, port: t.port });
});
after(() => t.stop());

describe('npm consul client: agent services and checks', () => {
  it('registers, lists and deregisters a service with a TTL check', async () => {
    await consul.agent.service.register({
      name: 'client-web',
      id: 'client-web-1',
      tags: ['a'],
      port: 8080,
      check: { name: 'heartbeat check', ttl: '30s', timeout: '1s', notes: 'heartbeat' },
    });
    const services = (await consul.agent.service.list()) as Record<
      string,
      { Service: string; Tags: string[] }
    >;
    assert.equal(services['client-web-1'].Service, 'client-web');
    assert.deepEqual(services['client-web-1'].Tags, ['a']);
    const checks = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; Notes: string }
    >;
    assert.equal(checks['service:client-web-1'].Status, 'critical');
    assert.equal(checks['service:client-web-1'].Notes, 'heartbeat');

    await consul.agent.check.pass({ id: 'service:client-web-1', note: 'fine' });
    const passing = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; Output: string }
    >;
    assert.equal(passing['service:client-web-1'].Status, 'passing');
    assert.equal(passing['service:client-web-1'].Output, 'fine');
    await eventually(
      () =>
        t.agent.store
          .healthServiceNodes('client-web')
          .value[0]?.checks.some(
            (c) => c.checkID === 'service:client-web-1' && c.status === 'passing',
          ) === true,
      'passing in the catalog',
    );

    await consul.agent.service.deregister('client-web-1');
    assert.deepEqual(Object.keys((await consul.agent.service.list()) as object), []);
    await eventually(
      () => t.agent.store.catalogServiceNodes('client-web').value.length === 0,
      'gone from the catalog',
    );
  });

  it('registers a node check, fails it, and deregisters it', async () => {
    await consul.agent.check.register({
      name: 'disk',
      checkid: 'disk-check',
      timeout: '1s',
      ttl: '1m',
    });
    let checks = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; ServiceID: string }
    >;
    assert.equal(checks['disk-check'].Status, 'critical');
    assert.equal(checks['disk-check'].ServiceID, '');
    await consul.agent.check.pass('disk-check');
    checks = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; ServiceID: string }
    >;
    assert.equal(checks['disk-check'].Status, 'passing');
    await consul.agent.check.fail({ id: 'disk-check', note: 'full' });
    checks = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; ServiceID: string }
    >;
    assert.equal(checks['disk-check'].Status, 'critical');
    await consul.agent.check.deregister('disk-check');
    assert.equal(
      ((await consul.agent.check.list()) as Record<string, unknown>)['disk-check'],
      undefined,
    );
    await assert.rejects(consul.agent.check.pass('disk-check'), /does not have associated TTL/);
  });
});
