import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { emptyCheckDefinition } from './catalog-register';
import type {
  CatalogResult,
  CheckDefinition,
  CheckRegistration,
  Registration,
  ServiceRegistration,
} from './catalog-types';
import type { Command } from './commands';
import { applyCommand } from './fsm';
import { StateStore } from './store';
import type { WatchSetBuilder } from './watch';

const NO_DEFINITION: CheckDefinition = emptyCheckDefinition();

function service(name: string, extra: Partial<ServiceRegistration> = {}): ServiceRegistration {
  return {
    id: '',
    service: name,
    tags: [],
    address: '',
    taggedAddresses: {},
    meta: {},
    port: 0,
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    kind: '',
    ...extra,
  };
}

function check(name: string, extra: Partial<CheckRegistration> = {}): CheckRegistration {
  return {
    node: '',
    checkID: '',
    name,
    status: '',
    notes: '',
    output: '',
    serviceID: '',
    type: '',
    interval: '',
    timeout: '',
    exposedPort: 0,
    definition: NO_DEFINITION,
    ...extra,
  };
}

function registration(node: string, extra: Partial<Registration> = {}): Registration {
  return {
    id: '',
    node,
    address: '10.0.0.1',
    datacenter: 'dc1',
    taggedAddresses: {},
    nodeMeta: {},
    skipNodeUpdate: false,
    service: null,
    checks: [],
    ...extra,
  };
}

function apply(store: StateStore, cmd: Command): unknown {
  return applyCommand(store, store.lastIndex() + 1, cmd);
}

function register(store: StateStore, reg: Registration): CatalogResult {
  return apply(store, { type: 'catalog-register', registration: reg }) as CatalogResult;
}

function deregister(store: StateStore, node: string, serviceID = '', checkID = ''): CatalogResult {
  return apply(store, {
    type: 'catalog-deregister',
    deregistration: { node, serviceID, checkID },
  }) as CatalogResult;
}

