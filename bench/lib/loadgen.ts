// The bench's side of the load generator: a pool of load-generator processes (each with a
// raised open-files limit), the closed-loop cells they run, and fan-out runs, with the
// server's CPU charged over exactly the measured window.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { LatencyHistogram, quantileOf } from './histogram';
import type {
  ClosedLoopResult,
  ClosedLoopSpec,
  FanoutArmed,
  FanoutResult,
  FanoutSpec,
  FromWorker,
  ToWorker,
} from './loadgen-protocol';
import { allProcessesCpu, cpuMs, machineBusyMs, rssBytes, topConsumers } from './procfs';
import { raiseOpenFiles } from './server-process';

/** What one closed-loop cell measured. */
export interface CellResult {
  ops: number;
  opsPerSec: number;
  errors: number;
  errorSamples: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU (all its processes and threads) per 1,000 successful operations, ms. */
  serverCpuMsPer1kOps: number;
  /** Server CPU over the window as a share of one core, %. */
  serverCpuPct: number;
  /** The load generators' CPU over the window as a share of one core, %. */
  loadgenCpuPct: number;
  /** CPU spent by everything else on the machine over the window (noise), % of one core. */
  otherCpuPct: number;
  /** The biggest other consumers over the window, e.g. `tsc 41%, kworker/0:1 5%`. */
  otherTop: string;
}

export interface FanoutOutcome {
  armed: FanoutArmed;
  watchers: number;
  triggerMs: number;
  /** Time from the write's response to the last watcher's arrival, ms. */
  lastMs: number;
  /** Time from sending the write to the last watcher's arrival, ms. */
  sentToLastMs: number;
  p50Ms: number;
  p99Ms: number;
  missing: number;
  /** The server's resident memory before the watchers connect, bytes. */
  rssBefore: number;
  /** The server's resident memory while every watcher waits, bytes. */
  rssWhileWaiting: number;
  /** Server CPU spent registering the watchers (connect, parse, park), ms per 1,000 watchers. */
  armCpuMsPer1k: number;
  /** Server CPU from the write until the last arrival (or timeout), ms. */
  fireCpuMs: number;
}

class WorkerProcess {
  private readonly child: ChildProcess;
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;

