// The agent cache (`?cached`): answers of the endpoints Consul caches are kept per request (path,
// query and token) and refreshed in the background by a blocking query on the servers, so that
// a cached read costs no server round trip. `Cache-Control: max-age=N` refuses older answers
// (fetched again), `stale-if-error=N` serves one up to N seconds old when that fetch fails;
// `X-Cache: HIT|MISS` and `Age` say what happened. A blocking `?cached&index=` waits on the
// cache entry, not on a server.
import type { FastifyInstance } from 'fastify';

import { parseDuration } from '../config';

import type { AgentContext } from './context';
import { HttpError } from './errors';
import type { ForwardedReply, ForwardedRequest } from './forwarded';

/** How one request is fetched uncached: a client forwards it, a server answers it itself. */
export type CacheFetch = (
  request: ForwardedRequest,
  signal: AbortSignal,
) => Promise<ForwardedReply>;

/** The endpoints Consul's agent cache serves (consul-api.md §0.3). */
const CACHED_ROUTES = [
  /^\/v1\/catalog\/services$/,
  /^\/v1\/catalog\/service\/[^/]+$/,
  /^\/v1\/health\/service\/[^/]+$/,
  /^\/v1\/catalog\/datacenters$/,
  /^\/v1\/query\/[^/]+\/execute$/,
];

/** An entry nobody asked for in this long stops refreshing and is dropped (Consul: 3 days). */
export const CACHE_ENTRY_TTL_MS = 72 * 3_600_000;
export const MAX_CACHE_ENTRIES = 2048;
const REFRESH_WAIT = '5m';
const REFRESH_RETRY_MS = 1000;
const DEFAULT_WAIT_MS = 5 * 60_000;

interface Entry {
  reply: ForwardedReply | null;
  index: number;
  /** When the servers last confirmed this answer (a fetch or a refresh that returned). */
  freshAtMs: number;
  lastUsedMs: number;
  /** The fetch in flight, shared by everyone who asks meanwhile. */
  fetching: Promise<ForwardedReply> | null;
  waiters: Set<() => void>;
  refresh: AbortController | null;
}

interface CacheControl {
  maxAgeMs: number | null;
  staleIfErrorMs: number | null;
}

