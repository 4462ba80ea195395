// Network coordinates on agents (Consul's Coordinate endpoint and agent.sendCoordinate): a server
// keeps the updates agents send, latest per node and segment, and flushes them through Raft
// every update period; every agent, server or client, sends its own LAN coordinate on the sync
// interval — a server into its own batcher, a client to a server (lanCoordinateSync's `send`).
import type { Logger } from 'pino';

import {
  COORDINATE_UPDATE_PERIOD_MS,
  CoordinateBatcher,
  DEV_COORDINATE_UPDATE_PERIOD_MS,
  startCoordinateSync,
  type CoordinateSync,
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

/**
 * Sends this agent's LAN coordinate (segment "") through `send` every
 * sync_coordinate_interval_min (scaled by the LAN pool's size); null with disable_coordinates.
 */
export function lanCoordinateSync(
  config: AgentConfig,
  membership: AgentMembership,
  send: (update: CoordinateUpdate) => Promise<void>,
  logger: Logger,
): CoordinateSync | null {
  if (config.coordinates.disabled) return null;
  return startCoordinateSync({
    node: config.nodeName,
    intervalMinMs: config.coordinates.syncIntervalMinMs,
    rateTarget: config.coordinates.syncRateTarget,
    coordinates: () => {
      const own = membership.lan.getCoordinate();
      return new Map(own === null ? [] : [['', own]]);
    },
    memberCount: () => membership.lan.members().length,
    send,
    onError: (error) => logger.error({ err: error }, 'Coordinate update error'),
  });
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
  const sync = lanCoordinateSync(config, membership, async (u) => batcher.add(u), logger);
  return {
    update: (update) => batcher.add(update),
    stop: () => {
      sync?.stop();
      clearInterval(timer);
    },
  };
}
