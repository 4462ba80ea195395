// The default job queue: everything in this process, FIFO, serial per dedupe key.
import {
  JobQueueClosedError,
  type EnqueueOptions,
  type EnqueuedJob,
  type HandlerOptions,
  type JobHandler,
  type JobQueue,
} from './queue';

interface Registered {
  handler: JobHandler<unknown>;
  concurrency: number;
  running: number;
}

interface PendingJob {
  id: string;
  name: string;
  /** name + key, or null when the job was enqueued without a key. */
  slot: string | null;
  payload: unknown;
  finished: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export class InProcessJobQueue implements JobQueue {
  private readonly handlers = new Map<string, Registered>();
  private readonly waiting: PendingJob[] = [];
  private readonly waitingBySlot = new Map<string, PendingJob>();
  private readonly runningSlots = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private nextId = 1;
  private closed = false;

  register<P>(name: string, handler: JobHandler<P>, options: HandlerOptions = {}): void {
    if (this.handlers.has(name)) throw new Error(`job handler already registered: ${name}`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(
        `job handler ${name}: concurrency must be a positive integer, not ${concurrency}`,
      );
    }
    this.handlers.set(name, {
      handler: handler as JobHandler<unknown>,
      concurrency,
      running: 0,
    });
    this.pump();
  }

  enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): EnqueuedJob {
    const slot = options.key === undefined ? null : `${name}\u0000${options.key}`;
    const joined = slot === null ? undefined : this.waitingBySlot.get(slot);
    if (joined !== undefined) {
      joined.payload = payload;
      const result = { id: joined.id, deduplicated: true };
      return { ...result, finished: joined.finished, accepted: Promise.resolve(result) };
    }
    const id = String(this.nextId++);
    if (this.closed) {
      const finished = Promise.reject(new JobQueueClosedError(name));
      finished.catch(() => undefined);
      const accepted = finished.then(() => ({ id, deduplicated: false }));
      accepted.catch(() => undefined);
      return { id, deduplicated: false, finished, accepted };
    }
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const finished = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The enqueuer may not care about the outcome; an unobserved failure must not crash us.
    finished.catch(() => undefined);
    const job: PendingJob = { id, name, slot, payload, finished, resolve, reject };
    this.waiting.push(job);
    if (slot !== null) this.waitingBySlot.set(slot, job);
    this.pump();
    return {
      id,
      deduplicated: false,
      finished,
      accepted: Promise.resolve({ id, deduplicated: false }),
    };
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new JobQueueClosedError(job.name));
    this.waitingBySlot.clear();
    await Promise.allSettled([...this.running]);
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.running.size === 0;
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length;) {
      const job = this.waiting[i];
      const registered = this.handlers.get(job.name);
      const blocked =
        registered === undefined ||
        registered.running >= registered.concurrency ||
        (job.slot !== null && this.runningSlots.has(job.slot));
      if (blocked) {
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(job, registered);
    }
  }

  private start(job: PendingJob, registered: Registered): void {
    if (job.slot !== null) {
      this.waitingBySlot.delete(job.slot);
      this.runningSlots.add(job.slot);
    }
    registered.running += 1;
    const run = Promise.resolve()
      .then(() => registered.handler(job.payload, { id: job.id, name: job.name, attempt: 1 }))
      .then(
        () => job.resolve(),
        (error: unknown) => job.reject(error),
      )
      .finally(() => {
        registered.running -= 1;
        if (job.slot !== null) this.runningSlots.delete(job.slot);
        this.running.delete(run);
        if (!this.closed) this.pump();
        if (this.isIdle()) this.notifyIdle();
      });
    this.running.add(run);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
