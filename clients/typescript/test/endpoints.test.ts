// Agent, catalog and health endpoints. Each test first asks the agent whether it routes the
// endpoint (OPTIONS → 404 "Invalid URL path" when not) and skips with that reason otherwise, so
// the tests run as soon as the endpoints land.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ConsulError, type Consul } from '../src';
import { eventually, startAgentWithClient, type AgentProcess } from './agent-process';

let agent: AgentProcess;
let consul: Consul;
let nodeName: string;

before(async () => {
  ({ agent, consul } = await startAgentWithClient());
  nodeName = (await consul.agent.self()).Config.NodeName;
});
after(() => agent.destroy());

describe('agent', () => {
  test('members lists this agent as alive', async () => {
    const members = await consul.agent.members();
    const self = members.find((m) => m.Name === nodeName);
    assert.ok(self, `members: ${JSON.stringify(members)}`);
    assert.equal(self.Status, 1);
    assert.equal(self.Tags.role, 'consul');
  });

  test('a registered service is listed, readable by ID, and gone after deregister', async () => {
    await consul.agent.serviceRegister({
      Name: 'web',
      ID: 'web-1',
      Port: 8080,
      Tags: ['v1'],
      Meta: { team: 'a' },
    });
    const services = await consul.agent.services();
    assert.equal(services['web-1']?.Service, 'web');
    assert.equal(services['web-1']?.Port, 8080);
    assert.deepEqual(services['web-1']?.Tags, ['v1']);
    const { data } = await consul.agent.service('web-1');
    assert.equal(data?.ID, 'web-1');
    assert.deepEqual(data?.Meta, { team: 'a' });
    await consul.agent.serviceDeregister('web-1');
    assert.equal((await consul.agent.services())['web-1'], undefined);
    assert.equal((await consul.agent.service('web-1')).data, undefined);
  });

  test('a TTL check moves through pass, warn, fail and update', async () => {
    await consul.agent.checkRegister({ ID: 'ttl-1', Name: 'ttl one', TTL: '30s' });
    const status = async (): Promise<string | undefined> =>
      (await consul.agent.checks())['ttl-1']?.Status;
    assert.equal(await status(), 'critical');
    await consul.agent.checkPass('ttl-1', 'ok');
    assert.equal(await status(), 'passing');
    assert.equal((await consul.agent.checks())['ttl-1']?.Output, 'ok');
    await consul.agent.checkWarn('ttl-1');
    assert.equal(await status(), 'warning');
    await consul.agent.checkFail('ttl-1');
    assert.equal(await status(), 'critical');
    await consul.agent.checkUpdate('ttl-1', 'passing', 'updated');
    const check = (await consul.agent.checks())['ttl-1'];
    assert.equal(check?.Status, 'passing');
    assert.equal(check?.Output, 'updated');
    await consul.agent.checkDeregister('ttl-1');
    assert.equal(await status(), undefined);
  });

  test('a TTL update for an unknown check is a ConsulError', async () => {
    const error = await consul.agent.checkPass('nope').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsulError);
    assert.ok(error.status === 500 || error.status === 404, `status ${error.status}`);
  });

  test('node maintenance adds and removes the _node_maintenance check', async () => {
    await consul.agent.maintenance(true, 'upgrade');
    const check = (await consul.agent.checks())._node_maintenance;
    assert.equal(check?.Status, 'critical');
    assert.equal(check?.Notes, 'upgrade');
    await consul.agent.maintenance(false);
    assert.equal((await consul.agent.checks())._node_maintenance, undefined);
  });

  test('service maintenance adds the _service_maintenance check', async () => {
    await consul.agent.serviceRegister({ Name: 'maint', ID: 'maint-1' });
    await consul.agent.serviceMaintenance('maint-1', true);
    assert.equal(
      (await consul.agent.checks())['_service_maintenance:maint-1']?.ServiceID,
      'maint-1',
    );
    await consul.agent.serviceMaintenance('maint-1', false);
    assert.equal((await consul.agent.checks())['_service_maintenance:maint-1'], undefined);
    await consul.agent.serviceDeregister('maint-1');
  });

  test('reload answers with an empty 200', async () => {
    await consul.agent.reload();
  });
});