/** Starts waiting on `ws`; `changed` turns true once it wakes. */
function track(ws: WatchSetBuilder): { changed: boolean | null } {
  const state: { changed: boolean | null } = { changed: null };
  void ws.wait(5000).then((changed) => (state.changed = changed));
  return state;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('catalog registration', () => {
  it('registers a node, a service and its checks in one write, with Consul defaults', () => {
    const store = new StateStore();
    const result = register(
      store,
      registration('n1', {
        service: service('web', { tags: ['v1'], port: 80 }),
        checks: [
          check('web-alive', {
            serviceID: 'web',
            definition: { ...NO_DEFINITION, http: 'http://x', interval: '10s' },
          }),
          check('disk', { status: 'passing' }),
        ],
      }),
    );
    assert.deepEqual(result, { ok: true });
    const node = store.catalogNode('n1').value;
    assert.equal(node?.node.address, '10.0.0.1');
    assert.equal(node?.node.createIndex, 1);
    assert.deepEqual(
      node?.services.map((s) => [s.id, s.service, s.port, s.createIndex]),
      [['web', 'web', 80, 1]],
    );
    const checks = store.healthNodeChecks('n1').value;
    assert.deepEqual(
      checks.map((c) => [c.checkID, c.status, c.serviceName, c.serviceTags, c.type]),
      [
        ['disk', 'passing', '', [], ''],
        ['web-alive', 'critical', 'web', ['v1'], 'http'],
      ],
    );
  });

  it('refuses requests the way Consul does, changing nothing', () => {
    const store = new StateStore();
    const cases: [Registration, string][] = [
      [registration(''), 'Must provide node'],
      [registration('n1', { address: '' }), 'Must provide address if SkipNodeUpdate is not set'],
      [registration('n1', { service: service('') }), 'Must provide service name'],
      [
        registration('n1', { service: service('', { id: 'x' }) }),
        'Must provide service name (Service.Service) when service ID is provided',
      ],
      [
        registration('n1', { service: service('web', { address: '0.0.0.0' }) }),
        'Invalid service address',
      ],
      [registration('n1', { id: 'abc' }), 'Bad node ID: uuid string is wrong length'],
      [registration('a\0b'), 'Invalid name "a\\u0000b": contains NUL'],
      [
        registration('n1', { checks: [check('c', { serviceID: 'nope' })] }),
        "Unknown service ID 'nope' for check ID 'c'",
      ],
      [
        registration('n1', { checks: [check('c', { node: 'n2' })] }),
        "Node 'n2' for check 'c' doesn't match register request node 'n1'",
      ],
    ];
    for (const [reg, error] of cases) {
      assert.deepEqual(register(store, reg), { ok: false, error });
    }
    assert.equal(store.lastIndex(), cases.length);
    assert.deepEqual(store.catalogNodes(), { value: [], index: 1 });
  });

  it('with SkipNodeUpdate keeps an existing node as it is but still creates a missing one', () => {
    const store = new StateStore();
    register(store, registration('n1', { skipNodeUpdate: true, address: '' }));
    assert.equal(store.catalogNode('n1').value?.node.address, '');
    register(store, registration('n1', { address: '10.0.0.9' }));
    register(
      store,
      registration('n1', { skipNodeUpdate: true, address: '', service: service('db') }),
    );
    const node = store.catalogNode('n1').value;
    assert.equal(node?.node.address, '10.0.0.9');
    assert.equal(node?.node.modifyIndex, 2);
    assert.equal(node?.services.length, 1);
  });

  it('stamps nothing and wakes nobody when a write changes nothing', async () => {
    const store = new StateStore();
    const reg = registration('n1', { service: service('web'), checks: [check('c')] });
    register(store, reg);
    const ws = store.newWatchSet();
    store.healthServiceNodes('web', ws);
    const waiter = track(ws);
    register(store, reg);
    await tick();
    assert.equal(waiter.changed, null);
    assert.equal(store.healthServiceNodes('web').index, 1);
    assert.equal(store.catalogNodes().index, 1);
    store.abandon();
  });

  it('deregisters a node with its services and checks, a service with its checks, a check', () => {
    const store = new StateStore();
    register(
      store,
      registration('n1', {
        service: service('web'),
        checks: [check('svc', { serviceID: 'web' }), check('node-a'), check('node-b')],
      }),
    );
    register(store, registration('n1', { service: service('db') }));
    assert.deepEqual(deregister(store, 'n1', '', 'node-a'), { ok: true });
    assert.deepEqual(deregister(store, 'n1', 'web'), { ok: true });
    assert.deepEqual(
      store.healthNodeChecks('n1').value.map((c) => c.checkID),
      ['node-b'],
    );
    assert.deepEqual(store.catalogServiceNodes('web').value, []);
    assert.deepEqual(deregister(store, 'n1'), { ok: true });
    assert.equal(store.catalogNode('n1').value, null);
    assert.deepEqual(store.catalogServices().value, new Map());
    assert.deepEqual(store.healthChecksInState('any').value, []);
    // Missing things are fine and change nothing.
    const indexes = (): number[] => [
      store.catalogNodes().index,
      store.catalogServices().index,
      store.healthChecksInState('any').index,
    ];
    assert.deepEqual(indexes(), [5, 5, 5]);
    assert.deepEqual(deregister(store, 'n1'), { ok: true });
    assert.deepEqual(deregister(store, 'n1', 'web'), { ok: true });
    assert.deepEqual(deregister(store, 'n1', '', 'node-b'), { ok: true });
    assert.deepEqual(deregister(store, ''), { ok: false, error: 'Must provide node' });
    assert.deepEqual(indexes(), [5, 5, 5]);
    assert.equal(store.lastIndex(), 9);
  });

  it('keeps the name and tags of a service check in step with the service', () => {
    const store = new StateStore();
    register(
      store,
      registration('n1', {
        service: service('web', { id: 'w1', tags: ['a'] }),
        checks: [check('c', { serviceID: 'w1' })],
      }),
    );
    register(store, registration('n1', { service: service('web', { id: 'w1', tags: ['b'] }) }));
    const [updated] = store.healthServiceChecks('web').value;
    assert.deepEqual(updated.serviceTags, ['b']);
    assert.equal(updated.modifyIndex, 2);
    assert.equal(updated.createIndex, 1);
  });

  it('treats node names, service IDs and names and check IDs case-insensitively', () => {
    const store = new StateStore();
    register(store, registration('Node1', { service: service('Web', { id: 'W1' }) }));
    register(store, registration('node1', { checks: [check('c', { serviceID: 'w1' })] }));
    assert.equal(store.catalogServiceNodes('web').value.length, 1);
    assert.equal(store.healthServiceChecks('WEB').value.length, 1);
    assert.equal(store.catalogNodes().value.length, 1);
    assert.equal(store.catalogNode('NODE1').value?.node.node, 'node1');
  });

  it('applies a catalog-sync all or nothing', () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('old'), checks: [check('c')] }));
    const failed = apply(store, {
      type: 'catalog-sync',
      node: 'n1',
      ops: [
        { op: 'deregister', serviceID: 'old', checkID: '' },
        { op: 'register', registration: registration('n1', { service: service('new') }) },
        {
          op: 'register',
          registration: registration('n1', { checks: [check('x', { serviceID: 'nope' })] }),
        },
      ],
    });
    assert.deepEqual(failed, {
      ok: false,
      error: "op 2: Unknown service ID 'nope' for check ID 'x'",
    });
    assert.deepEqual([...store.catalogServices().value.keys()], ['old']);
    const synced = apply(store, {
      type: 'catalog-sync',
      node: 'n1',
      ops: [
        { op: 'deregister', serviceID: 'old', checkID: '' },
        { op: 'deregister', serviceID: '', checkID: 'c' },
        { op: 'register', registration: registration('n1', { service: service('new') }) },
      ],
    });
    assert.deepEqual(synced, { ok: true });
    assert.deepEqual([...store.catalogServices().value.keys()], ['new']);
    assert.deepEqual(store.healthNodeChecks('n1').value, []);
    const foreign = apply(store, {
      type: 'catalog-sync',
      node: 'n1',
      ops: [{ op: 'register', registration: registration('n2') }],
    });
    assert.deepEqual(foreign, {
      ok: false,
      error: "op 0: registration for node 'n2' in a sync of node 'n1'",
    });
  });
});

