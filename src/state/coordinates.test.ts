import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EntryType, type LogEntry } from '../raft';
import { decodeCommand, encodeCommand } from './codec';
import type { Command } from './commands';
import { Fsm } from './fsm';
import { StateStore } from './store';

const coord = (x: number) => ({
  Vec: [x, 0, 0, 0, 0, 0, 0, 0.25],
  Error: 0.5,
  Adjustment: -0.0001,
  Height: 1e-5,
});

function entry(index: number, cmd: Command): LogEntry {
  return { index, term: 1, type: EntryType.Command, data: encodeCommand(cmd) };
}

function withNodes(...nodes: string[]): { store: StateStore; fsm: Fsm; next: () => number } {
  const store = new StateStore();
  const fsm = new Fsm(store);
  let index = 0;
  const next = (): number => ++index;
  for (const node of nodes) {
    fsm.apply(
      entry(next(), {
        type: 'catalog-register',
        registration: {
          id: '',
          node,
          address: '10.0.0.1',
          datacenter: 'dc1',
          taggedAddresses: {},
          nodeMeta: {},
          skipNodeUpdate: false,
          service: null,
          checks: [],
        },
      }),
    );
  }
  return { store, fsm, next };
}

describe('coordinates table', () => {
  it('stores a batch for catalog nodes only, by node then segment', () => {
    const { store, fsm, next } = withNodes('b', 'a');
    const index = next();
    const stored = fsm.apply(
      entry(index, {
        type: 'coordinate-batch-update',
        updates: [
          { node: 'b', segment: '', coord: coord(2) },
          { node: 'ghost', segment: '', coord: coord(9) },
          { node: 'a', segment: '', coord: coord(1) },
        ],
      }),
    );
    assert.equal(stored, 2);
    const { value, index: read } = store.coordinates(null);
    assert.deepEqual(
      value.map((r) => [r.node, r.coord.Vec[0]]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    assert.equal(read, index);
    assert.deepEqual(store.nodeCoordinates('A').value[0].coord, coord(1));
  });

  it('drops a node’s coordinates when the node is deregistered, waking their readers', async () => {
    const { store, fsm, next } = withNodes('a', 'b');
    fsm.apply(
      entry(next(), {
        type: 'coordinate-batch-update',
        updates: [
          { node: 'a', segment: '', coord: coord(1) },
          { node: 'b', segment: '', coord: coord(2) },
        ],
      }),
    );
    const ws = store.newWatchSet();
    store.coordinates(null, ws);
    const woke = ws.wait(5000);
    const index = next();
    fsm.apply(
      entry(index, {
        type: 'catalog-deregister',
        deregistration: { node: 'a', serviceID: '', checkID: '' },
      }),
    );
    assert.equal(await woke, true);
    assert.deepEqual(
      store.coordinates(null).value.map((r) => r.node),
      ['b'],
    );
    assert.equal(store.coordinates(null).index, index);
  });

  it('survives a snapshot and restore', () => {
    const { store, fsm, next } = withNodes('a');
    fsm.apply(
      entry(next(), {
        type: 'coordinate-batch-update',
        updates: [{ node: 'a', segment: '', coord: coord(0.5) }],
      }),
    );
    const copy = new StateStore();
    copy.restore(store.snapshot());
    assert.deepEqual(copy.coordinates(null), store.coordinates(null));
  });

  it('refuses a batch command whose coordinate is not finite', () => {
    const bad = {
      type: 'coordinate-batch-update',
      updates: [{ node: 'a', segment: '', coord: { ...coord(1), Error: Number.NaN } }],
    } as Command;
    assert.throws(() => encodeCommand(bad), /Error must be a finite number/);
    const good: Command = {
      type: 'coordinate-batch-update',
      updates: [{ node: 'a', segment: 's1', coord: coord(3) }],
    };
    assert.deepEqual(decodeCommand(encodeCommand(good)), good);
  });
});
