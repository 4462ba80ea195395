// The SWIM core in the deterministic simulator: many members, loss, delay, partitions, seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lanConfig, pushPullScale, suspicionTimeout } from '../../../src/gossip/memberlist';
import { SimCluster } from '../../../src/gossip/memberlist/sim';

const SEEDS = [1, 2, 3, 4, 5];

function startCluster(n: number, seed: number, loss = 0): SimCluster {
  const sim = new SimCluster({ seed, loss });
  // Everyone joins through n0, one every 10 ms.
  for (let i = 0; i < n; i++) sim.addNode(`n${i}`, i === 0 ? null : 'n0', i * 10);
  return sim;
}

/** What memberlist's parameters allow for a crash to be declared everywhere. */
function detectionBounds(n: number): { min: number; max: number } {
  const c = lanConfig();
  const min = suspicionTimeout(c.suspicionMult, n, c.probeInterval);
  const maxSuspicion = c.suspicionMaxTimeoutMult * min;
  // Someone probes the dead node within one round over the member list; the suspicion runs
  // at most its maximum; the dead message then spreads by gossip, at worst by push/pull.
  const max = n * c.probeInterval + maxSuspicion + pushPullScale(c.pushPullInterval, n);
  return { min, max };
}

function failedEverywhere(sim: SimCluster, victim: string): boolean {
  return sim.liveNames().every((name) => {
    const st = sim.core(name).stateOf(victim);
    return st === null || st === 'dead';
  });
}

test('fifty members joining through one address converge on the same view (5 seeds)', () => {
  for (const seed of SEEDS) {
    const sim = startCluster(50, seed);
    assert.ok(
      sim.runUntil(() => sim.converged(), 60_000),
      `seed ${seed}: no convergence`,
    );
    for (const name of sim.names()) assert.equal(sim.core(name).numMembers(), 50);
  }
});

test('a crashed member is declared failed by every other member within the bound (5 seeds)', () => {
  const n = 50;
  const { min, max } = detectionBounds(n);
  for (const seed of SEEDS) {
    const sim = startCluster(n, seed);
    assert.ok(sim.runUntil(() => sim.converged(), 60_000));
    const victim = `n${7 + seed}`;
    const killedAt = sim.now;
    sim.crash(victim);
    assert.ok(
      sim.runUntil(() => failedEverywhere(sim, victim), killedAt + max),
      `seed ${seed}: not failed everywhere within ${max} ms`,
    );
    const took = sim.now - killedAt;
    assert.ok(
      took >= min,
      `seed ${seed}: declared dead after ${took} ms, before the ${min} ms minimum`,
    );
    // Nobody else was declared failed along the way.
    const wrong = sim.events.filter((e) => e.kind === 'leave' && e.node !== victim);
    assert.deepEqual(wrong, [], `seed ${seed}`);
  }
});

test('two hundred members converge and detect a crash within the bound', () => {
  const n = 200;
  const sim = startCluster(n, 42);
  assert.ok(sim.runUntil(() => sim.converged(), 60_000, 250));
  const { min, max } = detectionBounds(n);
  const killedAt = sim.now;
  sim.crash('n123');
  assert.ok(sim.runUntil(() => failedEverywhere(sim, 'n123'), killedAt + max, 250));
  assert.ok(sim.now - killedAt >= min);
});

test('under 10% packet loss no healthy member is declared dead (5 seeds, 60 s each)', () => {
  for (const seed of SEEDS) {
    const sim = startCluster(50, seed, 0.1);
    assert.ok(
      sim.runUntil(() => sim.converged(), 60_000),
      `seed ${seed}: no convergence`,
    );
    sim.runFor(60_000);
    const deaths = sim.events.filter((e) => e.kind === 'leave');
    assert.deepEqual(deaths, [], `seed ${seed}`);
    assert.ok(sim.converged());
  }
});

test('under 10% packet loss a crashed member is still detected within the bound', () => {
  const n = 50;
  const { max } = detectionBounds(n);
  for (const seed of [11, 12]) {
    const sim = startCluster(n, seed, 0.1);
    assert.ok(sim.runUntil(() => sim.converged(), 60_000));
    const killedAt = sim.now;
    sim.crash('n20');
    assert.ok(
      sim.runUntil(() => failedEverywhere(sim, 'n20'), killedAt + max),
      `seed ${seed}`,
    );
  }
});

