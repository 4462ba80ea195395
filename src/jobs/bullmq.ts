// The job-queue port on Redis through BullMQ: one BullMQ queue per job name (under the
// configured prefix and this queue's scope), a Worker per registered handler, per-key dedupe by
// BullMQ deduplication ids (one waiting job per key, the newest payload kept while one runs),
// retries with exponential backoff. Jobs outlive the process: a job this process enqueued and
// did not run is run by whoever registers its name next, here or elsewhere.
import { randomUUID } from 'node:crypto';

import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import { metrics } from '../telemetry';
import {
  JobQueueClosedError,
  type EnqueueOptions,
  type EnqueuedJob,
  type HandlerOptions,
  type JobHandler,
  type JobQueue,
} from './queue';
import { connectRedis, probeRedis, reconnectDelayMs } from './redis';

export interface BullMqJobQueueOptions {
  /** redis://host:port/db */
  redis: string;
  /** BullMQ key prefix (jobs.prefix). */
  prefix: string;
  /**
   * Namespace of the queue names: jobs that only this process can run (the renderer's, which
   * name its in-memory templates) use a scope of their own, e.g. the node name.
   */
  scope: string;
  logger: Logger;
  /** Tries per job before it fails for good; default 5. */
  attempts?: number;
  /** First retry delay, doubled each time; default 1 s. */
  backoffMs?: number;
  /** How long a worker's claim on a job lasts without renewal (a dead worker's jobs come back after it); default 30 s. */
  lockDurationMs?: number;
}

export class BullMqJobQueue implements JobQueue {
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, { events: QueueEvents; connection: Redis }>();
  private readonly workers = new Map<string, Worker>();
  private readonly waiting = new Set<(error: Error) => void>();
  private closed = false;

  /** Checks that Redis answers (RedisUnavailableError otherwise), then opens the queue. */
  static async connect(options: BullMqJobQueueOptions): Promise<BullMqJobQueue> {
    await probeRedis(options.redis);
    return new BullMqJobQueue(options);
  }

  constructor(private readonly options: BullMqJobQueueOptions) {
    this.connection = connectRedis(options.redis, options.logger, `jobs ${options.scope}`);
  }

  /** The client every queue and worker of this instance shares (workers duplicate it). */
  get redis(): Redis {
    return this.connection;
  }

  /** The BullMQ queue of job `name` (created on first use). */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(this.queueName(name), {
        connection: this.connection,
        prefix: this.options.prefix,
      });
      queue.on('error', () => undefined); // the connection's outage is logged once, in redis.ts
      this.queues.set(name, queue);
    }
    return queue;
  }

  register<P>(name: string, handler: JobHandler<P>, options: HandlerOptions = {}): void {
    if (this.workers.has(name)) throw new Error(`job handler already registered: ${name}`);
    if (this.closed) throw new JobQueueClosedError(name);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(
        `job handler ${name}: concurrency must be a positive integer, not ${concurrency}`,
      );
    }
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    const labels = { queue: name };
    const worker = new Worker(
      this.queueName(name),
      async (job: Job) => {
        const started = performance.now();
        try {
          await handler(job.data as P, {
            id: job.id ?? '',
            name,
            attempt: job.attemptsMade + 1,
          });
          metrics.incrCounter('jobs.processed', 1, labels);
        } catch (error) {
          metrics.incrCounter('jobs.failed', 1, labels);
          throw error;
        } finally {
          metrics.measureSince('jobs.run', started, labels);
        }
      },
      {
        connection: this.connection,
        prefix: this.options.prefix,
        concurrency,
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: 10,
        // Reconnect pace of the worker's blocking client.
        runRetryDelay: reconnectDelayMs(3),
      },
    );
    // One line per outage-sized window, not one per failed call.
    let loggedAt = 0;
    worker.on('error', (err) => {
      if (Date.now() - loggedAt < 30_000) return;
      loggedAt = Date.now();
      this.options.logger.warn(
        { queue: name, err: err.message },
        'job worker error; retrying with backoff',
      );
    });
    worker.on('failed', (job, err) => {
      this.options.logger.warn(
        { queue: name, job: job?.id, attempt: job?.attemptsMade, err: err.message },
        'job failed',
      );
    });
    this.workers.set(name, worker);
  }

  enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): EnqueuedJob {
    const id = randomUUID();
    if (this.closed) {
      const finished = Promise.reject(new JobQueueClosedError(name));
      finished.catch(() => undefined);
      return {
        id,
        deduplicated: false,
        finished,
        accepted: finished.then(() => ({ id, deduplicated: false })),
      };
    }
    const added = this.queue(name).add(name, payload, {
      jobId: id,
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
      // Kept a while: waitUntilFinished reads the finished job.
      removeOnComplete: { count: 1000 },
      removeOnFail: 1000,
      ...(options.key === undefined
        ? {}
        : { deduplication: { id: `${name}:${options.key}`, keepLastIfActive: true } }),
    });
    const accepted = added.then((job) => ({ id: job.id ?? id, deduplicated: job.id !== id }));
    accepted.catch(() => undefined);
    let finished: Promise<void> | undefined;
    const waitFor = async (): Promise<void> => {
      const job = await added;
      await new Promise<void>((resolve, reject) => {
        const abort = (error: Error): void => reject(error);
        this.waiting.add(abort);
        job.waitUntilFinished(this.queueEvents(name)).then(
          () => {
            this.waiting.delete(abort);
            resolve();
          },
          (error: unknown) => {
            this.waiting.delete(abort);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    };
    return {
      id,
      deduplicated: false,
      accepted,
      // Waiting costs a subscription: only set up when someone asks.
      get finished(): Promise<void> {
        finished ??= waitFor();
        return finished;
      },
    };
  }

  async idle(): Promise<void> {
    for (;;) {
      let busy = 0;
      for (const queue of this.queues.values()) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        busy += Object.values(counts).reduce((sum, n) => sum + n, 0);
      }
      if (busy === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reject of this.waiting) reject(new JobQueueClosedError('(closing)'));
    this.waiting.clear();
    await Promise.allSettled([...this.workers.values()].map((worker) => worker.close()));
    await Promise.allSettled([...this.events.values()].map(({ events }) => events.close()));
    for (const { connection } of this.events.values()) connection.disconnect();
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }

  private queueEvents(name: string): QueueEvents {
    let entry = this.events.get(name);
    if (entry === undefined) {
      // QueueEvents blocks on its connection: it needs one of its own.
      const connection = this.connection.duplicate();
      connection.on('error', () => undefined);
      const events = new QueueEvents(this.queueName(name), {
        connection,
        prefix: this.options.prefix,
      });
      events.on('error', () => undefined);
      entry = { events, connection };
      this.events.set(name, entry);
    }
    return entry.events;
  }

  private queueName(name: string): string {
    return `${this.options.scope}.${name}`;
  }
}
