// PreparedQueryService on a real state store with an in-process RemoteQueryExecutor standing
// in for other datacenters: failover order (NearestN, then Datacenters, unknown ones skipped,
// no repeats), the Failovers count, the Datacenter the answer came from, failures skipped, and
// no failover while a local instance is healthy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import pino from 'pino';

import { AclResolver } from '../acl';
import { ConnPool, RpcServer } from '../rpc';
import { loadAgentConfig, parseAgentArgs } from '../config';
import {
  applyCommand,
  emptyCheckDefinition,
  emptyPreparedQuery,
  StateStore,
  type CheckServiceNode,
  type Command,
  type PreparedQuery,
} from '../state';
import { failoverDatacenters, type RemoteExecuteOptions } from './prepared-query-execute';
import { PreparedQueryService } from './prepared-queries';
import { PreparedQueryExecuteRemote, serveExecuteRemote } from './prepared-query-rpc';

const config = loadAgentConfig(parseAgentArgs(['-dev', '-datacenter', 'dc1'])).config;

function apply(store: StateStore, cmd: Command): unknown {
  return applyCommand(store, store.lastIndex() + 1, cmd);
}

/** One `web` instance on node `n1` whose check has `status`. */
function setWebStatus(store: StateStore, status: string): void {
  apply(store, {
    type: 'catalog-register',
    registration: {
      id: '',
      node: 'n1',
      address: '10.0.0.1',
      datacenter: 'dc1',
      taggedAddresses: {},
      nodeMeta: {},
      skipNodeUpdate: false,
      service: {
        id: 'web',
        service: 'web',
        tags: [],
        address: '',
        taggedAddresses: {},
        meta: {},
        port: 80,
        weights: { passing: 1, warning: 1 },
        enableTagOverride: false,
        kind: '',
      },
      checks: [
        {
          node: 'n1',
          checkID: 'web-check',
          name: 'c',
          status,
          notes: '',
          output: '',
          serviceID: 'web',
          type: '',
          interval: '',
          timeout: '',
          exposedPort: 0,
          definition: emptyCheckDefinition(),
        },
      ],
    },
  });
}

interface RemoteCall {
  datacenter: string;
  service: string;
  options: RemoteExecuteOptions;
}

/** Other datacenters as a map: name → its healthy nodes, or an Error when unreachable. */
function fakeRemote(nearest: string[], answers: Record<string, string[] | Error>) {
  const calls: RemoteCall[] = [];
  return {
    calls,
    executor: {
      otherDatacentersByDistance: () => Promise.resolve(nearest),
      execute: async (datacenter: string, query: PreparedQuery, options: RemoteExecuteOptions) => {
        calls.push({ datacenter, service: query.service.service, options });
        const answer = answers[datacenter];
        if (answer instanceof Error) throw answer;
        const nodes = (answer ?? []).map(
          (node) =>
            ({
              node: { node, address: '10.9.0.1' },
              service: { service: query.service.service },
              checks: [],
            }) as unknown as CheckServiceNode,
        );
        return { service: query.service.service, nodes, dns: query.dns, datacenter, failovers: 0 };
      },
    },
  };
}

function serviceOn(store: StateStore, datacenter = 'dc1'): PreparedQueryService {
  const dcConfig = { ...config, datacenter };
  return new PreparedQueryService({
    store,
    apply: async (cmd) => apply(store, cmd),
    catchUp: async () => store.lastIndex(),
    config: () => dcConfig,
    acl: new AclResolver(store.acl, () => ({ ...config.acl, datacenter, nodeName: 'a' })),
    logger: pino({ level: 'silent' }),
  });
}

async function setup(failover: { nearestN?: number; datacenters?: string[] }) {
  const store = new StateStore();
  const service = serviceOn(store);
  const query = emptyPreparedQuery();
  query.name = 'web-q';
  query.service.service = 'web';
  query.service.failover = {
    nearestN: failover.nearestN ?? 0,
    datacenters: failover.datacenters ?? [],
    targets: [],
  };
  await service.apply('create', query);
  return { store, service };
}

const request = {
  idOrName: 'web-q',
  near: '',
  sourceIp: '',
  limit: 3,
  connect: false,
  token: null,
};

