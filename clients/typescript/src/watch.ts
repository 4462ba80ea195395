// A blocking-query loop over any read, with the client rules Consul documents (reference 1.3):
// index reset when it goes backwards, 0 treated as 1, a token bucket against tight loops, capped
// exponential back-off with jitter on errors. It reports only real changes (deep compare).
import { EventEmitter } from 'node:events';

import { abortError, ConsulError, isAbortError } from './errors';
import { deepEqual } from './equal';
import { durationMs, type QueryMeta, type QueryResult } from './transport';

/** What a watch passes to its fetcher on every round. */
export interface WatchQuery {
  /** The index to block on (0 on the first round and after a reset: answer at once). */
  index: number;
  /** Block time in ms, already jittered. */
  wait: number;
  /** Aborted when the watch stops. */
  signal: AbortSignal;
}

/** Any read returning `{ data, meta }`, e.g. `(q) => consul.kv.get('k', q)`. */
export type Fetcher<T> = (query: WatchQuery) => Promise<QueryResult<T>>;

export interface WatchOptions<T> {
  /** Blocking wait per request: ms or Go duration (default 60 s). Each round asks for up to 1/16 less, at random, so watchers started together spread out. */
  wait?: number | string;
  /** Stops the watch when aborted. */
  signal?: AbortSignal;
  /** Back-off after errors: `initialMs` (100) doubled per failure up to `maxMs` (30 000), ±50 % jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Token bucket limiting rounds: `perSecond` (20) with `burst` (2). */
  rateLimit?: { perSecond?: number; burst?: number };
  /** Equality deciding whether new data is a change (default deep equality). */
  isEqual?: (previous: T, next: T) => boolean;
  /** Callback form: called with every change, the first result included. */
  onChange?: (change: WatchChange<T>) => void;
  /** Callback form: called with every failed round (the watch retries unless `fatal`). */
  onError?: (error: Error, info: WatchErrorInfo) => void;
}

export interface WatchChange<T> {
  data: T;
  /** Data of the previous change; undefined for the first result. */
  previous: T | undefined;
  meta: QueryMeta;
}

export interface WatchErrorInfo {
  /** Consecutive failures so far. */
  attempt: number;
  /** Delay before the next try; undefined when the error ended the watch. */
  retryInMs?: number;
  /** True when the watch stopped because of this error (400, 405, unknown endpoint). */
  fatal: boolean;
}

/**
 * A running watch. Events: `change` (WatchChange), `error` (Error, WatchErrorInfo; only emitted
 * when someone listens), `end`. It is also an async iterable of changes; each iterator starts with
 * the latest change, and leaving the loop stops the watch.
 */
export class Watch<T> extends EventEmitter implements AsyncIterable<WatchChange<T>> {
  /** The latest change reported, if any. */
  latest: WatchChange<T> | undefined;
  /** The index the next round blocks on. */
  index = 0;
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;
  private fatalError: Error | undefined;
  private ended = false;

