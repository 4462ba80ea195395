// Randomised catalog + KV command sequences: a replica snapshotted and restored midway ends
// identical to one that never was, and no catalog read's index ever goes backwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { emptyCheckDefinition, type CatalogSyncOp } from './catalog-register';
import type { CheckRegistration, Registration, ServiceRegistration } from './catalog-types';
import { decodeCommand, encodeCommand } from './codec';
import type { Command } from './commands';
import { applyCommand } from './fsm';
import { StateStore } from './store';

const NODES = ['n1', 'N1', 'n2', 'n3'];
const SERVICES = ['web', 'db', 'Web'];
const IDS = ['', 'a', 'b'];

const serviceArb: fc.Arbitrary<ServiceRegistration> = fc.record({
  id: fc.constantFrom(...IDS),
  service: fc.constantFrom(...SERVICES, ''),
  tags: fc.array(fc.constantFrom('v1', 'v2', 'prod'), { maxLength: 3 }),
  address: fc.constantFrom('', '10.1.1.1'),
  taggedAddresses: fc.constant({}),
  meta: fc.dictionary(fc.constantFrom('env', 'version'), fc.constantFrom('1', '2'), {
    maxKeys: 2,
  }),
  port: fc.constantFrom(0, 80),
  weights: fc.constant({ passing: 1, warning: 1 }),
  enableTagOverride: fc.boolean(),
  kind: fc.constant(''),
});

const checkArb: fc.Arbitrary<CheckRegistration> = fc.record({
  node: fc.constant(''),
  checkID: fc.constantFrom('', 'c1', 'c2'),
  name: fc.constantFrom('serfHealth', 'alive'),
  status: fc.constantFrom('', 'passing', 'warning', 'critical'),
  notes: fc.constant(''),
  output: fc.constantFrom('', 'ok'),
  serviceID: fc.constantFrom('', ...IDS, ...SERVICES),
  type: fc.constant(''),
  interval: fc.constant(''),
  timeout: fc.constant(''),
  exposedPort: fc.constant(0),
  definition: fc.constant(emptyCheckDefinition()),
});

const registrationArb = (node: fc.Arbitrary<string>): fc.Arbitrary<Registration> =>
  fc.record({
    id: fc.constant(''),
    node,
    address: fc.constantFrom('10.0.0.1', '10.0.0.2', ''),
    datacenter: fc.constant('dc1'),
    taggedAddresses: fc.constant({}),
    nodeMeta: fc.dictionary(fc.constantFrom('rack'), fc.constantFrom('r1', 'r2'), { maxKeys: 1 }),
    skipNodeUpdate: fc.boolean(),
    service: fc.option(serviceArb, { nil: null }),
    checks: fc.array(checkArb, { maxLength: 2 }),
  });

const syncOpArb = (node: string): fc.Arbitrary<CatalogSyncOp> =>
  fc.oneof(
    registrationArb(fc.constant(node)).map((registration) => ({
      op: 'register' as const,
      registration,
    })),
    fc.record({
      op: fc.constant('deregister' as const),
      serviceID: fc.constantFrom(...IDS, ...SERVICES),
      checkID: fc.constantFrom('', 'c1', 'serfHealth'),
    }),
  );

const stepArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: registrationArb(fc.constantFrom(...NODES, '')).map((registration) => ({
      type: 'catalog-register' as const,
      registration,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        node: fc.constantFrom(...NODES),
        serviceID: fc.constantFrom('', ...IDS, ...SERVICES),
        checkID: fc.constantFrom('', 'c1', 'serfHealth'),
      })
      .map((deregistration) => ({ type: 'catalog-deregister' as const, deregistration })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...NODES)
      .chain((node) =>
        fc
          .array(syncOpArb(node), { maxLength: 4 })
          .map((ops) => ({ type: 'catalog-sync' as const, node, ops })),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('kv-set' as const),
      key: fc.constantFrom('a', 'b/c'),
      value: fc.constant(new Uint8Array([1])),
      flags: fc.constant(0n),
    }),
  },
);

// Through the codec, as a Raft entry would arrive.
function apply(store: StateStore, cmd: Command): unknown {
  return applyCommand(store, store.lastIndex() + 1, decodeCommand(encodeCommand(cmd)));
}

/** Every catalog read with its index, over every name the generator uses. */
function readAll(store: StateStore): Record<string, { value: unknown; index: number }> {
  const reads: Record<string, { value: unknown; index: number }> = {
    nodes: store.catalogNodes(),
    services: store.catalogServices(),
    any: store.healthChecksInState('any'),
    critical: store.healthChecksInState('critical'),
  };
  for (const node of NODES) {
    reads[`node ${node}`] = store.catalogNode(node);
    reads[`node checks ${node}`] = store.healthNodeChecks(node);
    reads[`node services ${node}`] = store.nodeServices(node);
  }
  for (const service of SERVICES) {
    reads[`service ${service}`] = store.catalogServiceNodes(service);
    reads[`health ${service}`] = store.healthServiceNodes(service);
    reads[`checks ${service}`] = store.healthServiceChecks(service);
  }
  return reads;
}

describe('catalog properties', () => {
  it('ends identical whether or not a replica was snapshotted and restored midway', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.nat(), (steps, cut) => {
        const steady = new StateStore();
        let replica = new StateStore();
        const restoreAt = steps.length === 0 ? 0 : cut % steps.length;
        steps.forEach((step, i) => {
          if (i === restoreAt) {
            const restored = new StateStore();
            restored.restore(replica.snapshot(), replica.lastIndex());
            replica = restored;
          }
          assert.deepEqual(apply(replica, step), apply(steady, step));
        });
        assert.deepEqual(replica.snapshot(), steady.snapshot());
        assert.deepEqual(readAll(replica), readAll(steady));
      }),
      { numRuns: 300 },
    );
  });

  it('never reports a lower index for the same read, and changes no result without raising it', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const store = new StateStore();
        // Raft's first entry is the leader's no-op: a reported index of 1 means "nothing yet".
        store.advanceIndex(1);
        let before = readAll(store);
        for (const step of steps) {
          apply(store, step);
          const after = readAll(store);
          for (const [read, result] of Object.entries(after)) {
            const previous = before[read];
            assert.ok(result.index >= previous.index, `${read} index went backwards`);
            if (result.index === previous.index) {
              assert.deepEqual(result.value, previous.value, `${read} changed at the same index`);
            }
          }
          before = after;
        }
      }),
      { numRuns: 300 },
    );
  });
});