test('a partition splits the views and, healed and rejoined once, the views merge', () => {
  const c = lanConfig();
  for (const seed of [1, 2, 3]) {
    const sim = startCluster(40, seed);
    assert.ok(sim.runUntil(() => sim.converged(), 60_000));
    const names = sim.names();
    const left = names.slice(0, 20);
    const right = names.slice(20);
    sim.partition([left, right]);
    const split = (): boolean =>
      left.every((n) => sim.core(n).numMembers() === left.length) &&
      right.every((n) => sim.core(n).numMembers() === right.length);
    assert.ok(
      sim.runUntil(split, sim.now + 120_000),
      `seed ${seed}: sides never saw each other failed`,
    );
    // Each side stops gossiping to the other after GossipToTheDeadTime and forgets it.
    sim.runFor(c.gossipToTheDeadTime + 20 * c.probeInterval);
    sim.heal();
    // What serf's reconnector does: one member joins a failed member of the other side.
    sim.join(left[3], right[5]);
    assert.ok(
      sim.runUntil(() => sim.converged(), sim.now + c.pushPullInterval),
      `seed ${seed}: views did not merge`,
    );
  }
});

test('a partition shorter than the suspicion timeout declares nobody dead', () => {
  const sim = startCluster(40, 8);
  assert.ok(sim.runUntil(() => sim.converged(), 60_000));
  const names = sim.names();
  sim.partition([names.slice(0, 20), names.slice(20)]);
  const c = lanConfig();
  sim.runFor(suspicionTimeout(c.suspicionMult, 40, c.probeInterval) / 2);
  sim.heal();
  sim.runFor(60_000);
  assert.deepEqual(
    sim.events.filter((e) => e.kind === 'leave'),
    [],
  );
  assert.ok(sim.converged());
});

test('a member paused for less than the suspicion timeout is suspected, refutes, never dies', () => {
  const c = lanConfig();
  for (const seed of [1, 2, 3]) {
    const sim = startCluster(5, seed);
    assert.ok(sim.runUntil(() => sim.converged(), 60_000));
    const others = ['n0', 'n1', 'n2', 'n4'];
    // Like SIGSTOP: n3 neither hears nor answers, for less than the minimum suspicion time.
    sim.partition([['n3']]);
    const suspected = (): boolean => others.some((n) => sim.core(n).stateOf('n3') === 'suspect');
    assert.ok(sim.runUntil(suspected, sim.now + 3_000), `seed ${seed}: never suspected`);
    sim.runFor(suspicionTimeout(c.suspicionMult, 5, c.probeInterval) / 2);
    sim.heal();
    const refuted = (): boolean => others.every((n) => sim.core(n).stateOf('n3') === 'alive');
    assert.ok(sim.runUntil(refuted, sim.now + 10_000), `seed ${seed}: not refuted`);
    assert.ok(sim.core('n3').incarnationOf('n3') > 1);
    assert.deepEqual(
      sim.events.filter((e) => e.kind === 'leave'),
      [],
      `seed ${seed}`,
    );
  }
});

test('a member that leaves is seen as left, not failed, by everyone', () => {
  const sim = startCluster(30, 9);
  assert.ok(sim.runUntil(() => sim.converged(), 60_000));
  sim.leave('n5');
  const allLeft = (): boolean =>
    sim.liveNames().every((name) => sim.core(name).stateOf('n5') === 'left');
  assert.ok(sim.runUntil(allLeft, sim.now + 10_000));
  const failed = sim.events.filter(
    (e) => e.node === 'n5' && e.kind === 'leave' && e.state === 'dead',
  );
  assert.deepEqual(failed, []);
});

test('the same seed replays the same run', () => {
  const run = (): string => {
    const sim = startCluster(20, 77, 0.05);
    sim.runFor(5_000);
    sim.crash('n3');
    sim.runFor(30_000);
    return JSON.stringify(sim.events);
  };
  assert.equal(run(), run());
});