  constructor(
    private readonly fetcher: Fetcher<T>,
    private readonly options: WatchOptions<T> = {},
  ) {
    super();
    if (options.onChange) this.on('change', options.onChange);
    if (options.onError) this.on('error', options.onError);
    const outer = options.signal;
    if (outer?.aborted) this.controller.abort(outer.reason);
    const onOuterAbort = (): void => this.stop();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.once('end', () => outer?.removeEventListener('abort', onOuterAbort));
    // Start on the next tick so that listeners attached right after creation see the first result.
    this.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /** Stops the loop and aborts the request in flight. */
  stop(): void {
    if (!this.controller.signal.aborted) this.controller.abort();
  }

  /** Resolves when the loop has ended (after `stop()`, abort, or a fatal error). */
  get finished(): Promise<void> {
    return this.done;
  }

  /** Whether the loop is still running. */
  get running(): boolean {
    return !this.ended;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const waitMs = durationMs(this.options.wait ?? 60_000);
    const initialBackoff = this.options.backoff?.initialMs ?? 100;
    const maxBackoff = this.options.backoff?.maxMs ?? 30_000;
    const bucket = new TokenBucket(
      this.options.rateLimit?.perSecond ?? 20,
      this.options.rateLimit?.burst ?? 2,
    );
    const isEqual = this.options.isEqual ?? deepEqual;
    let attempt = 0;
    try {
      while (!signal.aborted) {
        const throttled = bucket.take(signal);
        if (throttled) await throttled;
        let result: QueryResult<T>;
        // After an error the agent may have restarted with older state, and a server blocks
        // (rather than answers) on an index ahead of its own: re-read without blocking first.
        const requestIndex = attempt > 0 ? 0 : this.index;
        try {
          const wait = Math.max(1, Math.round(waitMs - (Math.random() * waitMs) / 16));
          result = await this.fetcher({ index: requestIndex, wait, signal });
        } catch (error) {
          if (signal.aborted || isAbortError(error)) break;
          attempt++;
          const err = error instanceof Error ? error : new Error(String(error));
          if (isFatal(err)) {
            this.fatalError = err;
            this.report(err, { attempt, fatal: true });
            break;
          }
          const base = Math.min(maxBackoff, initialBackoff * 2 ** (attempt - 1));
          const retryInMs = Math.round(base / 2 + (Math.random() * base) / 2);
          this.report(err, { attempt, retryInMs, fatal: false });
          await sleep(retryInMs, signal);
          continue;
        }
        attempt = 0;
        const returned = result.meta.index > 0 ? result.meta.index : 1;
        // A lower index than the one we blocked on means the server's state was reset (restore,
        // new data dir, tombstone GC): start over with a non-blocking read.
        this.index = requestIndex > 0 && returned < requestIndex ? 0 : returned;
        const previous = this.latest;
        if (previous === undefined || !isEqual(previous.data, result.data)) {
          this.latest = { data: result.data, previous: previous?.data, meta: result.meta };
          this.emit('change', this.latest);
        }
      }
    } catch (error) {
      if (!isAbortError(error)) throw error;
    } finally {
      this.ended = true;
      this.emit('end');
    }
  }

  private report(error: Error, info: WatchErrorInfo): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, info);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchChange<T>> {
    const queue: WatchChange<T>[] = this.latest ? [this.latest] : [];
    let wake: (() => void) | undefined;
    const onChange = (change: WatchChange<T>): void => {
      queue.push(change);
      wake?.();
    };
    const onEnd = (): void => wake?.();
    this.on('change', onChange);
    this.on('end', onEnd);
    const detach = (): void => {
      this.off('change', onChange);
      this.off('end', onEnd);
    };
    return {
      next: async (): Promise<IteratorResult<WatchChange<T>>> => {
        while (queue.length === 0 && !this.ended) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        const value = queue.shift();
        if (value !== undefined) return { value, done: false };
        detach();
        if (this.fatalError) throw this.fatalError;
        return { value: undefined, done: true };
      },
      return: async (): Promise<IteratorResult<WatchChange<T>>> => {
        detach();
        this.stop();
        await this.done;
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * Starts a watch over any blocking read.
 *
 * ```ts
 * const w = watch((q) => consul.kv.get('app/flag', q), { wait: '30s' });
 * w.on('change', ({ data }) => console.log(kvText(data)));
 * // or: for await (const { data } of w) { … }
 * ```
 */
export function watch<T>(fetcher: Fetcher<T>, options?: WatchOptions<T>): Watch<T> {
  return new Watch(fetcher, options);
}

/** Errors no retry can fix: a rejected request, a wrong method, an endpoint the agent lacks. */
function isFatal(error: Error): boolean {
  if (!(error instanceof ConsulError)) return false;
  return (
    error.status === 400 ||
    error.status === 405 ||
    (error.status === 404 && error.body.startsWith('Invalid URL path'))
  );
}

/** Token bucket: `burst` rounds back to back, then one per 1/perSecond s. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token: undefined when one was available, else a promise resolving when it is. */
  take(signal: AbortSignal): Promise<void> | undefined {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return sleep(((1 - this.tokens) * 1000) / this.perSecond, signal).then(() => {
      this.tokens = 0;
      this.last = Date.now();
    });
  }
}

/** setTimeout as a promise that rejects with AbortError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