describe('catalog reads', () => {
  it('lists services with the sorted union of their tags', () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web', { tags: ['v2', 'prod'] }) }));
    register(store, registration('n2', { service: service('web', { tags: ['v1', 'prod'] }) }));
    register(store, registration('n2', { service: service('db') }));
    assert.deepEqual(store.catalogServices(), {
      value: new Map([
        ['db', []],
        ['web', ['prod', 'v1', 'v2']],
      ]),
      index: 3,
    });
  });

  it('lists instances sorted by node then service ID, with node-level checks first', () => {
    const store = new StateStore();
    for (const node of ['b', 'a']) {
      register(store, registration(node, { service: service('web', { id: 'w2' }) }));
      register(store, registration(node, { service: service('web', { id: 'w1' }) }));
    }
    register(
      store,
      registration('a', {
        checks: [
          check('z-node'),
          check('a-svc', { serviceID: 'w1' }),
          check('b-svc', { serviceID: 'w2' }),
        ],
      }),
    );
    const rows = store.catalogServiceNodes('web').value;
    assert.deepEqual(
      rows.map((r) => `${r.node.node}/${r.service.id}`),
      ['a/w1', 'a/w2', 'b/w1', 'b/w2'],
    );
    const health = store.healthServiceNodes('web').value;
    assert.deepEqual(
      health.map((h) => h.checks.map((c) => c.checkID)),
      [['z-node', 'a-svc'], ['z-node', 'b-svc'], [], []],
    );
    assert.deepEqual(
      store.healthServiceChecks('web').value.map((c) => c.checkID),
      ['a-svc', 'b-svc'],
    );
    assert.deepEqual(
      store.healthChecksInState('critical').value.map((c) => c.checkID),
      ['a-svc', 'b-svc', 'z-node'],
    );
    assert.deepEqual(store.healthChecksInState('passing').value, []);
  });

  it('reports a service index that covers its instances, checks and node health', () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web') })); // 1
    register(store, registration('n2', { service: service('db') })); // 2
    assert.equal(store.catalogServiceNodes('web').index, 1);
    register(store, registration('n1', { checks: [check('serf', { status: 'passing' })] })); // 3
    assert.equal(store.healthServiceNodes('web').index, 3);
    assert.equal(store.healthServiceNodes('db').index, 2);
    register(store, registration('n1', { address: '10.9.9.9' })); // 4
    assert.equal(store.healthServiceNodes('web').index, 4);
    assert.equal(store.catalogNode('n1').index, 4);
    assert.equal(store.catalogNode('n2').index, 2);
    deregister(store, 'n1', '', 'serf'); // 5
    assert.equal(store.healthServiceNodes('web').index, 5);
    assert.equal(store.healthNodeChecks('n1').index, 5);
    assert.equal(store.healthServiceNodes('db').index, 2);
  });

  it('never lets a service or node index go backwards when it disappears', () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web') })); // 1
    register(store, registration('n2', { service: service('db') })); // 2
    deregister(store, 'n1', 'web'); // 3
    assert.equal(store.catalogServiceNodes('web').index, 3);
    assert.equal(store.healthServiceNodes('web').index, 3);
    deregister(store, 'n1'); // 4
    assert.equal(store.catalogNode('n1').index, 4);
    assert.equal(store.healthNodeChecks('n1').index, 4);
    assert.equal(store.catalogNodes().index, 4);
    assert.equal(store.catalogServices().index, 3);
  });

  it('reports index 1, never 0, on an empty catalog', () => {
    const store = new StateStore();
    assert.deepEqual(store.catalogNodes(), { value: [], index: 1 });
    assert.deepEqual(store.catalogServiceNodes('web'), { value: [], index: 1 });
    assert.deepEqual(store.catalogNode('x'), { value: null, index: 1 });
  });
});