describe('catalog', () => {
  test('an external node and service are registered, listed and deregistered', async () => {
    assert.equal(
      await consul.catalog.register({
        Node: 'ext-node',
        Address: '10.1.2.3',
        NodeMeta: { rack: 'r1' },
        Service: { Service: 'ext', ID: 'ext-1', Port: 9000, Tags: ['blue', 'v2'] },
      }),
      true,
    );
    const nodes = (await consul.catalog.nodes()).data;
    assert.equal(nodes.find((n) => n.Node === 'ext-node')?.Address, '10.1.2.3');
    const services = (await consul.catalog.services()).data;
    assert.deepEqual([...(services.ext ?? [])].sort(), ['blue', 'v2']);
    const instances = (await consul.catalog.service('ext', { tag: ['blue', 'v2'] })).data;
    assert.equal(instances.length, 1);
    assert.equal(instances[0].ServiceID, 'ext-1');
    assert.equal(instances[0].ServicePort, 9000);
    assert.equal(instances[0].Address, '10.1.2.3');
    assert.deepEqual((await consul.catalog.service('ext', { tag: 'red' })).data, []);
    const node = (await consul.catalog.node('ext-node')).data;
    assert.equal(node?.Node.Meta?.rack, 'r1');
    assert.equal(node?.Services['ext-1']?.Service, 'ext');
    assert.equal((await consul.catalog.node('no-such-node')).data, null);
    assert.equal(await consul.catalog.deregister({ Node: 'ext-node' }), true);
    assert.deepEqual((await consul.catalog.service('ext')).data, []);
  });

  test('a catalog read blocks until the catalog changes', async () => {
    const { meta } = await consul.catalog.services();
    const pending = consul.catalog.services({ index: meta.index, wait: '10s' });
    setTimeout(
      () =>
        void consul.catalog.register({
          Node: 'blk-node',
          Address: '10.9.9.9',
          Service: { Service: 'blk' },
        }),
      100,
    );
    const { data, meta: next } = await pending;
    assert.ok(next.index > meta.index);
    assert.deepEqual(data.blk, []);
    await consul.catalog.deregister({ Node: 'blk-node' });
  });
});

describe('health', () => {
  test('service, checks, node and state reflect catalog checks; passing filters', async () => {
    for (const [node, status] of [
      ['hs-a', 'passing'],
      ['hs-b', 'critical'],
    ] as const) {
      await consul.catalog.register({
        Node: node,
        Address: '10.0.0.1',
        Service: { Service: 'hs', ID: 'hs-1', Tags: [node] },
        Check: { CheckID: 'hs-check', Name: 'hs check', Status: status, ServiceID: 'hs-1' },
      });
    }
    const all = (await consul.health.service('hs')).data;
    assert.deepEqual(all.map((e) => e.Node.Node).sort(), ['hs-a', 'hs-b']);
    const passing = (await consul.health.service('hs', { passing: true })).data;
    assert.deepEqual(
      passing.map((e) => e.Node.Node),
      ['hs-a'],
    );
    const tagged = (await consul.health.service('hs', { tag: 'hs-b' })).data;
    assert.deepEqual(
      tagged.map((e) => e.Service.ID),
      ['hs-1'],
    );
    assert.equal(tagged[0].Checks.find((c) => c.CheckID === 'hs-check')?.Status, 'critical');
    const checks = (await consul.health.checks('hs')).data;
    assert.deepEqual(checks.map((c) => c.Status).sort(), ['critical', 'passing']);
    const nodeChecks = (await consul.health.node('hs-a')).data;
    assert.ok(nodeChecks.some((c) => c.CheckID === 'hs-check' && c.Status === 'passing'));
    const critical = (await consul.health.state('critical')).data;
    assert.ok(critical.some((c) => c.Node === 'hs-b' && c.CheckID === 'hs-check'));
    const any = (await consul.health.state('any')).data;
    assert.ok(any.some((c) => c.Node === 'hs-a'));
    await consul.catalog.deregister({ Node: 'hs-a' });
    await consul.catalog.deregister({ Node: 'hs-b' });
    await eventually(
      async () => (await consul.health.service('hs')).data.length === 0,
      'health/service hs to empty',
    );
  });
});