export class AgentCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetch: CacheFetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `path` (without its query) is an endpoint the cache serves. */
  static caches(path: string): boolean {
    return CACHED_ROUTES.some((route) => route.test(path));
  }

  async answer(
    request: ForwardedRequest,
    control: CacheControl,
    minIndex: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<{ reply: ForwardedReply; hit: boolean; ageMs: number }> {
    const key = `${request.headers['x-consul-token'] ?? ''}\n${request.url}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = {
        reply: null,
        index: 0,
        freshAtMs: 0,
        lastUsedMs: this.now(),
        fetching: null,
        waiters: new Set(),
        refresh: null,
      };
      this.entries.set(key, entry);
      this.evict();
    }
    entry.lastUsedMs = this.now();
    const ageMs = this.now() - entry.freshAtMs;
    const tooOld = control.maxAgeMs !== null && ageMs > control.maxAgeMs;
    if (entry.reply === null || tooOld) {
      try {
        const reply = await this.fetchInto(entry, request, signal);
        this.startRefresh(key, entry, request);
        return { reply, hit: false, ageMs: 0 };
      } catch (error) {
        const stale = entry.reply;
        if (stale !== null && control.staleIfErrorMs !== null && ageMs <= control.staleIfErrorMs) {
          return { reply: stale, hit: true, ageMs };
        }
        throw error;
      }
    }
    if (minIndex > 0 && entry.index <= minIndex) await this.changed(entry, waitMs, signal);
    return { reply: entry.reply, hit: true, ageMs: this.now() - entry.freshAtMs };
  }

  /** Stops every background refresh. */
  close(): void {
    for (const entry of this.entries.values()) entry.refresh?.abort();
    this.entries.clear();
  }

  private fetchInto(
    entry: Entry,
    request: ForwardedRequest,
    signal: AbortSignal,
  ): Promise<ForwardedReply> {
    entry.fetching ??= this.fetch(request, signal)
      .then((reply) => {
        this.store(entry, reply);
        return reply;
      })
      .finally(() => (entry.fetching = null));
    return entry.fetching;
  }

  private store(entry: Entry, reply: ForwardedReply): void {
    entry.freshAtMs = this.now();
    if (reply.status !== 200) return;
    const index = Number(headerValue(reply.headers['x-consul-index']));
    const changed = entry.reply === null || index !== entry.index;
    entry.reply = reply;
    entry.index = Number.isSafeInteger(index) ? index : 0;
    if (!changed) return;
    for (const wake of entry.waiters) wake();
  }

  /** Keeps the entry current with a blocking query on its index until it goes unused. */
  private startRefresh(key: string, entry: Entry, request: ForwardedRequest): void {
    if (entry.refresh !== null) return;
    const stop = new AbortController();
    entry.refresh = stop;
    const loop = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        if (this.now() - entry.lastUsedMs > CACHE_ENTRY_TTL_MS) {
          this.entries.delete(key);
          return;
        }
        const separator = request.url.includes('?') ? '&' : '?';
        const url = `${request.url}${separator}index=${entry.index}&wait=${REFRESH_WAIT}`;
        try {
          this.store(entry, await this.fetch({ ...request, url }, stop.signal));
        } catch {
          if (stop.signal.aborted) return;
          await new Promise((resolve) => setTimeout(resolve, REFRESH_RETRY_MS).unref());
        }
      }
    };
    void loop();
  }

  /** Resolves when the entry's index moves, the wait passes or the caller goes away. */
  private changed(entry: Entry, waitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        entry.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      entry.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Drops the least recently used entries past the bound. */
  private evict(): void {
    if (this.entries.size <= MAX_CACHE_ENTRIES) return;
    const byUse = [...this.entries.entries()].sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs);
    for (const [key, entry] of byUse.slice(0, this.entries.size - MAX_CACHE_ENTRIES)) {
      entry.refresh?.abort();
      this.entries.delete(key);
    }
  }
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** `max-age=N` and `stale-if-error=N` of a Cache-Control header, in milliseconds. */
export function parseCacheControl(header: string | undefined): CacheControl {
  const control: CacheControl = { maxAgeMs: null, staleIfErrorMs: null };
  for (const directive of (header ?? '').split(',')) {
    const [name, value] = directive.trim().split('=');
    const seconds = Number(value);
    if (value === undefined || !Number.isInteger(seconds) || seconds < 0) continue;
    if (name.toLowerCase() === 'max-age') control.maxAgeMs = seconds * 1000;
    if (name.toLowerCase() === 'stale-if-error') control.staleIfErrorMs = seconds * 1000;
  }
  return control;
}

/**
 * Serves `?cached` reads of the cached endpoints from `cache`; everything else passes through.
 * Runs before ACLs here: what is cached was fetched with the request's own token.
 */
export function serveCached(
  fastify: FastifyInstance,
  context: AgentContext,
  cache: AgentCache,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET') return;
    const at = request.url.indexOf('?');
    if (at === -1) return;
    const query = new URLSearchParams(request.url.slice(at + 1));
    if (!query.has('cached') || !AgentCache.caches(request.url.slice(0, at))) return;
    if (query.has('consistent')) {
      throw new HttpError(400, 'Cannot specify ?cached with ?consistent, conflicting semantics.');
    }
    const minIndex = Number(query.get('index') ?? '0');
    const wait = query.get('wait');
    query.delete('cached');
    query.delete('index');
    query.delete('wait');
    const rest = query.toString();
    const url = `${request.url.slice(0, at)}${rest === '' ? '' : `?${rest}`}`;
    const headers: Record<string, string> = {};
    for (const name of ['x-consul-token', 'authorization', 'accept-encoding']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const control = parseCacheControl(request.headers['cache-control']);
    const waitMs =
      wait === null ? DEFAULT_WAIT_MS : parseWaitMs(wait, context.runtime.config.maxQueryTimeMs);
    const {
      reply: answer,
      hit,
      ageMs,
    } = await cache.answer(
      { method: 'GET', url, headers, body: new Uint8Array(0) },
      control,
      Number.isSafeInteger(minIndex) ? minIndex : 0,
      waitMs,
      gone.signal,
    );
    reply.code(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    reply.header('x-cache', hit ? 'HIT' : 'MISS').header('age', String(Math.floor(ageMs / 1000)));
    await reply.send(Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.length));
    return reply;
  });
}

function parseWaitMs(text: string, maxMs: number): number {
  let waitMs: number;
  try {
    waitMs = parseDuration(text);
  } catch {
    throw new HttpError(400, 'Invalid wait time');
  }
  return waitMs <= 0 ? DEFAULT_WAIT_MS : Math.min(maxMs, waitMs);
}
