// 2,000 HTTP checks on real timers against a real target: every check runs and passes, every
// interval slot is either run or counted as skipped, and the in-flight cap holds. How late the
// starts are is a benchmark's question (bench/checks), not this test's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckScheduler } from '../../src/agent/checks';
import { startTargetProcess } from './target-process';

const CHECKS = 2_000;
const INTERVAL_MS = 1_000;
const MEASURE_MS = 3_000;

test(`${CHECKS} HTTP checks at 1s all run, pass and account for every slot`, async () => {
  const target = await startTargetProcess();
  const scheduler = new CheckScheduler();
  const statuses = new Map<string, string>();
  scheduler.onResult((id, status) => statuses.set(id, status));
  try {
    for (let i = 0; i < CHECKS; i++)
      scheduler.add({
        id: `load-${i}`,
        name: `load ${i}`,
        http: target.url,
        interval: INTERVAL_MS,
      });
    // The first interval is the stagger; on a loaded machine the first round can take longer.
    const passing = (): number => [...statuses.values()].filter((s) => s === 'passing').length;
    const deadline = Date.now() + 60_000;
    while (passing() < CHECKS && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(passing(), CHECKS, 'every check reached the target and passed');
    scheduler.resetStats();
    await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
    const stats = scheduler.stats();
    const slots = (CHECKS * MEASURE_MS) / INTERVAL_MS;
    const accounted = stats.runs + stats.overlapsSkipped + stats.lateSlotsSkipped;
    assert.ok(Math.abs(accounted - slots) <= CHECKS, `slots ${slots}, accounted ${accounted}`);
    assert.ok(stats.peakInFlight <= 512, `peak in flight ${stats.peakInFlight}`);
  } finally {
    await scheduler.stop();
    await target.stop();
  }
});