describe('prepared query failover', () => {
  it('does not fail over while a local instance is healthy', async () => {
    const { store, service } = await setup({ datacenters: ['dc2'] });
    setWebStatus(store, 'passing');
    const remote = fakeRemote(['dc2'], { dc2: ['r1'] });
    service.setRemoteExecutor(remote.executor);
    const answer = await service.execute(request);
    assert.deepEqual(
      answer.nodes.map((n) => n.node.node),
      ['n1'],
    );
    assert.equal(answer.datacenter, 'dc1');
    assert.equal(answer.failovers, 0);
    assert.deepEqual(remote.calls, []);
  });

  it('tries the listed datacenters in order until one has nodes', async () => {
    const { store, service } = await setup({ datacenters: ['dc2', 'dc3', 'dc4'] });
    setWebStatus(store, 'critical');
    const remote = fakeRemote(['dc4', 'dc3', 'dc2'], { dc2: [], dc3: ['r3'], dc4: ['r4'] });
    service.setRemoteExecutor(remote.executor);
    const answer = await service.execute(request);
    assert.deepEqual(
      remote.calls.map((call) => call.datacenter),
      ['dc2', 'dc3'],
    );
    assert.deepEqual(
      answer.nodes.map((n) => n.node.node),
      ['r3'],
    );
    assert.equal(answer.datacenter, 'dc3');
    assert.equal(answer.failovers, 2);
    // The limit and the caller's token travel with the query.
    assert.deepEqual(remote.calls[0].options, { limit: 3, token: null, connect: false });
    assert.equal(remote.calls[0].service, 'web');
  });

  it('goes back to local results once an instance recovers', async () => {
    const { store, service } = await setup({ datacenters: ['dc2'] });
    setWebStatus(store, 'critical');
    const remote = fakeRemote(['dc2'], { dc2: ['r2'] });
    service.setRemoteExecutor(remote.executor);
    assert.equal((await service.execute(request)).datacenter, 'dc2');
    setWebStatus(store, 'passing');
    const answer = await service.execute(request);
    assert.equal(answer.datacenter, 'dc1');
    assert.equal(answer.failovers, 0);
  });

  it('tries NearestN first, then listed ones not already tried; unknown ones are skipped', async () => {
    const { store, service } = await setup({ nearestN: 2, datacenters: ['dc3', 'dc9', 'dc5'] });
    setWebStatus(store, 'critical');
    const remote = fakeRemote(['dc3', 'dc4', 'dc5'], {});
    service.setRemoteExecutor(remote.executor);
    const answer = await service.execute(request);
    assert.deepEqual(
      remote.calls.map((call) => call.datacenter),
      ['dc3', 'dc4', 'dc5'],
    );
    assert.deepEqual(answer.nodes, []);
    assert.equal(answer.failovers, 3);
  });

  it('skips a datacenter that fails and counts it as tried', async () => {
    const { store, service } = await setup({ datacenters: ['dc2', 'dc3'] });
    setWebStatus(store, 'critical');
    const remote = fakeRemote(['dc2', 'dc3'], { dc2: new Error('unreachable'), dc3: ['r3'] });
    service.setRemoteExecutor(remote.executor);
    const answer = await service.execute(request);
    assert.equal(answer.datacenter, 'dc3');
    assert.equal(answer.failovers, 2);
  });

  it('with no other datacenter known, answers locally with no failover', async () => {
    const { store, service } = await setup({ nearestN: 3, datacenters: ['dc2'] });
    setWebStatus(store, 'critical');
    const answer = await service.execute(request);
    assert.deepEqual(answer.nodes, []);
    assert.equal(answer.datacenter, 'dc1');
    assert.equal(answer.failovers, 0);
  });

  it('orders failover datacenters as Consul does', () => {
    const service = (nearestN: number, datacenters: string[]) =>
      ({
        ...emptyPreparedQuery().service,
        failover: { nearestN, datacenters, targets: [] },
      }) as PreparedQuery['service'];
    assert.deepEqual(failoverDatacenters(service(0, ['b', 'a']), ['a', 'b']), ['b', 'a']);
    assert.deepEqual(failoverDatacenters(service(1, ['b', 'a']), ['a', 'b']), ['a', 'b']);
    assert.deepEqual(failoverDatacenters(service(5, []), ['a', 'b']), ['a', 'b']);
    assert.deepEqual(failoverDatacenters(service(0, ['x']), ['a']), []);
  });

  it('fails over to a datacenter that answers PreparedQuery.ExecuteRemote on its server port', async (t) => {
    // dc2: its own store with a healthy web instance, served on a real RPC listener.
    const dc2Store = new StateStore();
    setWebStatus(dc2Store, 'passing');
    const rpc = new RpcServer({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    serveExecuteRemote(rpc, serviceOn(dc2Store, 'dc2'));
    await rpc.listen();
    const pool = new ConnPool({ logger: pino({ level: 'silent' }) });
    t.after(async () => {
      pool.close();
      await rpc.close();
    });
    const { store, service } = await setup({ datacenters: ['dc2'] });
    setWebStatus(store, 'critical');
    service.setRemoteExecutor({
      otherDatacentersByDistance: async () => ['dc2'],
      execute: (_dc, query, options, signal) =>
        pool.call(
          `127.0.0.1:${rpc.port}`,
          PreparedQueryExecuteRemote,
          { query, options },
          { signal },
        ),
    });
    const answer = await service.execute(request);
    assert.equal(answer.datacenter, 'dc2');
    assert.equal(answer.failovers, 1);
    assert.deepEqual(
      answer.nodes.map((n) => [n.node.node, n.service.service, n.checks[0].status]),
      [['n1', 'web', 'passing']],
    );
  });
});
