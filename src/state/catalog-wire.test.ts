import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeCommand, encodeCommand } from './codec';
import type { Registration } from './catalog-types';
import type { Command } from './commands';
import { applyCommand } from './fsm';
import { StateStore } from './store';
import { packr } from './wire';

const FULL_REGISTRATION: Registration = {
  id: '40e4a748-2192-161a-0510-9bf59fe950b5',
  node: 'n1',
  address: '10.0.0.1',
  datacenter: 'dc1',
  taggedAddresses: { lan: '10.0.0.1', wan: '1.2.3.4' },
  nodeMeta: { rack: 'r1' },
  skipNodeUpdate: true,
  service: {
    id: 'web-1',
    service: 'web',
    tags: ['v1', 'prod'],
    address: '10.0.0.2',
    taggedAddresses: { lan: { address: '10.0.0.2', port: 80 } },
    meta: { version: '1.2' },
    port: 80,
    weights: { passing: 3, warning: 1 },
    enableTagOverride: true,
    kind: '',
  },
  checks: [
    {
      node: 'n1',
      checkID: 'web-http',
      name: 'HTTP',
      status: 'passing',
      notes: 'n',
      output: 'o',
      serviceID: 'web-1',
      type: 'http',
      interval: '10s',
      timeout: '1s',
      exposedPort: 21500,
      definition: {
        http: 'http://10.0.0.2/health',
        header: { 'X-A': ['1', '2'] },
        method: 'GET',
        body: '',
        tlsServerName: 'web',
        tlsSkipVerify: true,
        tcp: '',
        udp: '',
        grpc: '',
        grpcUseTLS: false,
        interval: '10s',
        timeout: '1s',
        deregisterCriticalServiceAfter: '90m',
      },
    },
  ],
};

const FULL_REGISTER: Command = { type: 'catalog-register', registration: FULL_REGISTRATION };

const roundTrip = (cmd: Command): Command => decodeCommand(encodeCommand(cmd));

describe('catalog command codec', () => {
  it('round-trips every catalog command', () => {
    const commands: Command[] = [
      FULL_REGISTER,
      { type: 'catalog-deregister', deregistration: { node: 'n1', serviceID: 'web', checkID: '' } },
      {
        type: 'catalog-sync',
        node: 'n1',
        ops: [
          { op: 'deregister', serviceID: '', checkID: 'c' },
          { op: 'register', registration: FULL_REGISTRATION },
        ],
      },
    ];
    for (const cmd of commands) assert.deepEqual(roundTrip(cmd), cmd);
  });

  it("fills absent fields with Go's zero values and default weights", () => {
    const decoded = decodeCommand(
      packr.pack({
        type: 'catalog-register',
        registration: { node: 'n1', service: { service: 'web' }, checks: [{ name: 'c' }] },
      }),
    );
    assert.ok(decoded.type === 'catalog-register');
    assert.equal(decoded.registration.address, '');
    assert.deepEqual(decoded.registration.nodeMeta, {});
    assert.deepEqual(decoded.registration.service?.weights, { passing: 1, warning: 1 });
    assert.deepEqual(decoded.registration.service?.tags, []);
    assert.equal(decoded.registration.checks[0].definition.tlsSkipVerify, false);
  });

  it('refuses malformed catalog commands with the offending field named', () => {
    const cases: [unknown, RegExp][] = [
      [
        { type: 'catalog-register', registration: { node: 5 } },
        /catalog-register\.registration\.node must be a string, got 5/,
      ],
      [
        { type: 'catalog-register', registration: { service: { tags: ['a', 1] } } },
        /registration\.service\.tags\[1\] must be a string/,
      ],
      [
        { type: 'catalog-register', registration: { service: { port: 1.5 } } },
        /registration\.service\.port must be an integer/,
      ],
      [
        { type: 'catalog-register', registration: { nodeMeta: { a: true } } },
        /registration\.nodeMeta\.a must be a string/,
      ],
      [
        {
          type: 'catalog-register',
          registration: { checks: [{ definition: { header: { h: 'x' } } }] },
        },
        /checks\[0\]\.definition\.header\.h must be an array/,
      ],
      [{ type: 'catalog-deregister' }, /catalog-deregister\.deregistration must be a map/],
      [
        { type: 'catalog-sync', node: 'n', ops: [{ op: 'explode' }] },
        /unknown catalog-sync op "explode"/,
      ],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => decodeCommand(packr.pack(raw)), message);
    }
  });
});

