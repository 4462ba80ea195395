// Health-check scheduler under load: N HTTP checks at a fixed interval against one local target
// (its own process), measuring what the agent side spends: CPU of one core, RSS, how late runs
// start, event-loop delay. The first interval is the stagger and is not measured.
// Usage: node dist/bench/checks/main.js [--checks 5000] [--interval-ms 10000] [--seconds 60]
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CheckScheduler } from '../../src/agent/checks';
import { startTargetProcess } from '../../test/checks/target-process';
import { fmt, fmtMB, markdownTable } from '../lib';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  checks: number;
  intervalMs: number;
  seconds: number;
  runsPerSecond: number;
  cpuPercent: number;
  rssPeak: number;
  p50: number;
  p99: number;
  max: number;
  overlaps: number;
  loopDelayP99: number;
  passing: number;
}

async function measure(checks: number, intervalMs: number, seconds: number): Promise<Row> {
  const target = await startTargetProcess();
  const scheduler = new CheckScheduler();
  const statuses = new Map<string, string>();
  scheduler.onResult((id, status) => statuses.set(id, status));
  try {
    for (let i = 0; i < checks; i++)
      scheduler.add({
        id: `bench-${i}`,
        name: `bench ${i}`,
        http: target.url,
        interval: intervalMs,
      });
    await sleep(intervalMs + 500);
    scheduler.resetStats();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    let rssPeak = 0;
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    const stats = scheduler.stats();
    return {
      checks,
      intervalMs,
      seconds,
      runsPerSecond: stats.runs / seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      rssPeak,
      p50: stats.lateness.p50,
      p99: stats.lateness.p99,
      max: stats.lateness.max,
      overlaps: stats.overlapsSkipped,
      loopDelayP99: loop.percentile(99) / 1e6,
      passing: [...statuses.values()].filter((s) => s === 'passing').length,
    };
  } finally {
    await scheduler.stop();
    await target.stop();
  }
}

async function main(): Promise<void> {
  const checks = option('checks', 5000);
  const intervalMs = option('interval-ms', 10_000);
  const seconds = option('seconds', 60);
  const row = await measure(checks, intervalMs, seconds);
  console.log(
    `\n## Health-check scheduler: ${checks} HTTP checks every ${intervalMs / 1000}s, ${seconds}s measured\n`,
  );
  console.log(
    markdownTable(
      [
        'checks',
        'interval',
        'runs/s',
        'agent CPU (% of one core)',
        'RSS peak',
        'lateness p50',
        'lateness p99',
        'lateness max',
        'overlaps skipped',
        'event-loop delay p99',
        'passing',
      ],
      [
        [
          String(row.checks),
          `${row.intervalMs / 1000}s`,
          fmt(row.runsPerSecond, 0),
          `${fmt(row.cpuPercent, 1)}%`,
          fmtMB(row.rssPeak),
          `${fmt(row.p50, 2)} ms`,
          `${fmt(row.p99, 2)} ms`,
          `${fmt(row.max, 2)} ms`,
          String(row.overlaps),
          `${fmt(row.loopDelayP99, 2)} ms`,
          `${row.passing}/${row.checks}`,
        ],
      ],
    ),
  );
  const [one, five] = loadavg();
  console.log(
    `\nmachine: ${cpus().length} CPUs, load average ${fmt(one, 2)} / ${fmt(five, 2)} (1/5 min) — ` +
      'other processes on the machine inflate lateness; the target is a separate process.',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
