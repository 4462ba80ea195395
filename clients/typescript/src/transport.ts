// One HTTP exchange with the agent over node:http/https (keep-alive agent, TLS options, per-
// request timeout, AbortSignal), plus the query-string and header conventions every endpoint shares.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import { abortError, ConsulError, ConsulRequestError } from './errors';
import { parseConsulJson, stringifyConsulJson } from './json';
import type { Consistency, ResolvedOptions } from './options';

/** Metadata Consul returns with reads (from the `X-Consul-*` headers). */
export interface QueryMeta {
  /** `X-Consul-Index`: the index to block on next; 0 when the endpoint sent none. */
  index: number;
  /** `X-Consul-KnownLeader`. */
  knownLeader: boolean;
  /** `X-Consul-LastContact` in ms (0 on the leader). */
  lastContact: number;
  /** `X-Consul-Effective-Consistency`, when sent. */
  effectiveConsistency?: string;
  /** `X-Consul-ContentHash` (hash-based blocking endpoints). */
  contentHash?: string;
  /** `X-Consul-Translate-Addresses: true`. */
  addressTranslationEnabled: boolean;
  /** Wall time the request took, in ms. */
  requestTimeMs: number;
}

/** A read's data together with its query meta. */
export interface QueryResult<T> {
  data: T;
  meta: QueryMeta;
}

/** Options every call accepts. */
export interface RequestOptions {
  /** Datacenter (`?dc=`), overriding the client's. */
  dc?: string;
  /** Token for this call, overriding the client's. */
  token?: string;
  signal?: AbortSignal;
  /** Timeout for this call in ms, overriding the client's. */
  timeoutMs?: number;
}

/** Options of read endpoints: consistency and blocking. */
export interface QueryOptions extends RequestOptions {
  consistency?: Consistency;
  /** Block until the result's index exceeds this (`?index=`). */
  index?: number;
  /** Longest block: ms, or a Go duration string (`"30s"`). Server default 5m, max 10m. */
  wait?: number | string;
  /** Hash-based blocking (`?hash=`) for agent-local endpoints. */
  hash?: string;
  /** Server-side filter expression (`?filter=`). */
  filter?: string;
  /** Sort by RTT from this node (`?near=`; `_agent` = this agent). */
  near?: string;
  /** Keep only nodes whose meta has all these pairs (`?node-meta=k:v`). */
  nodeMeta?: Record<string, string>;
  /** Answer from the agent cache (`?cached`), on endpoints that support it. */
  cached?: boolean;
}

export type QueryValue = string | number | bigint | boolean | string[] | undefined;

export interface Exchange {
  method: 'GET' | 'PUT' | 'DELETE' | 'POST' | 'OPTIONS';
  path: string;
  query?: Record<string, QueryValue>;
  body?: string | Uint8Array;
  options?: RequestOptions;
  /** Statuses returned instead of thrown (2xx always are). */
  accept?: number[];
  /** Extra time on top of the timeout (blocking reads). */
  extraTimeMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  timeMs: number;
}

// Many watches share one agent: when their blocking reads return together, every connection is
// briefly idle. Node's default (256 idle sockets) would close the rest and reconnect them.
const idleSocketsKept = 65_536;

/** Connection errors after which an idempotent request on a reused keep-alive socket is resent. */
const staleSocketErrors = new Set(['ECONNRESET', 'EPIPE']);

