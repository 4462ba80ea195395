// What servers do with the coordinates agents send (Consul's Coordinate.Update endpoint): keep
// the latest per node and segment, and every update period hand at most maxBatches batches of
// batchSize to Raft, dropping the rest. Pure: the host calls flush() on its own timer.
import type { Coordinate } from './vivaldi';

/** One node's coordinate in one network segment ("" in CE). */
export interface CoordinateUpdate {
  node: string;
  segment: string;
  coord: Coordinate;
}

export interface CoordinateBatchLimits {
  /** Consul's coordinate_update_batch_size (128). */
  batchSize: number;
  /** Consul's coordinate_update_max_batches (5). */
  maxBatches: number;
}

export const COORDINATE_BATCH_DEFAULTS: Readonly<CoordinateBatchLimits> = Object.freeze({
  batchSize: 128,
  maxBatches: 5,
});

/** Consul's coordinate_update_period: 5 s, and 100 ms in -dev. */
export const COORDINATE_UPDATE_PERIOD_MS = 5000;
export const DEV_COORDINATE_UPDATE_PERIOD_MS = 100;

export class CoordinateBatcher {
  private pending = new Map<string, CoordinateUpdate>();

  constructor(private readonly limits: CoordinateBatchLimits = COORDINATE_BATCH_DEFAULTS) {}

  /** Queues an update; a newer one for the same node and segment replaces it. */
  add(update: CoordinateUpdate): void {
    this.pending.set(`${update.node}\0${update.segment}`, update);
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Takes everything queued: the batches to apply, in arrival order, and how many updates were
   * discarded beyond batchSize × maxBatches.
   */
  flush(): { batches: CoordinateUpdate[][]; discarded: number } {
    const all = [...this.pending.values()];
    this.pending = new Map();
    const { batchSize, maxBatches } = this.limits;
    const kept = all.slice(0, batchSize * maxBatches);
    const batches: CoordinateUpdate[][] = [];
    for (let i = 0; i < kept.length; i += batchSize) batches.push(kept.slice(i, i + batchSize));
    return { batches, discarded: all.length - kept.length };
  }
}
