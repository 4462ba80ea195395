// The npm `consul` client (v2), unchanged, on the calls the other client tests do not make:
// the agent's own endpoints, maintenance, datacenters, status, the connect listing and a watch
// on it (which needs X-Consul-Index), and the errors it turns Consul's answers into.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from '../agent/spawn-agent';

// A real `consulate agent -dev` process: reload needs the agent's own configuration sources.
const NODE = 'npm-node';
let agent: RunningAgent;
let consul: Consul;
before(async () => {
  agent = await startAgent(['-dev', '-node', NODE, ...EPHEMERAL_PORTS]);
  const [host, port] = [agent.address.replace(/:\d+$/, ''), agent.address.replace(/^.*:/, '')];
  consul = new Consul({ host, port: Number(port) });
  // The agent registers its own `consul` service through anti-entropy shortly after start.
  const deadline = Date.now() + 10_000;
  while (((await consul.catalog.service.nodes('consul')) as unknown[]).length === 0) {
    if (Date.now() > deadline) throw new Error('the agent never registered itself');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
after(() => agent.stop());

type Row = Record<string, unknown>;

describe('npm consul client: agent, status and connect', () => {
  it('reads the agent itself and its members', async () => {
    const self = (await consul.agent.self()) as { Config: Row; Member: Row };
    assert.equal(self.Config.NodeName, NODE);
    assert.equal(self.Config.Datacenter, 'dc1');
    const members = (await consul.agent.members()) as Row[];
    assert.deepEqual(
      members.map((m) => [m.Name, m.Status]),
      [[NODE, 1]],
    );
  });

  it('reloads the agent configuration', async () => {
    assert.equal(await consul.agent.reload(), undefined);
  });

  it('puts the node and a service into maintenance and takes them out again', async () => {
    await consul.agent.service.register({ name: 'npm-maint', id: 'npm-maint-1' });
    await consul.agent.maintenance({ enable: true, reason: 'patching' });
    await consul.agent.service.maintenance({ id: 'npm-maint-1', enable: true, reason: 'deploy' });
    let checks = (await consul.agent.check.list()) as unknown as Record<string, Row>;
    assert.equal(checks._node_maintenance.Notes, 'patching');
    assert.equal(checks['_service_maintenance:npm-maint-1'].Notes, 'deploy');
    await consul.agent.maintenance(false);
    await consul.agent.service.maintenance({ id: 'npm-maint-1', enable: false });
    checks = (await consul.agent.check.list()) as unknown as Record<string, Row>;
    assert.deepEqual(
      Object.keys(checks).filter((id) => id.includes('maintenance')),
      [],
    );
  });

  it('reports a warning through a TTL check', async () => {
    await consul.agent.check.register({ name: 'npm-ttl', ttl: '1m', timeout: '1s' });
    await consul.agent.check.warn({ id: 'npm-ttl', note: 'slow disk' });
    const checks = (await consul.agent.check.list()) as unknown as Record<string, Row>;
    assert.deepEqual(
      [checks['npm-ttl'].Status, checks['npm-ttl'].Output],
      ['warning', 'slow disk'],
    );
  });

  it('gets Consul 404 errors for unknown service and check IDs', async () => {
    await assert.rejects(consul.agent.service.deregister('npm-none'), (error: Error & Row) => {
      assert.equal(error.statusCode, 404);
      return true;
    });
    await assert.rejects(consul.agent.check.deregister('npm-none'), (error: Error & Row) => {
      assert.equal(error.statusCode, 404);
      return true;
    });
  });

  it('lists the datacenters, the leader and the raft peers', async () => {
    assert.deepEqual(await consul.catalog.datacenters(), ['dc1']);
    const leader = (await consul.status.leader()) as string;
    assert.match(leader, /^[\d.]+:\d+$/);
    assert.deepEqual(await consul.status.peers(), [leader]);
  });

  it('lists no connect-capable instances of a service, as a Consul without mesh', async () => {
    assert.deepEqual(await consul.catalog.connect.nodes('consul'), []);
    assert.deepEqual(await consul.catalog.connect.nodes({ service: 'no-such' }), []);
  });

  it('watches the connect listing of a service, which sends X-Consul-Index', async () => {
    const watch = consul.watch({
      method: consul.catalog.connect.nodes,
      options: { service: 'consul', wait: '1s' },
    });
    const errors: unknown[] = [];
    watch.on('error', (error: unknown) => errors.push(error));
    try {
      const first = await new Promise<unknown>((resolve) => watch.once('change', resolve));
      assert.deepEqual(first, []);
      // A round of blocking (wait=1s) without an error: the watch keeps going.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      watch.end();
    }
    assert.deepEqual(errors, []);
  });
});

describe('npm consul client: sessions and locks', () => {
  it('creates, reads, lists, renews and destroys a session', async () => {
    const { ID: id } = (await consul.session.create({
      name: 'npm-session',
      ttl: '15s',
      lockdelay: '1s',
      behavior: 'delete',
    })) as { ID: string };
    const info = (await consul.session.info(id)) as unknown as Row;
    assert.equal(info.Name, 'npm-session');
    assert.equal(info.Node, NODE);
    assert.equal(info.TTL, '15s');
    assert.equal(info.LockDelay, 1e9);
    assert.equal(info.Behavior, 'delete');
    const byNode = (await consul.session.node(NODE)) as unknown as Row[];
    assert.ok(byNode.some((s) => s.ID === id));
    const listed = (await consul.session.list()) as unknown as Row[];
    assert.ok(listed.some((s) => s.ID === id));
    const renewed = (await consul.session.renew(id)) as unknown as Row[];
    assert.equal(renewed[0].ID, id);
    await consul.session.destroy(id);
    assert.equal(await consul.session.info(id), undefined);
  });

  it('acquires and releases a KV lock with a session', async () => {
    const { ID: id } = (await consul.session.create({ name: 'npm-lock' })) as { ID: string };
    assert.equal(await consul.kv.set({ key: 'npm/lock', value: 'me', acquire: id }), true);
    const held = (await consul.kv.get('npm/lock')) as unknown as Row;
    assert.equal(held.Session, id);
    assert.equal(held.LockIndex, 1);
    const { ID: rival } = (await consul.session.create({ name: 'npm-rival' })) as { ID: string };
    // The client hands Consul's `false` body back as a falsy result.
    assert.ok(!(await consul.kv.set({ key: 'npm/lock', value: 'them', acquire: rival })));
    assert.equal(((await consul.kv.get('npm/lock')) as unknown as Row).Session, id);
    assert.equal(await consul.kv.set({ key: 'npm/lock', value: '', release: id }), true);
    const free = (await consul.kv.get('npm/lock')) as unknown as Row;
    assert.equal(free.Session, undefined);
    assert.equal(await consul.kv.set({ key: 'npm/lock', value: 'them', acquire: rival }), true);
  });

  it('surfaces a renew of an unknown session as a 404 error', async () => {
    await assert.rejects(consul.session.renew('00000000-0000-0000-0000-000000000000'), (error) => {
      assert.match(String((error as Error).message), /not found/);
      return true;
    });
  });
});