describe('catalog watches', () => {
  function watching(store: StateStore, read: (ws: WatchSetBuilder) => void) {
    const ws = store.newWatchSet();
    read(ws);
    return track(ws);
  }

  it('a write to service web wakes web watchers and not db watchers', async () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web') }));
    register(store, registration('n2', { service: service('db') }));
    const web = watching(store, (ws) => store.catalogServiceNodes('web', ws));
    const webHealth = watching(store, (ws) => store.healthServiceNodes('web', ws));
    const db = watching(store, (ws) => store.catalogServiceNodes('db', ws));
    const dbHealth = watching(store, (ws) => store.healthServiceNodes('db', ws));
    const node2 = watching(store, (ws) => store.catalogNode('n2', ws));
    register(store, registration('n1', { service: service('web', { port: 8080 }) }));
    await tick();
    assert.equal(web.changed, true);
    assert.equal(webHealth.changed, true);
    assert.equal(db.changed, null);
    assert.equal(dbHealth.changed, null);
    assert.equal(node2.changed, null);
    store.abandon();
  });

  it('a node check change wakes watchers of the services on that node only', async () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web') }));
    register(store, registration('n1', { service: service('api') }));
    register(store, registration('n2', { service: service('db') }));
    const web = watching(store, (ws) => store.healthServiceNodes('web', ws));
    const api = watching(store, (ws) => store.healthServiceChecks('api', ws));
    const db = watching(store, (ws) => store.healthServiceNodes('db', ws));
    const nodes = watching(store, (ws) => store.catalogNodes(ws));
    const node1Checks = watching(store, (ws) => store.healthNodeChecks('n1', ws));
    register(store, registration('n1', { checks: [check('serfHealth')] }));
    await tick();
    assert.equal(web.changed, true);
    assert.equal(api.changed, true);
    assert.equal(node1Checks.changed, true);
    assert.equal(db.changed, null);
    assert.equal(nodes.changed, null);
    store.abandon();
  });

  it('a deregistered service wakes its watchers and the service list', async () => {
    const store = new StateStore();
    register(store, registration('n1', { service: service('web') }));
    const web = watching(store, (ws) => store.catalogServiceNodes('web', ws));
    const list = watching(store, (ws) => store.catalogServices(ws));
    const states = watching(store, (ws) => store.healthChecksInState('any', ws));
    deregister(store, 'n1', 'web');
    await tick();
    assert.equal(web.changed, true);
    assert.equal(list.changed, true);
    assert.equal(states.changed, null);
    store.abandon();
  });
});
