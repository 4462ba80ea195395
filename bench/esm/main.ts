// External-service checks: N HTTP checks at a fixed interval run by 1, 2 and 4 `esm` worker
// processes through BullMQ on Redis, beside the same checks on the agent's in-process scheduler
// in the same run. Measured after one interval of warm-up: checks completed per second,
// lateness (start − scheduled) p99, CPU per 1,000 checks (the workers' processes; Redis's own CPU
// apart), after two intervals of warm-up. The agent that coordinates is in this process and is not charged to the workers.
// Usage: node dist/bench/esm/main.js [--checks 10000] [--interval-ms 10000] [--seconds 30]
//        [--workers 1,2,4] [--redis redis://127.0.0.1:6379/0]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { CheckScheduler } from '../../src/agent/checks';
import { startTargetProcess } from '../../test/checks/target-process';
import { dropRedisPrefix, esmAgent } from '../../test/esm/support';
import { cpuMs, fmt, markdownTable } from '../lib';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  runner: string;
  checksPerSecond: number;
  latenessP99: number;
  cpuPer1000: number;
  redisCpuPer1000: number | null;
}

function p99(samples: number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
}

async function inProcess(
  url: string,
  checks: number,
  intervalMs: number,
  seconds: number,
): Promise<Row> {
  const scheduler = new CheckScheduler({ maxConcurrent: 512 });
  try {
    for (let i = 0; i < checks; i += 1) {
      scheduler.add({
        id: `c${i}`,
        name: `c${i}`,
        http: `${url}?n=${i}`,
        interval: intervalMs,
        timeout: 5000,
      });
    }
    await sleep(intervalMs);
    scheduler.resetStats();
    const before = process.cpuUsage();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(before);
    const stats = scheduler.stats();
    return {
      runner: 'in-process scheduler (peer)',
      checksPerSecond: stats.runs / seconds,
      latenessP99: stats.lateness.p99,
      cpuPer1000: ((cpu.user + cpu.system) / 1000 / stats.runs) * 1000,
      redisCpuPer1000: null,
    };
  } finally {
    await scheduler.stop();
  }
}

class WorkerChild {
  private out = '';
  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (this.out += c));
  }

  static async start(args: string[]): Promise<WorkerChild> {
    const child = spawn(process.execPath, [join(__dirname, 'worker-process.js'), ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const worker = new WorkerChild(child);
    await worker.until((out) => out.includes('ready\n'));
    return worker;
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  async stats(): Promise<{ runs: number; lateness: number[] }> {
    const mark = this.out.length;
    this.send('stats');
    await this.until((out) => out.slice(mark).includes('\n'));
    return JSON.parse(this.out.slice(mark).split('\n')[0]) as { runs: number; lateness: number[] };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.stdin?.end();
    await exited;
  }

  private async until(done: (out: string) => boolean): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!done(this.out)) {
      if (Date.now() > deadline) throw new Error(`worker process did not answer: ${this.out}`);
      await sleep(20);
    }
  }
}

function redisServerPid(port: number): number | null {
  try {
    const out = execFileSync('pgrep', ['-f', `redis-server .*:${port}`], { encoding: 'utf8' });
    const pid = Number(out.trim().split('\n')[0]);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const checks = Number(option('checks', '10000'));
  const intervalMs = Number(option('interval-ms', '10000'));
  const seconds = Number(option('seconds', '30'));
  const workerCounts = option('workers', '1,2,4').split(',').map(Number);
  const redisUrl = option('redis', 'redis://127.0.0.1:6379/0');
  const prefix = `consulate-bench-esm-${randomUUID()}`;
  const target = await startTargetProcess();
  const rows: Row[] = [];
  rows.push(await inProcess(target.url, checks, intervalMs, seconds));

  const agent = await esmAgent(
    `jobs { redis = "${redisUrl}" prefix = "${prefix}" } esm { enabled = true }`,
  );
  const base = `http://${agent.httpAddresses[0]}`;
  const redis = new Redis(redisUrl);
  const redisPid = redisServerPid(Number(new URL(redisUrl).port || 6379));
  try {
    // Registered in parallel lanes: 100 checks per external node.
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < checks) {
          const i = next++;
          const response = await fetch(`${base}/v1/catalog/register`, {
            method: 'PUT',
            body: JSON.stringify({
              Node: `ext-${Math.floor(i / 100)}`,
              Address: '127.0.0.1',
              NodeMeta: { 'external-node': 'true' },
              Service: { ID: `s${i}`, Service: `s${i}` },
              Check: {
                CheckID: `c${i}`,
                Name: `c${i}`,
                ServiceID: `s${i}`,
                Status: 'passing',
                Output: '',
                Definition: {
                  HTTP: `${target.url}?n=${i}`,
                  Interval: `${intervalMs / 1000}s`,
                  Timeout: '5s',
                },
              },
            }),
          });
          if (response.status !== 200) throw new Error(await response.text());
        }
      }),
    );
    while ((await redis.zcard(`${prefix}:esm.checks:repeat`)) < checks) await sleep(500);

    for (const count of workerCounts) {
      const workers = await Promise.all(
        Array.from({ length: count }, () =>
          WorkerChild.start([base, redisUrl, prefix, String(Math.ceil(1024 / count))]),
        ),
      );
      try {
        // Two intervals: the first runs of every check write their output once, and jobs left
        // waiting while no worker ran are drained before measuring.
        await sleep(2 * intervalMs);
        for (const w of workers) w.send('reset');
        const pids = workers.map((w) => w.child.pid as number);
        const cpuBefore = cpuMs(pids);
        const redisBefore = redisPid === null ? NaN : cpuMs([redisPid]);
        await sleep(seconds * 1000);
        const cpu = cpuMs(pids) - cpuBefore;
        const redisCpu = redisPid === null ? NaN : cpuMs([redisPid]) - redisBefore;
        const stats = await Promise.all(workers.map((w) => w.stats()));
        const runs = stats.reduce((sum, s) => sum + s.runs, 0);
        rows.push({
          runner: `BullMQ, ${count} worker${count > 1 ? 's' : ''}`,
          checksPerSecond: runs / seconds,
          latenessP99: p99(stats.flatMap((s) => s.lateness)),
          cpuPer1000: (cpu / runs) * 1000,
          redisCpuPer1000: (redisCpu / runs) * 1000,
        });
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  } finally {
    redis.disconnect();
    await dropRedisPrefix(redisUrl, prefix);
    await agent.shutdown();
    await target.stop();
  }

  const expected = (checks * 1000) / intervalMs;
  console.log(
    `\n## External checks: ${checks} HTTP checks every ${intervalMs / 1000}s (${fmt(expected, 0)} due per second), ${seconds}s measured\n`,
  );
  console.log(
    markdownTable(
      [
        'runner',
        'checks/s',
        'lateness p99',
        'CPU per 1,000 checks (runner)',
        'Redis CPU per 1,000 checks',
      ],
      rows.map((row) => [
        row.runner,
        fmt(row.checksPerSecond, 0),
        `${fmt(row.latenessP99, 0)} ms`,
        `${fmt(row.cpuPer1000, 0)} ms`,
        row.redisCpuPer1000 === null ? '—' : `${fmt(row.redisCpuPer1000, 0)} ms`,
      ]),
    ),
  );
  const [one, five] = loadavg();
  console.log(
    `\nmachine: ${cpus().length} CPUs, load average ${fmt(one, 2)} / ${fmt(five, 2)} (1/5 min); ` +
      'the target is a separate process; Redis is the shared system server.',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
