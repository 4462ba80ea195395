// The job-queue port: named handlers, jobs enqueued with a JSON payload, and per-key dedupe.
// The in-process queue is the default; the BullMQ queue (bullmq.ts) implements it on Redis:
// payloads are plain JSON and nothing but the handler's outcome crosses back to the enqueuer.

/** What a handler is told about the job it runs. */
export interface JobInfo {
  id: string;
  name: string;
  /** 1 on the first try. */
  attempt: number;
}

export type JobHandler<P> = (payload: P, job: JobInfo) => Promise<void>;

export interface HandlerOptions {
  /** Jobs of this name that may run at once (different keys only); default 1. */
  concurrency?: number;
}

export interface EnqueueOptions {
  /**
   * Jobs sharing a key never run at the same time, and while one is still waiting a new one
   * with that key joins it instead of queueing again (its payload replaces the waiting one's).
   * A job enqueued while its key's job is running waits for it and then runs once.
   */
  key?: string;
}

export interface EnqueuedJob {
  id: string;
  /**
   * True when the job joined one that was already waiting. A queue on Redis only knows once
   * the job is accepted: there it is false here and `accepted` tells.
   */
  deduplicated: boolean;
  /** Resolves once the queue holds the job (at once in process; after Redis answered on BullMQ). */
  accepted: Promise<{ id: string; deduplicated: boolean }>;
  /** Settles when the job has run: rejects with the handler's error. */
  finished: Promise<void>;
}

export interface JobQueue {
  /** One handler per name; registering twice is an error. */
  register<P>(name: string, handler: JobHandler<P>, options?: HandlerOptions): void;
  enqueue<P>(name: string, payload: P, options?: EnqueueOptions): EnqueuedJob;
  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void>;
  /** Stops taking jobs, waits for running ones; waiting jobs are dropped (their finished rejects). */
  close(): Promise<void>;
}

export class JobQueueClosedError extends Error {
  constructor(name: string) {
    super(`job queue is closed: cannot run job ${name}`);
    this.name = 'JobQueueClosedError';
  }
}
