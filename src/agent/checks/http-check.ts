// HTTP check: 2xx passing, 429 warning, anything else or no response critical (Consul's
// CheckHTTP). One fresh connection per run, keep-alive off, body read up to outputMaxSize+1.
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import {
  DEFAULT_NETWORK_TIMEOUT_MS,
  DEFAULT_OUTPUT_MAX_SIZE,
  type CheckResult,
  positiveOr,
} from './definition';
import { HeadBuffer } from './output';
import { describeDialError, describeSocketError, errorCode, errorMessage } from './net-errors';

export interface HttpCheckOptions {
  url: string;
  /** Default GET. */
  method?: string;
  header?: Record<string, string[]>;
  body?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
  /** Whole exchange, connect to last body byte; default 10s. */
  timeoutMs?: number;
  outputMaxSize?: number;
}

/** Consul's User-Agent for HTTP checks. */
export const HTTP_CHECK_USER_AGENT = 'Consul Health Check';
const MAX_REDIRECTS = 10;

interface Exchange {
  statusCode: number;
  statusMessage: string;
  body: string;
  location: string | undefined;
}

/** Runs one HTTP check. Never rejects: every failure is a critical result. */
export async function runHttpCheck(
  options: HttpCheckOptions,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const method = (options.method ?? '') === '' ? 'GET' : (options.method as string);
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_NETWORK_TIMEOUT_MS);
  const limit = positiveOr(options.outputMaxSize, DEFAULT_OUTPUT_MAX_SIZE);
  const deadline = new Deadline(timeoutMs, signal);
  let url: URL;
  let currentMethod = method;
  let body = options.body ?? '';
  try {
    url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`unsupported protocol scheme "${url.protocol.slice(0, -1)}"`);
  } catch (err) {
    deadline.clear();
    return { status: 'critical', output: `${goOp(method)} "${options.url}": ${errorMessage(err)}` };
  }
  try {
    for (let redirects = 0; ; redirects++) {
      const exchange = await exchangeOnce(url, currentMethod, body, options, limit, deadline);
      const next = redirectTarget(exchange, url);
      if (next === undefined) return classify(method, options.url, exchange);
      if (redirects + 1 >= MAX_REDIRECTS)
        return {
          status: 'critical',
          output: `${goOp(currentMethod)} ${JSON.stringify(next.href)}: stopped after ${MAX_REDIRECTS} redirects`,
        };
      // Go's client: 301/302/303 continue as GET without a body; 307/308 repeat the request.
      if (exchange.statusCode <= 303 && currentMethod !== 'GET' && currentMethod !== 'HEAD') {
        currentMethod = 'GET';
        body = '';
      }
      url = next;
    }
  } catch (err) {
    return {
      status: 'critical',
      output: `${goOp(currentMethod)} ${JSON.stringify(url.href)}: ${errorMessage(err)}`,
    };
  } finally {
    deadline.clear();
  }
}

function classify(method: string, target: string, exchange: Exchange): CheckResult {
  const output = `HTTP ${method} ${target}: ${exchange.statusCode} ${exchange.statusMessage} Output: ${exchange.body}`;
  if (exchange.statusCode >= 200 && exchange.statusCode <= 299)
    return { status: 'passing', output };
  if (exchange.statusCode === 429) return { status: 'warning', output };
  return { status: 'critical', output };
}

function redirectTarget(exchange: Exchange, from: URL): URL | undefined {
  if (![301, 302, 303, 307, 308].includes(exchange.statusCode)) return undefined;
  if (exchange.location === undefined || exchange.location === '') return undefined;
  try {
    return new URL(exchange.location, from);
  } catch {
    return undefined;
  }
}

/** Go's url.Error operation: "Get", "Post", … */
function goOp(method: string): string {
  return method.slice(0, 1).toUpperCase() + method.slice(1).toLowerCase();
}

/** One timer for the whole check (redirects included), cancelled by the caller's signal too. */
class Deadline {
  private timer: NodeJS.Timeout;
  private listeners = new Set<(err: Error) => void>();
  private reason: Error | undefined;
  private readonly onAbort = () => this.fire(new Error('context canceled'));

  constructor(
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(
      () =>
        this.fire(
          new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'),
        ),
      timeoutMs,
    );
    if (signal?.aborted) this.reason = new Error('context canceled');
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Calls `listener` when the deadline passes (at once if it has); returns an unsubscribe. */
  watch(listener: (err: Error) => void): () => void {
    if (this.reason !== undefined) {
      listener(this.reason);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.listeners.clear();
  }

  private fire(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    for (const listener of [...this.listeners]) listener(reason);
  }
}

function exchangeOnce(
  url: URL,
  method: string,
  body: string,
  options: HttpCheckOptions,
  limit: number,
  deadline: Deadline,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    const address = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    const headers = requestHeaders(options.header, body);
    const requestOptions: https.RequestOptions = {
      host,
      port,
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      agent: false, // a fresh agent per request: no pooled, kept-alive connections
    };
    if (secure) {
      requestOptions.rejectUnauthorized = options.tlsSkipVerify !== true;
      const serverName = options.tlsServerName ?? '';
      if (serverName !== '') requestOptions.servername = serverName;
      else if (isIP(host) === 0) requestOptions.servername = host;
    }
    let settled = false;
    let headersSeen = false;
    const collected = new HeadBuffer(limit);
    let response: http.IncomingMessage | undefined;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      unwatch();
      outcome();
    };
    const respond = (): void =>
      finish(() => {
        const res = response as http.IncomingMessage;
        const location = res.headers.location;
        resolve({
          statusCode: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          body: collected.toString(),
          location,
        });
        res.destroy();
      });
    const request = (secure ? https : http).request(requestOptions, (res) => {
      headersSeen = true;
      response = res;
      res.on('data', (chunk: Buffer) => {
        if (!collected.write(chunk)) respond();
      });
      res.on('end', respond);
      // A body cut short (reset, deadline) still leaves a status code to judge by, as in Consul.
      res.on('error', respond);
      res.on('aborted', respond);
    });
    const unwatch = deadline.watch((reason) => {
      if (headersSeen) respond();
      else {
        finish(() => reject(reason));
        request.destroy();
      }
    });
    request.on('error', (err) => {
      if (headersSeen) return respond();
      const code = errorCode(err);
      const connectPhase =
        code === 'ECONNREFUSED' ||
        code === 'EHOSTUNREACH' ||
        code === 'ENETUNREACH' ||
        code === 'ENOTFOUND' ||
        code === 'EAI_AGAIN' ||
        code === 'EADDRNOTAVAIL';
      const text = connectPhase ? describeDialError('tcp', address, err) : describeSocketError(err);
      finish(() => reject(new Error(text)));
    });
    request.end(body === '' ? undefined : body);
  });
}

function requestHeaders(
  header: Record<string, string[]> | undefined,
  body: string,
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  const present = new Set<string>();
  for (const [name, values] of Object.entries(header ?? {})) {
    if (values.length === 0) continue;
    headers[name] = values.length === 1 ? values[0] : values;
    present.add(name.toLowerCase());
  }
  if (!present.has('user-agent')) headers['User-Agent'] = HTTP_CHECK_USER_AGENT;
  if (!present.has('accept')) headers['Accept'] = 'text/plain, text/*, */*';
  if (body !== '' && !present.has('content-length'))
    headers['Content-Length'] = String(Buffer.byteLength(body));
  return headers;
}
