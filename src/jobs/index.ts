// Background jobs: a port (JobQueue) with an in-process implementation by default and a BullMQ
// implementation on Redis when `jobs { redis = "…" }` is configured.
import type { Logger } from 'pino';

import type { JobsConfig } from '../config';
import { BullMqJobQueue } from './bullmq';
import { InProcessJobQueue } from './in-process';
import type { JobQueue } from './queue';

export type {
  JobQueue,
  JobHandler,
  JobInfo,
  HandlerOptions,
  EnqueueOptions,
  EnqueuedJob,
} from './queue';
export { JobQueueClosedError } from './queue';
export { InProcessJobQueue } from './in-process';
export { BullMqJobQueue, type BullMqJobQueueOptions } from './bullmq';
export { connectRedis, probeRedis, RedisUnavailableError, watchOutages } from './redis';

/**
 * The queue `jobs {}` asks for: BullMQ on Redis (checked at once: RedisUnavailableError when it
 * does not answer) or the in-process queue. `scope` names the queues of this process's jobs.
 */
export async function createJobQueue(
  jobs: JobsConfig,
  scope: string,
  logger: Logger,
): Promise<JobQueue> {
  if (jobs.redis === null) return new InProcessJobQueue();
  return BullMqJobQueue.connect({ redis: jobs.redis, prefix: jobs.prefix, scope, logger });
}
