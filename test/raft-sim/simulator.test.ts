// Hundreds of seeded simulator runs of 3- and 5-server clusters under crashes, partitions,
// message loss, membership changes, transfers and snapshots, with every safety property
// checked after every step. A failure names the command that replays it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from '../../src/raft/sim/simulation';

const SEEDS = 1000;
const STEPS = 5000;

describe('raft simulator', () => {
  it(`keeps every safety property and converges after heal over ${SEEDS} seeds`, () => {
    const totals = {
      elections: 0,
      committed: 0,
      snapshotsInstalled: 0,
      crashes: 0,
      membershipChanges: 0,
    };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runSimulation({ seed, nodes: seed % 2 === 0 ? 5 : 3, steps: STEPS });
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
    }
    // The runs must have exercised what they claim to: elections, commits, every fault kind.
    assert.ok(totals.elections > SEEDS * 5, `elections ${totals.elections}`);
    assert.ok(totals.committed > SEEDS * 100, `committed ${totals.committed}`);
    assert.ok(
      totals.snapshotsInstalled > SEEDS,
      `snapshots installed ${totals.snapshotsInstalled}`,
    );
    assert.ok(totals.crashes > SEEDS, `crashes ${totals.crashes}`);
    assert.ok(totals.membershipChanges > SEEDS, `membership changes ${totals.membershipChanges}`);
  });

  it('replays a seed exactly', () => {
    const a = runSimulation({ seed: 4242, nodes: 5, steps: 3000 });
    const b = runSimulation({ seed: 4242, nodes: 5, steps: 3000 });
    assert.deepEqual(a, b);
  });
});
