import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coordinateProblem,
  distanceNanos,
  distanceSeconds,
  newCoordinate,
  VivaldiClient,
  type Coordinate,
} from './vivaldi';

// mulberry32: a seeded source, so every run is the same run.
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const coord = (vec: number[], height: number, adjustment: number, error = 1.5): Coordinate => {
  const Vec = new Array<number>(8).fill(0);
  vec.forEach((v, i) => (Vec[i] = v));
  return { Vec, Error: error, Adjustment: adjustment, Height: height };
};

test('distance is the Euclidean distance plus both heights plus both adjustments', () => {
  // ‖(1,2) − (4,6)‖ = 5; + 0.1 + 0.2 heights; + 0.05 − 0.1 adjustments = 5.25 s.
  const a = coord([1, 2], 0.1, 0.05);
  const b = coord([4, 6], 0.2, -0.1);
  assert.equal(distanceNanos(a, b), 5_250_000_000);
  assert.equal(distanceSeconds(a, b), 5.25);
  assert.equal(distanceNanos(b, a), distanceNanos(a, b));
});

test('adjustments that would make the distance non-positive are ignored', () => {
  const a = coord([0.5], 10e-6, -1);
  const b = coord([0.5], 10e-6, -1);
  // Raw: 0 + 2 × 10 µs; with the adjustments it would be negative.
  assert.equal(distanceNanos(a, b), 20_000);
});

test('distance is truncated to whole nanoseconds, as a Go time.Duration', () => {
  const a = coord([0.0012345678915], 0, 0);
  const b = coord([0], 0, 0);
  assert.equal(distanceNanos(a, b), 1_234_567);
  assert.equal(distanceSeconds(a, b), 0.001234567);
});

test('one update moves the coordinate by serf’s Vivaldi rule', () => {
  const client = new VivaldiClient(seeded(1));
  const other = coord([0.01], 10e-6, 0);
  const after = client.update('b', other, 20_000_000); // 20 ms
  // dist = 0.01 + 2 × 10e-6 = 0.01002; rtt 0.02; wrongness = 0.00998 / 0.02 = 0.499;
  // weight = 1.5 / 3 = 0.5; error = 0.25·0.5·0.499 + 1.5·(1 − 0.125) = 1.374875.
  assert.ok(Math.abs(after.Error - 1.374875) < 1e-12, `error ${after.Error}`);
  // force = 0.25·0.5·(0.02 − 0.01002) = 0.0012475, away from b (gravity moves it ~1e-10 more).
  assert.ok(Math.abs(after.Vec[0] - -0.0012475) < 1e-9, `vec ${after.Vec[0]}`);
  assert.deepEqual(after.Vec.slice(1), new Array<number>(7).fill(0));
  // height = (10e-6 + 10e-6)·force/0.01 + 10e-6 = 1.2495e-5 (gravity takes ~2e-12).
  assert.ok(Math.abs(after.Height - 1.2495e-5) < 1e-11, `height ${after.Height}`);
  // adjustment = (0.02 − (0.0112475 + 1.2495e-5 + 10e-6)) / (2·20).
  assert.ok(Math.abs(after.Adjustment - 0.000218250125) < 1e-12, `adj ${after.Adjustment}`);
});

test('the latency filter takes the median of the last three samples of a peer', () => {
  const filtered = new VivaldiClient(seeded(2));
  for (const ms of [10, 10, 100, 10]) filtered.update('b', coord([0.01], 10e-6, 0), ms * 1e6);
  const direct = new VivaldiClient(seeded(2));
  for (const ms of [10, 10, 10, 10]) direct.update('b', coord([0.01], 10e-6, 0), ms * 1e6);
  // The 100 ms spike never counts: the median of 10, 10, 100 and of 10, 100, 10 is 10.
  assert.deepEqual(filtered.getCoordinate(), direct.getCoordinate());
});

test('updates with a bad coordinate or round trip are refused and change nothing', () => {
  const client = new VivaldiClient(seeded(3));
  const before = client.getCoordinate();
  assert.throws(() => client.update('b', coord([Number.NaN], 0, 0), 1e6), /invalid/);
  assert.throws(() => client.update('b', { ...newCoordinate(), Vec: [0, 0] }, 1e6), /compat/);
  assert.throws(() => client.update('b', coord([0], 0, 0), -1), /round trip/);
  assert.throws(() => client.update('b', coord([0], 0, 0), 10.5e9), /round trip/);
  assert.deepEqual(client.getCoordinate(), before);
});

test('co-located nodes are pushed apart in a random (seeded) direction', () => {
  const a = new VivaldiClient(seeded(4)).update('b', newCoordinate(), 5e6);
  const b = new VivaldiClient(seeded(4)).update('b', newCoordinate(), 5e6);
  assert.deepEqual(a, b);
  assert.ok(Math.hypot(...a.Vec) > 1e-4, 'moved away from the origin');
});

test('a server refuses non-finite or wrongly sized coordinates', () => {
  assert.equal(coordinateProblem(newCoordinate()), null);
  assert.equal(coordinateProblem(coord([Infinity], 0, 0)), 'invalid coordinate');
  assert.equal(coordinateProblem({ ...newCoordinate(), Vec: [1, 2] }), 'incompatible coordinate');
});

// 20 nodes on a 100 ms plane with access-link heights of up to 5 ms, each probing random peers
// as memberlist does and updating from the peer's current coordinate.
function simulate(seed: number, rounds: number): { agreement: number } {
  const random = seeded(seed);
  const n = 20;
  const nodes = Array.from({ length: n }, () => ({
    x: random() * 0.1,
    y: random() * 0.1,
    h: random() * 0.005,
  }));
  const trueRtt = (i: number, j: number): number =>
    Math.hypot(nodes[i].x - nodes[j].x, nodes[i].y - nodes[j].y) + nodes[i].h + nodes[j].h;
  const clients = nodes.map(() => new VivaldiClient(random));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) {
      let j = Math.floor(random() * (n - 1));
      if (j >= i) j++;
      // A little jitter on every measurement, as a real network has.
      const rtt = trueRtt(i, j) * (1 + (random() - 0.5) * 0.1);
      clients[i].update(`n${j}`, clients[j].getCoordinate(), Math.round(rtt * 1e9));
    }
  }
  // From every node, every pair of other nodes: is the nearer one (truly) estimated nearer?
  const coords = clients.map((c) => c.getCoordinate());
  let agree = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        if (j === i || k === i) continue;
        const truth = trueRtt(i, j) - trueRtt(i, k);
        const estimate =
          distanceSeconds(coords[i], coords[j]) - distanceSeconds(coords[i], coords[k]);
        total++;
        if (Math.sign(truth) === Math.sign(estimate)) agree++;
      }
    }
  }
  return { agreement: agree / total };
}

test('coordinates converge: estimated RTT order matches the true order for ≥ 90% of pairs', () => {
  for (const seed of [1, 7, 42]) {
    const { agreement } = simulate(seed, 300);
    assert.ok(agreement >= 0.9, `seed ${seed}: only ${(agreement * 100).toFixed(1)}% agree`);
  }
});

test('without updates the order is no better than chance', () => {
  // The same measure on fresh coordinates: every estimate is equal, so nothing agrees.
  const { agreement } = simulate(1, 0);
  assert.ok(agreement < 0.5, `${agreement}`);
});
