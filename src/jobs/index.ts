// Background jobs: a port (JobQueue) with an in-process implementation by default; a BullMQ
// implementation on Redis will sit beside it behind the same interface.
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
