import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyCheckDefinition,
  type CatalogNode,
  type HealthCheck,
  type NodeService,
} from '../state';
import { planSync, type DesiredCatalog } from './anti-entropy';
import { checkRegistration, serviceRegistration } from './catalog-shapes';

const node = {
  id: '',
  node: 'n1',
  address: '10.0.0.1',
  datacenter: 'dc1',
  taggedAddresses: {},
  meta: {},
};
const web = serviceRegistration({
  kind: '',
  id: 'web',
  service: 'web',
  tags: ['v1'],
  meta: {},
  port: 80,
  address: '',
  socketPath: '',
  taggedAddresses: {},
  weights: { passing: 1, warning: 1 },
  enableTagOverride: false,
});
const ttl = checkRegistration(
  'n1',
  { id: 'service:web', name: 'c', serviceId: 'web', ttl: 10_000 },
  'ttl',
  'passing',
  'ok',
);

function desired(overrides: Partial<DesiredCatalog> = {}): DesiredCatalog {
  return { node, services: [web], checks: [ttl], ...overrides };
}

const catalogNode: CatalogNode = { ...node, createIndex: 1, modifyIndex: 1 };
const row = (service: typeof web): NodeService => ({
  ...service,
  node: 'n1',
  createIndex: 1,
  modifyIndex: 1,
});
const checkRow = (check: typeof ttl): HealthCheck => ({
  ...check,
  serviceName: 'web',
  serviceTags: ['v1'],
  createIndex: 1,
  modifyIndex: 1,
});

test('an empty catalog gets the node, the service and its checks', () => {
  const { ops } = planSync(desired(), { node: null, services: [], checks: [] }, () => true);
  assert.equal(ops.length, 3);
  assert.deepEqual(
    ops.map((op) =>
      op.op === 'register'
        ? [op.registration.service?.id ?? null, op.registration.checks.length]
        : op.op,
    ),
    [
      [null, 0],
      ['web', 0],
      [null, 1],
    ],
  );
});

test('a catalog equal to the local state needs no ops', () => {
  const plan = planSync(
    desired(),
    { node: catalogNode, services: [row(web)], checks: [checkRow(ttl)] },
    () => true,
  );
  assert.deepEqual(plan.ops, []);
});

test('unknown services and checks on the node are deleted, except serfHealth and consul', () => {
  const serf = checkRow({ ...ttl, checkID: 'serfHealth', serviceID: '' });
  const stray = checkRow({ ...ttl, checkID: 'stray', serviceID: '' });
  const { ops } = planSync(
    desired(),
    {
      node: catalogNode,
      services: [row(web), row({ ...web, id: 'other' }), row({ ...web, id: 'consul' })],
      checks: [checkRow(ttl), serf, stray],
    },
    () => true,
  );
  assert.deepEqual(ops, [
    { op: 'deregister', serviceID: 'other', checkID: '' },
    { op: 'deregister', serviceID: '', checkID: 'stray' },
  ]);
});

test('an output-only difference waits until it is due; a status change does not', () => {
  const catalog = {
    node: catalogNode,
    services: [row(web)],
    checks: [checkRow({ ...ttl, output: 'old' })],
  };
  assert.deepEqual(planSync(desired(), catalog, () => false).ops, []);
  assert.equal(planSync(desired(), catalog, () => true).ops.length, 1);
  const critical = {
    ...catalog,
    checks: [checkRow({ ...ttl, status: 'critical', output: 'old' })],
  };
  assert.equal(planSync(desired(), critical, () => false).ops.length, 1);
});

test('EnableTagOverride adopts the catalog tags instead of overwriting them', () => {
  const overridable = { ...web, enableTagOverride: true };
  const plan = planSync(
    desired({ services: [overridable] }),
    {
      node: catalogNode,
      services: [row({ ...overridable, tags: ['edited'] })],
      checks: [checkRow(ttl)],
    },
    () => true,
  );
  assert.deepEqual(plan.ops, []);
  assert.deepEqual(plan.adoptedTags.get('web'), ['edited']);
});

test('a changed port is registered again', () => {
  const { ops } = planSync(
    desired(),
    { node: catalogNode, services: [row({ ...web, port: 1 })], checks: [checkRow(ttl)] },
    () => true,
  );
  assert.equal(ops.length, 1);
  assert.equal(ops[0].op === 'register' && ops[0].registration.service?.port, 80);
  assert.deepEqual(emptyCheckDefinition().interval, '');
});
