import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckScheduler } from '../../src/agent/checks';
import { startTargetProcess } from './target-process';

const CHECKS = 2_000;
const INTERVAL_MS = 1_000;
const MEASURE_MS = 5_000;

test(`${CHECKS} HTTP checks at 1s on real timers start on time`, async () => {
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
    // The first interval is the stagger: every check has run once after it.
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 200));
    scheduler.resetStats();
    const cpuBefore = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
    const cpu = process.cpuUsage(cpuBefore);
    const stats = scheduler.stats();
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / MEASURE_MS) * 100;
    console.log(
      `# ${CHECKS} http checks @${INTERVAL_MS}ms for ${MEASURE_MS}ms: runs=${stats.runs} ` +
        `lateness p50=${stats.lateness.p50.toFixed(2)}ms p99=${stats.lateness.p99.toFixed(2)}ms ` +
        `max=${stats.lateness.max.toFixed(2)}ms overlapsSkipped=${stats.overlapsSkipped} ` +
        `lateSlotsSkipped=${stats.lateSlotsSkipped} peakInFlight=${stats.peakInFlight} ` +
        `cpu=${cpuPercent.toFixed(0)}% of one core rss=${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}MiB`,
    );
    // Gross bounds only (the machine may be shared): every check ran and passed, every slot of
    // the window was either run or counted as skipped, and starts were not absurdly late.
    const passing = [...statuses.values()].filter((s) => s === 'passing').length;
    assert.equal(passing, CHECKS, 'every check reached the target and passed');
    const slots = (CHECKS * MEASURE_MS) / INTERVAL_MS;
    const accounted = stats.runs + stats.overlapsSkipped + stats.lateSlotsSkipped;
    assert.ok(Math.abs(accounted - slots) <= CHECKS, `slots ${slots}, accounted ${accounted}`);
    assert.ok(stats.runs > slots * 0.25, `runs ${stats.runs} of ${slots} slots`);
    assert.ok(stats.lateness.p99 < 10_000, `p99 lateness ${stats.lateness.p99}ms`);
    assert.ok(stats.peakInFlight <= 512);
  } finally {
    await scheduler.stop();
    await target.stop();
  }
});
