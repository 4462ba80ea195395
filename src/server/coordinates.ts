// The server's side of network coordinates (Consul's Coordinate endpoint and agent loop): the
// updates agents send are kept, latest per node and segment, and flushed through Raft every
// update period; this server's own LAN coordinate is sent the same way on the sync interval.
import type { Logger } from 'pino';

import {
  COORDINATE_UPDATE_PERIOD_MS,
  CoordinateBatcher,
  DEV_COORDINATE_UPDATE_PERIOD_MS,
  startCoordinateSync,
  type CoordinateUpdate,
} from '../coordinate';
import type { AgentConfig } from '../config';
import type { Command } from '../state';
import type { AgentMembership } from './membership';

export interface ServerCoordinates {
  /** Queues one update (Coordinate.Update); the caller validated it and checked node:write. */
  update(update: CoordinateUpdate): void;
  stop(): void;
}

export interface ServerCoordinatesOptions {
  config: AgentConfig;
  membership: AgentMembership;
  apply: (cmd: Command) => Promise<unknown>;
  logger: Logger;
}

export function startServerCoordinates(options: ServerCoordinatesOptions): ServerCoordinates {
  const { config, membership, apply, logger } = options;
  const batcher = new CoordinateBatcher();
  let flushing = false;
  const flush = async (): Promise<void> => {
    if (flushing || batcher.size === 0) return;
    flushing = true;
    try {
      const { batches, discarded } = batcher.flush();
      if (discarded > 0) logger.warn({ discarded }, `Discarded ${discarded} coordinate updates`);
      for (const updates of batches) {
        await apply({ type: 'coordinate-batch-update', updates });
      }
    } catch (error) {
      logger.warn({ err: error }, 'Failed to batch update coordinates');
    } finally {
      flushing = false;
    }
  };
  const period = config.dev ? DEV_COORDINATE_UPDATE_PERIOD_MS : COORDINATE_UPDATE_PERIOD_MS;
  const timer = setInterval(() => void flush(), period);
  timer.unref();
  // disable_coordinates: the pools compute none, and nothing is sent.
  if (config.coordinates.disabled) {
    return { update: (update) => batcher.add(update), stop: () => clearInterval(timer) };
  }
  const sync = startCoordinateSync({
    node: config.nodeName,
    intervalMinMs: config.coordinates.syncIntervalMinMs,
    rateTarget: config.coordinates.syncRateTarget,
    coordinates: () => {
      const own = membership.lan.getCoordinate();
      return new Map(own === null ? [] : [['', own]]);
    },
    memberCount: () => membership.lan.members().length,
    send: async (update) => batcher.add(update),
    onError: (error) => logger.error({ err: error }, 'Coordinate update error'),
  });
  return {
    update: (update) => batcher.add(update),
    stop: () => {
      sync.stop();
      clearInterval(timer);
    },
  };
}