  constructor(openFiles: number) {
    const script = path.join(__dirname, 'loadgen-worker.js');
    const command = raiseOpenFiles(openFiles) + 'exec "$0" "$1"';
    this.child = spawn('bash', ['-c', command, process.execPath, script], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromWorker) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.type === 'error')
        pending?.reject(new Error(`load generator: ${message.message}`));
      else pending?.resolve(message);
    });
    this.child.on('exit', (code) => {
      this.pending?.reject(new Error(`load generator exited with ${code}`));
      this.pending = undefined;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  request<T extends FromWorker>(message: ToWorker, expected: T['type']): Promise<T> {
    if (this.pending !== undefined) throw new Error('load generator is busy');
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(message);
    }).then((reply) => {
      if (reply.type !== expected) throw new Error(`expected ${expected}, got ${reply.type}`);
      return reply as T;
    });
  }

  stop(): void {
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToWorker);
    this.child.disconnect?.();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export class LoadGenerator {
  private constructor(private readonly workers: WorkerProcess[]) {}

  /** `processes` load generators, each allowed `openFiles` descriptors if the system lets it. */
  static start(processes: number, openFiles: number): LoadGenerator {
    return new LoadGenerator(Array.from({ length: processes }, () => new WorkerProcess(openFiles)));
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  /**
   * Runs one closed-loop cell with `concurrency` clients spread over the load generators, and
   * charges `serverPids` for the CPU they spent inside the measured window.
   */
  async closedLoop(
    spec: ClosedLoopSpec,
    concurrency: number,
    serverPids: readonly number[],
  ): Promise<CellResult> {
    // Each-once (populating) walks one shared key counter, so it stays in one process.
    const workers = spec.order === 'each-once' ? this.workers.slice(0, 1) : this.workers;
    const used = workers.slice(0, Math.min(workers.length, concurrency));
    const startAtEpochMs = Date.now() + 300;
    const windowStartMs = startAtEpochMs + (spec.order === 'each-once' ? 0 : spec.warmupMs);
    const sample = () => ({
      server: cpuMs(serverPids),
      machine: machineBusyMs(),
      processes: allProcessesCpu(),
    });
    let atStart = sample();
    let atEnd: typeof atStart | undefined;
    const sampleStart = sleep(windowStartMs - Date.now()).then(() => (atStart = sample()));
    const sampleEnd =
      spec.order === 'each-once'
        ? Promise.resolve()
        : sleep(windowStartMs + spec.durationMs - Date.now()).then(() => (atEnd = sample()));
    const results = await Promise.all(
      used.map((worker, i) => {
        const clients =
          Math.floor(concurrency / used.length) + (i < concurrency % used.length ? 1 : 0);
        return worker.request<ClosedLoopResult>(
          { type: 'closed-loop', spec, clients, startAtEpochMs },
          'closed-loop-result',
        );
      }),
    );
    await Promise.all([sampleStart, sampleEnd]);
    atEnd ??= sample();
    const serverCpu = atEnd.server - atStart.server;
    const loadgenCpu = results.reduce((sum, r) => sum + r.loadgenCpuMs, 0);
    const histogram = new LatencyHistogram();
    for (const result of results) histogram.merge(LatencyHistogram.fromJSON(result.histogram));
    const ops = results.reduce((sum, r) => sum + r.ops, 0);
    const windowMs = Math.max(...results.map((r) => r.windowMs));
    const ours = new Set([...serverPids, ...this.pids, process.pid]);
    const otherTop = topConsumers(atStart.processes, atEnd.processes, ours, 3)
      .map((p) => `${p.name} ${Math.round((p.ms / windowMs) * 100)}%`)
      .join(', ');
    return {
      ops,
      opsPerSec: (ops * 1000) / windowMs,
      errors: results.reduce((sum, r) => sum + r.errors, 0),
      errorSamples: results.flatMap((r) => r.errorSamples),
      p50Ms: histogram.quantile(0.5),
      p99Ms: histogram.quantile(0.99),
      maxMs: histogram.max,
      serverCpuMsPer1kOps: ops === 0 ? Number.NaN : (serverCpu / ops) * 1000,
      serverCpuPct: (serverCpu / windowMs) * 100,
      loadgenCpuPct: (loadgenCpu / windowMs) * 100,
      otherCpuPct: ((atEnd.machine - atStart.machine - serverCpu - loadgenCpu) / windowMs) * 100,
      otherTop,
    };
  }

  /**
   * Arms `spec.watchers` watchers from the first load generator, samples the server's memory
   * while they all wait, then fires the write and collects arrival times.
   */
  async fanout(spec: FanoutSpec, serverPids: () => number[]): Promise<FanoutOutcome> {
    const worker = this.workers[0];
    const rssBefore = rssBytes(serverPids());
    const cpuBeforeArm = cpuMs(serverPids());
    const armed = await worker.request<FanoutArmed>({ type: 'fanout-arm', spec }, 'fanout-armed');
    const pids = serverPids();
    const rssWhileWaiting = rssBytes(pids);
    const cpuBeforeFire = cpuMs(pids);
    const result = await worker.request<FanoutResult>({ type: 'fanout-fire' }, 'fanout-result');
    const cpuAfterFire = cpuMs(pids);
    const arrivals = result.arrivalsMs.map((ms) => Math.max(0, ms));
    return {
      armed,
      watchers: spec.watchers,
      triggerMs: result.triggerMs,
      lastMs: arrivals.length === 0 ? Number.NaN : Math.max(...arrivals),
      sentToLastMs:
        arrivals.length === 0 ? Number.NaN : Math.max(...result.arrivalsMs) + result.triggerMs,
      p50Ms: quantileOf(arrivals, 0.5),
      p99Ms: quantileOf(arrivals, 0.99),
      missing: result.missing,
      rssBefore,
      rssWhileWaiting,
      armCpuMsPer1k: ((cpuBeforeFire - cpuBeforeArm) / spec.watchers) * 1000,
      fireCpuMs: cpuAfterFire - cpuBeforeFire,
    };
  }

  stop(): void {
    for (const worker of this.workers) worker.stop();
  }
}