export class Transport {
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  constructor(readonly options: ResolvedOptions) {
    if (options.protocol === 'https:') {
      this.agent = new HttpsAgent({
        keepAlive: true,
        maxFreeSockets: idleSocketsKept,
        ca: options.tls?.ca,
        cert: options.tls?.cert,
        key: options.tls?.key,
        rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        servername: options.tls?.servername,
      });
      this.request = httpsRequest;
    } else {
      this.agent = new HttpAgent({ keepAlive: true, maxFreeSockets: idleSocketsKept });
      this.request = httpRequest;
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Sends one request; non-2xx statuses not in `accept` throw `ConsulError`. A GET that fails
   * because the agent closed an idle keep-alive connection as we reused it is sent once more.
   */
  send(exchange: Exchange): Promise<RawResponse> {
    return this.sendOnce(exchange).catch((error: unknown) => {
      if (
        error instanceof StaleSocketError &&
        (exchange.method === 'GET' || exchange.method === 'OPTIONS')
      ) {
        return this.sendOnce(exchange);
      }
      throw error instanceof StaleSocketError ? error.requestError : error;
    });
  }

  private sendOnce(exchange: Exchange): Promise<RawResponse> {
    const options = exchange.options ?? {};
    const dc = options.dc ?? this.options.datacenter;
    const query =
      dc !== undefined && exchange.query?.dc === undefined
        ? { ...exchange.query, dc }
        : (exchange.query ?? {});
    const target = exchange.path + encodeQuery(query);
    const headers: Record<string, string> = { ...this.options.headers };
    const token = options.token ?? this.options.token;
    if (token) headers['X-Consul-Token'] = token;
    let body: Buffer | undefined;
    if (exchange.body !== undefined) {
      body = Buffer.from(exchange.body);
      headers['Content-Length'] = String(body.length);
    }
    const exactTimeoutMs =
      (options.timeoutMs ?? this.options.timeoutMs) + (exchange.extraTimeMs ?? 0);
    // Long timeouts are rounded up to whole seconds: Node keeps one timer list per distinct
    // duration, and jittered blocking waits would otherwise give every request its own.
    const timeoutMs =
      exactTimeoutMs >= 10_000 ? Math.ceil(exactTimeoutMs / 1000) * 1000 : exactTimeoutMs;
    const signal = options.signal;
    const started = Date.now();

    return new Promise<RawResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      let timedOut = false;
      let responded = false;
      const req = this.request(
        {
          protocol: this.options.protocol,
          host: this.options.host,
          port: this.options.port,
          method: exchange.method,
          path: target,
          headers,
          agent: this.agent,
        },
        (res) => {
          responded = true;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            cleanup();
            const status = res.statusCode ?? 0;
            const response = {
              status,
              headers: res.headers,
              body: Buffer.concat(chunks),
              timeMs: Date.now() - started,
            };
            if ((status >= 200 && status < 300) || exchange.accept?.includes(status)) {
              resolve(response);
            } else {
              const requestId = res.headers['x-request-id'] ?? res.headers['x-consul-request-id'];
              reject(
                new ConsulError(
                  status,
                  response.body.toString(),
                  exchange.method,
                  target,
                  Array.isArray(requestId) ? requestId[0] : requestId,
                ),
              );
            }
          });
        },
      );
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const forget = signal
        ? onAbort(signal, () => req.destroy(abortError(signal)))
        : (): void => undefined;
      function cleanup(): void {
        clearTimeout(timer);
        forget();
      }
      function fail(error: unknown): void {
        cleanup();
        if (signal?.aborted) return reject(abortError(signal));
        const requestError = new ConsulRequestError(exchange.method, target, timedOut, {
          cause: error,
        });
        const code = (error as NodeJS.ErrnoException).code;
        if (req.reusedSocket && !responded && code && staleSocketErrors.has(code)) {
          reject(new StaleSocketError(requestError));
        } else reject(requestError);
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  /** Sends a read, adding consistency/blocking params, and parses the JSON body and meta. */
  async query<T>(
    exchange: Omit<Exchange, 'options'> & { options?: QueryOptions },
    onMissing?: () => T,
  ): Promise<QueryResult<T>> {
    const options = exchange.options ?? {};
    const query: Record<string, QueryValue> = { ...exchange.query };
    const consistency = options.consistency ?? this.options.consistency;
    if (consistency === 'stale') query.stale = true;
    if (consistency === 'consistent') query.consistent = true;
    let extraTimeMs = 0;
    if (options.index !== undefined && options.index > 0) {
      query.index = options.index;
      const waitMs = options.wait === undefined ? 300_000 : durationMs(options.wait);
      query.wait = `${waitMs}ms`;
      extraTimeMs = waitMs + waitMs / 16;
    } else if (options.hash !== undefined) {
      query.hash = options.hash;
      const waitMs = options.wait === undefined ? 300_000 : durationMs(options.wait);
      query.wait = `${waitMs}ms`;
      extraTimeMs = waitMs + waitMs / 16;
    }
    if (options.filter !== undefined) query.filter = options.filter;
    if (options.near !== undefined) query.near = options.near;
    if (options.cached) query.cached = true;
    if (options.nodeMeta) {
      query['node-meta'] = Object.entries(options.nodeMeta).map(([k, v]) => `${k}:${v}`);
    }
    const accept = onMissing ? [404, ...(exchange.accept ?? [])] : exchange.accept;
    const response = await this.send({ ...exchange, query, accept, extraTimeMs });
    const meta = queryMeta(response);
    if (response.status === 404 && onMissing) {
      if (isUnknownEndpoint(response)) {
        throw new ConsulError(404, response.body.toString(), exchange.method, exchange.path);
      }
      return { data: onMissing(), meta };
    }
    return { data: parseBody<T>(response), meta };
  }

  /** Sends a write with a JSON (or raw) body and returns the parsed JSON answer, if any. */
  async write<T>(exchange: Exchange, json?: unknown): Promise<T | undefined> {
    const response = await this.send(
      json === undefined ? exchange : { ...exchange, body: stringifyConsulJson(json) },
    );
    return response.body.length === 0 ? undefined : parseBody<T>(response);
  }
}

// One abort listener per signal, however many requests it covers: a watch sends every round
// with the same signal, and EventTarget listeners are costly to add and remove each time.
const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `callback` when `signal` aborts; returns the function that unregisters it. */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (callbacks === undefined) {
    const registered = new Set<() => void>();
    callbacks = registered;
    abortCallbacks.set(signal, registered);
    signal.addEventListener(
      'abort',
      () => {
        for (const run of registered) run();
        registered.clear();
      },
      { once: true },
    );
  }
  const set = callbacks;
  set.add(callback);
  return () => set.delete(callback);
}

/** A request that died on a keep-alive socket the agent had just closed; may be resent. */
class StaleSocketError extends Error {
  constructor(readonly requestError: ConsulRequestError) {
    super(requestError.message);
  }
}

function parseBody<T>(response: RawResponse): T {
  return parseConsulJson(response.body.toString()) as T;
}

/** The agent's answer to a path it has no route for (as opposed to a 404 for missing data). */
export function isUnknownEndpoint(response: { status: number; body: Buffer | string }): boolean {
  return response.status === 404 && response.body.toString().startsWith('Invalid URL path');
}

export function queryMeta(response: RawResponse): QueryMeta {
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const index = Number(header('x-consul-index') ?? 0);
  return {
    index: Number.isFinite(index) ? index : 0,
    knownLeader: header('x-consul-knownleader') === 'true',
    lastContact: Number(header('x-consul-lastcontact') ?? 0) || 0,
    effectiveConsistency: header('x-consul-effective-consistency'),
    contentHash: header('x-consul-contenthash'),
    addressTranslationEnabled: header('x-consul-translate-addresses') === 'true',
    requestTimeMs: response.timeMs,
  };
}

/** `?a=1&flag&list=x&list=y`; `true` is a bare (presence) flag, `false`/undefined are left out. */
export function encodeQuery(query: Record<string, QueryValue>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    const key = encodeURIComponent(name);
    if (value === true) parts.push(key);
    else if (Array.isArray(value)) {
      for (const item of value) parts.push(`${key}=${encodeURIComponent(item)}`);
    } else parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Encodes each path segment but keeps `/` (KV keys). */
export function encodeKeyPath(key: string): string {
  if (/^[\w.~/-]*$/.test(key)) return key;
  return key.split('/').map(encodeURIComponent).join('/');
}

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A number of ms, or a Go duration string (`"1m30s"`, `"250ms"`), as ms. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value;
  if (value === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(value); match; match = re.exec(value)) {
    total += Number(match[1]) * units[match[2]];
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== value.length) {
    throw new Error(`invalid duration "${value}" (use Go syntax such as "30s" or "1m30s")`);
  }
  return total;
}
