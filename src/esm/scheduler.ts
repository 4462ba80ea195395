// The external-service monitor's coordinator: follows the external nodes and their checks in the
// catalog (blocking queries) and keeps one BullMQ job scheduler per check and per probed node,
// staggered over its interval. Idempotent, so several agents may coordinate the same queue.
// After a Redis outage (a restarted Redis may have lost everything) it upserts them all again.
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';

import { metrics } from '../telemetry';
import type { CatalogCheck, CatalogNode, EsmCatalog } from './catalog';
import { planJobs, type NodeProbeSettings, type PlannedJob } from './plan';

export interface EsmSchedulerOptions {
  catalog: EsmCatalog;
  queue: Queue;
  probe: NodeProbeSettings;
  logger: Logger;
  /** Pause after a failed catalog read, and the period of the Redis self-check. */
  retryMs: number;
}

/** Pause between two catalog reads. */
const COALESCE_MS = 1000;
/** Upserts in flight at once. */
const PARALLEL_UPSERTS = 32;

export class EsmScheduler {
  private nodes: CatalogNode[] = [];
  private checks: CatalogCheck[] = [];
  private loaded = { nodes: false, checks: false };
  /** What Redis holds, as we last wrote it: id → JSON of the planned job. */
  private readonly scheduled = new Map<string, string>();
  private readonly stopping = new AbortController();
  private reconciling: Promise<void> | null = null;
  private again = false;
  private cleaned = false;
  private readonly loops: Promise<void>[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: EsmSchedulerOptions) {}

  start(): void {
    this.loops.push(
      this.follow(
        'nodes',
        (i, s) => this.options.catalog.externalNodes(i, s),
        (v) => (this.nodes = v),
      ),
      this.follow(
        'checks',
        (i, s) => this.options.catalog.externalChecks(i, s),
        (v) => (this.checks = v),
      ),
    );
    this.timer = setInterval(() => void this.selfCheck(), this.options.retryMs);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.allSettled(this.loops);
    await this.reconciling;
  }

  /** Job schedulers this coordinator keeps. */
  get size(): number {
    return this.scheduled.size;
  }

  /** Resolves once the plan of the catalog as last read is in Redis. */
  async settled(): Promise<void> {
    while (this.reconciling !== null) await this.reconciling;
  }

  private async follow<T>(
    what: 'nodes' | 'checks',
    read: (index: number, signal: AbortSignal) => Promise<{ index: number; value: T }>,
    keep: (value: T) => void,
  ): Promise<void> {
    const { signal } = this.stopping;
    let index = 0;
    while (!signal.aborted) {
      try {
        const result = await read(index, signal);
        // Consul's rule: an index that goes backwards starts over.
        index = result.index < index ? 0 : result.index;
        keep(result.value);
        this.loaded[what] = true;
        this.reconcile();
        // Status writes change the checks' index too: read again at most this often.
        await sleep(COALESCE_MS, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.options.logger.warn(
          { err: (err as Error).message, what },
          'esm: catalog read failed; retrying',
        );
        index = 0;
        await sleep(this.options.retryMs, signal);
      }
    }
  }

  private reconcile(): void {
    if (!this.loaded.nodes || !this.loaded.checks) return;
    if (this.reconciling !== null) {
      this.again = true;
      return;
    }
    this.reconciling = this.apply()
      .catch((err: unknown) => {
        this.options.logger.warn(
          { err: (err as Error).message },
          'esm: scheduling failed; retrying',
        );
        this.again = true;
        return sleep(this.options.retryMs, this.stopping.signal);
      })
      .finally(() => {
        this.reconciling = null;
        if (this.again && !this.stopping.signal.aborted) {
          this.again = false;
          this.reconcile();
        }
      });
  }

  private async apply(): Promise<void> {
    const { queue } = this.options;
    const plan = planJobs(this.nodes, this.checks, this.options.probe);
    if (!this.cleaned) {
      // Schedulers left by an earlier plan (another run, a deleted check) go too.
      for (const existing of await queue.getJobSchedulers(0, -1)) {
        if (existing.key !== undefined && !plan.has(existing.key))
          this.scheduled.set(existing.key, '');
      }
      this.cleaned = true;
    }
    const removals = [...this.scheduled.keys()].filter((id) => !plan.has(id));
    const upserts = [...plan.values()].filter(
      (p) => this.scheduled.get(p.id) !== JSON.stringify(p),
    );
    await inBatches(removals, async (id) => {
      await queue.removeJobScheduler(id);
      this.scheduled.delete(id);
    });
    await inBatches(upserts, async (planned) => {
      await upsert(queue, planned);
      this.scheduled.set(planned.id, JSON.stringify(planned));
    });
    metrics.setGauge('esm.schedulers', this.scheduled.size);
    if (removals.length + upserts.length > 0) {
      this.options.logger.info(
        { added: upserts.length, removed: removals.length, total: this.scheduled.size },
        'esm: external checks scheduled',
      );
    }
  }

  /** A Redis that came back empty (restarted without persistence) gets every scheduler again. */
  private async selfCheck(): Promise<void> {
    if (this.reconciling !== null || this.scheduled.size === 0) return;
    try {
      const count = await this.options.queue.getJobSchedulersCount();
      if (count >= this.scheduled.size) return;
      this.options.logger.warn(
        { expected: this.scheduled.size, found: count },
        'esm: job schedulers missing in Redis; scheduling again',
      );
      this.scheduled.clear();
      this.reconcile();
    } catch {
      // Redis is down: the connection logs it; the next tick tries again.
    }
  }
}

function upsert(queue: Queue, planned: PlannedJob): Promise<unknown> {
  return queue.upsertJobScheduler(
    planned.id,
    { every: planned.everyMs, offset: stagger(planned.id, planned.everyMs) },
    {
      name: planned.job.kind,
      data: planned.job,
      opts: { removeOnComplete: true, removeOnFail: 100, attempts: 1 },
    },
  );
}

/** A fixed slot within the interval per id (FNV-1a), so that checks do not all fire at once. */
export function stagger(id: string, everyMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % everyMs;
}

async function inBatches<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(PARALLEL_UPSERTS, items.length) }, async () => {
    while (next < items.length) await run(items[next++]);
  });
  await Promise.all(lanes);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
