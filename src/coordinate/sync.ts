// An agent's periodic report of its own LAN coordinate (Consul's agent.sendCoordinate): every
// max(interval_min, members / rate_target s) plus a random stagger of up to as much again, one
// update per segment through `send` — into the local batcher on a server, Coordinate.Update
// over RPC on a client. The timer and randomness are injected so tests can drive it.
import type { CoordinateUpdate } from './batch';
import type { Coordinate, RandomSource } from './vivaldi';

/** Consul's sync_coordinate_interval_min and sync_coordinate_rate_target. */
export const SYNC_COORDINATE_INTERVAL_MIN_MS = 15_000;
export const SYNC_COORDINATE_RATE_TARGET = 64;

export interface CoordinateSyncTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CoordinateSyncOptions {
  node: string;
  /** This agent's coordinate per segment ("" in CE); an empty map sends nothing. */
  coordinates: () => ReadonlyMap<string, Coordinate>;
  /** LAN members now: the interval scales with them. */
  memberCount: () => number;
  send: (update: CoordinateUpdate) => Promise<void>;
  /** Told of a failed send (the loop carries on). */
  onError: (error: unknown) => void;
  intervalMinMs?: number;
  rateTarget?: number;
  random?: RandomSource;
  timers?: CoordinateSyncTimers;
}

export interface CoordinateSync {
  /** Sends now (as a tick would); resolves when every segment's send settled. */
  sendNow(): Promise<void>;
  stop(): void;
}

/** Consul's lib.RateScaledInterval: n items at `rate` per second, but never below `minMs`. */
export function rateScaledIntervalMs(rate: number, minMs: number, n: number): number {
  const interval = (1000 * n) / rate;
  return interval < minMs ? minMs : interval;
}

export function startCoordinateSync(options: CoordinateSyncOptions): CoordinateSync {
  const minMs = options.intervalMinMs ?? SYNC_COORDINATE_INTERVAL_MIN_MS;
  const rate = options.rateTarget ?? SYNC_COORDINATE_RATE_TARGET;
  const random = options.random ?? Math.random;
  const timers: CoordinateSyncTimers = options.timers ?? {
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  let stopped = false;
  let handle: unknown = null;

  const sendNow = async (): Promise<void> => {
    const sends = [...options.coordinates()].map(([segment, coord]) =>
      options.send({ node: options.node, segment, coord }).catch(options.onError),
    );
    await Promise.all(sends);
  };
  const schedule = (): void => {
    if (stopped) return;
    const interval = rateScaledIntervalMs(rate, minMs, options.memberCount());
    handle = timers.setTimeout(
      () => {
        void sendNow().finally(schedule);
      },
      interval + random() * interval,
    );
  };
  schedule();
  return {
    sendNow,
    stop: () => {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
    },
  };
}
