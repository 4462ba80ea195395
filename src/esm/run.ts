// Assembles the monitor for the agent (`esm {}`) and for `consulate esm`: checks that Redis
// answers, then starts the coordinator and/or a worker on one shared connection.
import { Queue } from 'bullmq';
import type { Logger } from 'pino';

import { connectRedis, probeRedis } from '../jobs';
import { EsmCatalog } from './catalog';
import type { NodeProbeSettings } from './plan';
import { EsmScheduler } from './scheduler';
import { ESM_QUEUE, EsmWorker } from './worker';

export interface EsmSettings {
  /** Base URL of the agent's HTTP API. */
  agentUrl: string;
  token?: string | null;
  redis: string;
  prefix: string;
  externalNodeMeta: Record<string, string>;
  probe: NodeProbeSettings;
  retryMs: number;
  /** Keep the job schedulers in step with the catalog. */
  coordinate: boolean;
  /** Checks run at once by this process; 0 runs none. */
  concurrency: number;
  lockDurationMs?: number;
  logger: Logger;
}

export interface RunningEsm {
  readonly scheduler: EsmScheduler | null;
  readonly worker: EsmWorker | null;
  stop(): Promise<void>;
}

export async function startEsm(settings: EsmSettings): Promise<RunningEsm> {
  await probeRedis(settings.redis);
  const logger = settings.logger;
  const connection = connectRedis(settings.redis, logger, 'esm');
  const catalog = new EsmCatalog(
    settings.agentUrl,
    settings.externalNodeMeta,
    settings.token ?? null,
  );
  let queue: Queue | null = null;
  let scheduler: EsmScheduler | null = null;
  if (settings.coordinate) {
    queue = new Queue(ESM_QUEUE, { connection, prefix: settings.prefix });
    queue.on('error', () => undefined); // the connection logs the outage once
    scheduler = new EsmScheduler({
      catalog,
      queue,
      probe: settings.probe,
      logger,
      retryMs: settings.retryMs,
    });
    scheduler.start();
  }
  let worker: EsmWorker | null = null;
  if (settings.concurrency > 0) {
    worker = new EsmWorker({
      catalog,
      connection,
      prefix: settings.prefix,
      logger,
      concurrency: settings.concurrency,
      lockDurationMs: settings.lockDurationMs,
      retryMs: settings.retryMs,
    });
    worker.start();
  }
  return {
    scheduler,
    worker,
    async stop() {
      await scheduler?.stop();
      await worker?.stop();
      await queue?.close();
      connection.disconnect();
    },
  };
}
