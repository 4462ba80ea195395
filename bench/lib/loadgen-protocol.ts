// Messages between a bench (parent) and its load-generator processes (loadgen-worker.ts).
import type { HistogramBuckets } from './histogram';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * One request shape, expanded per key. In `path` and `body` these tokens are replaced:
 * `{key}` the key, `{keyB64}` the key in base64, `{value}` the value, `{valueB64}` it in base64.
 */
export interface RequestTemplate {
  method: HttpMethod;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Keys `${prefix}${i}` (i zero-padded to 5 digits) for i in [0, count), each with one value. */
export interface KeySpace {
  prefix: string;
  count: number;
  valueBytes: number;
}

export interface Target {
  host: string;
  port: number;
}

/** Closed loop: each client sends its next request when its previous response has ended. */
export interface ClosedLoopSpec {
  target: Target;
  request: RequestTemplate;
  keys: KeySpace;
  /** `random`: uniform keys for warm-up + duration; `each-once`: every key once, then stop. */
  order: 'random' | 'each-once';
  warmupMs: number;
  durationMs: number;
}

/** A concrete request (no tokens). */
export interface PlainRequest {
  method: HttpMethod;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Many long-lived requests on one key, each on its own connection, then one write. */
export interface FanoutSpec {
  target: Target;
  watchers: number;
  watch: PlainRequest;
  /** If set, a watcher is registered once its stream has carried this text (etcd `"created"`). */
  readyMarker?: string;
  /** If set, the change has arrived once this text appears; otherwise on any byte. */
  eventMarker?: string;
  /** Without a ready marker, wait this long after the last request was flushed. */
  settleMs: number;
  /** Sent on the trigger's connection while arming, so that its connect is not timed. */
  prime: PlainRequest;
  trigger: PlainRequest;
  timeoutMs: number;
}

export type ToWorker =
  | { type: 'closed-loop'; spec: ClosedLoopSpec; clients: number; startAtEpochMs: number }
  | { type: 'fanout-arm'; spec: FanoutSpec }
  | { type: 'fanout-fire' }
  | { type: 'exit' };

export interface ClosedLoopResult {
  type: 'closed-loop-result';
  ops: number;
  errors: number;
  errorSamples: string[];
  histogram: { buckets: HistogramBuckets; max: number };
  /** Length of the measured window (each-once: first request to last response). */
  windowMs: number;
  /** This load generator's own CPU time over the window. */
  loadgenCpuMs: number;
}

export interface FanoutArmed {
  type: 'fanout-armed';
  connected: number;
  ready: number;
  /** Watchers that got a response or lost their connection before the trigger. */
  early: number;
  earlySamples: string[];
  armMs: number;
}

export interface FanoutResult {
  type: 'fanout-result';
  /** Latency of the triggering write (request sent to response ended), ms. */
  triggerMs: number;
  /** Per watcher: ms from the trigger's response to the change's arrival (negative: before). */
  arrivalsMs: number[];
  missing: number;
}

export type FromWorker =
  ClosedLoopResult | FanoutArmed | FanoutResult | { type: 'error'; message: string };
