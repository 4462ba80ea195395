// An external-service monitor worker: takes the check and node-probe jobs from BullMQ, runs them
// with the agent's own check runners, and writes a result back through the catalog only when it
// differs from what the catalog holds, as a CAS on the check's ModifyIndex. The worker follows
// the external checks with a blocking query, so deciding "changed?" costs no request per run.
// Any number of workers may share a queue; a dead one's claimed jobs come back after the lock.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import { createProbe, type CheckResult, type Probe } from '../agent';
import { metrics } from '../telemetry';
import type { CatalogCheck, EsmCatalog } from './catalog';
import { probeNode } from './node-probe';
import { NODE_HEALTH_CHECK_ID, NODE_HEALTH_CHECK_NAME, type EsmJob } from './plan';

export const ESM_QUEUE = 'esm.checks';

export interface EsmWorkerOptions {
  catalog: EsmCatalog;
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** Jobs run at once by this worker; default 256. */
  concurrency?: number;
  /** How long a claim lasts without renewal: a dead worker's jobs return after it. Default 5 s. */
  lockDurationMs?: number;
  retryMs?: number;
}

export interface EsmWorkerStats {
  runs: number;
  writes: number;
  conflicts: number;
  /** Start − scheduled time of each run, ms (the latest samples). */
  lateness: number[];
}

const LATENESS_WINDOW = 100_000;
/**
 * Pause between two reads of the external checks: every write changes their index, and each read
 * carries all of them. A view this stale costs at worst a lost CAS or a write one run later.
 */
const VIEW_COALESCE_MS = 5000;

export class EsmWorker {
  private readonly view = new Map<string, CatalogCheck>();
  /** Results are compared with the view: none is written before it is first loaded. */
  private viewLoaded = false;
  private readonly probes = new Map<string, { key: string; probe: Probe }>();
  private readonly stopping = new AbortController();
  private worker: Worker | null = null;
  private following: Promise<void> | null = null;
  private readonly counters: EsmWorkerStats = { runs: 0, writes: 0, conflicts: 0, lateness: [] };

  constructor(private readonly options: EsmWorkerOptions) {}

  start(): void {
    this.following = this.followChecks();
    const lockDuration = this.options.lockDurationMs ?? 5000;
    const worker = new Worker(ESM_QUEUE, (job: Job) => this.run(job), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency ?? 256,
      lockDuration,
      stalledInterval: lockDuration,
      maxStalledCount: 100,
      runRetryDelay: 1000,
    });
    // One line per outage-sized window, not one per failed call.
    let loggedAt = 0;
    worker.on('error', (err) => {
      if (Date.now() - loggedAt < 30_000) return;
      loggedAt = Date.now();
      this.options.logger.warn(
        { err: err.message },
        'esm worker: queue error; retrying with backoff',
      );
    });
    this.worker = worker;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.worker?.close();
    await this.following;
  }

  stats(): EsmWorkerStats {
    return { ...this.counters, lateness: [...this.counters.lateness] };
  }

  resetStats(): void {
    this.counters.runs = 0;
    this.counters.writes = 0;
    this.counters.conflicts = 0;
    this.counters.lateness = [];
  }

  private async run(job: Job): Promise<void> {
    const data = job.data as EsmJob;
    const scheduledAt = job.timestamp + (job.delay ?? 0);
    const late = Math.max(0, Date.now() - scheduledAt);
    this.counters.runs += 1;
    if (this.counters.lateness.length >= LATENESS_WINDOW) this.counters.lateness.shift();
    this.counters.lateness.push(late);
    metrics.addSample('esm.check.lateness', late, { kind: data.kind });
    const started = performance.now();
    const result =
      data.kind === 'check'
        ? await this.probeOf(data)(AbortSignal.timeout((data.definition.timeout ?? 10_000) + 1000))
        : await probeNode(data.address, data.port, data.pingType, data.timeoutMs);
    metrics.measureSince('esm.check.run', started, { kind: data.kind });
    await this.record(data, result);
  }

  private probeOf(job: Extract<EsmJob, { kind: 'check' }>): Probe {
    const id = `${job.node}\u0000${job.checkId}`;
    const key = JSON.stringify(job.definition);
    const cached = this.probes.get(id);
    if (cached !== undefined && cached.key === key) return cached.probe;
    const probe = createProbe(job.definition);
    this.probes.set(id, { key, probe });
    return probe;
  }

  /** Writes `result` if the catalog holds something else; a lost CAS is left to the next run. */
  private async record(job: EsmJob, result: CheckResult): Promise<void> {
    if (!this.viewLoaded) return;
    const checkId = job.kind === 'check' ? job.checkId : NODE_HEALTH_CHECK_ID;
    const key = viewKey(job.node, checkId);
    const current = this.view.get(key);
    if (
      current !== undefined &&
      current.Status === result.status &&
      current.Output === result.output
    ) {
      return;
    }
    // A check that left the catalog is not brought back; the node's own check is created.
    if (current === undefined && job.kind === 'check') return;
    const base: CatalogCheck = current ?? {
      Node: job.node,
      CheckID: NODE_HEALTH_CHECK_ID,
      Name: NODE_HEALTH_CHECK_NAME,
      Status: '',
      Output: '',
      ServiceID: '',
      ModifyIndex: 0,
    };
    const next = { ...base, Status: result.status, Output: result.output };
    const outcome = await this.options.catalog.casCheck(next, base.ModifyIndex);
    if (outcome === 'written') {
      this.counters.writes += 1;
      metrics.incrCounter('esm.check.update', 1, { status: result.status });
      // Until the watch brings the new ModifyIndex, a second write here would lose its CAS.
      this.view.set(key, next);
      this.options.logger.info(
        { node: job.node, check: checkId, status: result.status },
        'esm: check status changed',
      );
    } else {
      this.counters.conflicts += 1;
      metrics.incrCounter('esm.check.conflict');
    }
  }

  private async followChecks(): Promise<void> {
    const { signal } = this.stopping;
    let index = 0;
    while (!signal.aborted) {
      try {
        const result = await this.options.catalog.externalChecks(index, signal);
        index = result.index < index ? 0 : result.index;
        this.view.clear();
        for (const check of result.value) this.view.set(viewKey(check.Node, check.CheckID), check);
        this.viewLoaded = true;
        // A burst of writes would otherwise cost one full read per write.
        await new Promise((resolve) => setTimeout(resolve, VIEW_COALESCE_MS));
      } catch (err) {
        if (signal.aborted) return;
        this.options.logger.warn(
          { err: (err as Error).message },
          'esm worker: catalog read failed; retrying',
        );
        index = 0;
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000));
      }
    }
  }
}

function viewKey(node: string, checkId: string): string {
  return `${node}\u0000${checkId}`;
}
