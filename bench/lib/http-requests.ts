// HTTP/1.1 requests on keep-alive node:http agents: one shape for the load generator's hot loop
// and for a bench's setup steps (populate, read an index, probe readiness).
import http from 'node:http';
import type {
  HttpMethod,
  KeySpace,
  PlainRequest,
  RequestTemplate,
  Target,
} from './loadgen-protocol';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One connection, reused: maxSockets 1 so that a client never opens a second one. */
export function connectionAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

export function keyName(keys: KeySpace, index: number): string {
  return keys.prefix + String(index).padStart(5, '0');
}

/** A printable value of exactly `bytes` bytes. */
export function valueOf(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let value = '';
  for (let i = 0; i < bytes; i++) value += alphabet[i % alphabet.length];
  return value;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** The template with `{key}`, `{keyB64}`, `{value}` and `{valueB64}` filled in. */
export function expandTemplate(
  template: RequestTemplate,
  key: string,
  value: string,
): PlainRequest {
  const fill = (text: string): string =>
    text
      .replaceAll('{keyB64}', b64(key))
      .replaceAll('{valueB64}', b64(value))
      .replaceAll('{key}', key)
      .replaceAll('{value}', value);
  const plain: PlainRequest = { method: template.method, path: fill(template.path) };
  if (template.body !== undefined) plain.body = fill(template.body);
  if (template.headers !== undefined) plain.headers = template.headers;
  return plain;
}

/** The fast path's request: path and body prepared once, headers as given. */
export interface PreparedRequest {
  method: HttpMethod;
  path: string;
  body: Buffer | undefined;
  headers: Record<string, string | number>;
}

export function prepareRequest(
  request: PlainRequest,
  extraHeaders: Record<string, string> = {},
): PreparedRequest {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string | number> = { ...request.headers, ...extraHeaders };
  if (body !== undefined) headers['content-length'] = body.length;
  return { method: request.method, path: request.path, body, headers };
}

/**
 * Sends one request and calls back once with the status (or the error) when the response has
 * ended. The body is kept only when `keepBody` (or for error statuses, to explain them).
 */
export function sendRequest(
  agent: http.Agent,
  target: Target,
  request: PreparedRequest,
  keepBody: boolean,
  done: (error: Error | undefined, reply: HttpReply | undefined) => void,
): void {
  let finished = false;
  const finish = (error: Error | undefined, reply: HttpReply | undefined): void => {
    if (finished) return;
    finished = true;
    done(error, reply);
  };
  const req = http.request(
    {
      agent,
      host: target.host,
      port: target.port,
      method: request.method,
      path: request.path,
      headers: request.headers,
    },
    (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      const keep = keepBody || status >= 300;
      if (keep) res.on('data', (chunk: Buffer) => chunks.push(chunk));
      else res.resume();
      res.on('end', () =>
        finish(undefined, {
          status,
          headers: res.headers,
          body: keep ? Buffer.concat(chunks).toString('utf8') : '',
        }),
      );
      res.on('error', (error) => finish(error, undefined));
    },
  );
  req.setTimeout(120_000, () =>
    req.destroy(new Error(`${request.method} ${request.path}: timeout`)),
  );
  req.on('error', (error) => finish(error, undefined));
  req.end(request.body);
}

/** Promise form of sendRequest for setup steps; rejects on network errors only. */
export function httpRequest(
  agent: http.Agent,
  target: Target,
  request: PlainRequest,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    sendRequest(agent, target, prepareRequest(request, headers), true, (error, reply) => {
      if (error !== undefined || reply === undefined) reject(error ?? new Error('no reply'));
      else resolve(reply);
    });
  });
}