describe('catalog snapshot', () => {
  function populated(): StateStore {
    const store = new StateStore();
    applyCommand(store, 1, FULL_REGISTER);
    applyCommand(store, 2, { type: 'kv-set', key: 'k', value: new Uint8Array([1]), flags: 0n });
    applyCommand(store, 3, {
      type: 'catalog-register',
      registration: {
        ...FULL_REGISTRATION,
        id: '',
        node: 'n2',
        address: '10.0.0.3',
        skipNodeUpdate: false,
        service: null,
        checks: [],
      },
    });
    applyCommand(store, 4, {
      type: 'catalog-deregister',
      deregistration: { node: 'n2', serviceID: '', checkID: '' },
    });
    return store;
  }

  it('restores nodes, services, checks and every per-service and per-node index', () => {
    const store = populated();
    const copy = new StateStore();
    copy.restore(store.snapshot());
    assert.deepEqual(copy.catalogNodes(), store.catalogNodes());
    assert.deepEqual(copy.healthServiceNodes('web'), store.healthServiceNodes('web'));
    assert.deepEqual(copy.catalogNode('n1'), store.catalogNode('n1'));
    assert.deepEqual(copy.catalogNode('n2'), { value: null, index: 4 });
    assert.deepEqual(copy.kvGet('k'), store.kvGet('k'));
    assert.equal(copy.healthServiceNodes('web').index, 1);
    assert.deepEqual(copy.snapshot(), store.snapshot());
  });

  it('still reads version 1 snapshots (KV only)', () => {
    const body = packr.pack({
      lastIndex: 7,
      indexes: { kvs: 7, tombstones: 0 },
      kvs: [['k', new Uint8Array([9]), 0n, null, 0, 7, 7]],
      tombstones: [],
    });
    const store = new StateStore();
    store.restore(Uint8Array.from([0x43, 0x53, 0x4e, 0x50, 1, ...body]));
    assert.equal(store.lastIndex(), 7);
    assert.deepEqual(store.kvGet('k').value?.value, new Uint8Array([9]));
    assert.deepEqual(store.catalogNodes(), { value: [], index: 1 });
  });

  it('refuses a catalog section that does not hold together', () => {
    const base = { lastIndex: 1, indexes: [], kvs: [], tombstones: [] };
    const node = { node: 'n1', createIndex: 1, modifyIndex: 1 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { ...base, nodes: [{ node: 7 }], services: [], checks: [] },
        /snapshot\.nodes\[0\]\.node must be a string/,
      ],
      [
        { ...base, nodes: [], services: [{ node: 'ghost', id: 'a', service: 'a' }], checks: [] },
        /snapshot\.services\[0\] is on unknown node "ghost"/,
      ],
      [
        {
          ...base,
          nodes: [node],
          services: [],
          checks: [{ node: 'n1', checkID: 'c', serviceID: 'x' }],
        },
        /snapshot\.checks\[0\] is on an unknown node or service/,
      ],
      [
        { ...base, nodes: [node, { ...node, node: 'N1' }], services: [], checks: [] },
        /holds a key more than once/,
      ],
      [
        { ...base, indexes: [['bogus', 1]], nodes: [], services: [], checks: [] },
        /unknown index "bogus"/,
      ],
    ];
    for (const [body, message] of cases) {
      const data = Uint8Array.from([0x43, 0x53, 0x4e, 0x50, 2, ...packr.pack(body)]);
      assert.throws(() => new StateStore().restore(data), message);
    }
  });
});
