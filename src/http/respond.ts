// Writing responses the way Consul's HTTP layer does: JSON or text bodies, gzip when asked for
// (Consul wraps every handler in a gzip handler with min size 0), and the headers every
// response carries. Every response of the API leaves through `finish`.
import { gzip, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { encodeJson, type JsonValue } from './json';
import { hasQueryFlag } from './query';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
// Above this a body is compressed off the event loop.
const SYNC_GZIP_LIMIT = 64 * 1024;

/** Headers on every response: ACLs are off (policy allow); bodies vary with Accept-Encoding. */
const COMMON_HEADERS = {
  'x-consul-default-acl-policy': 'allow',
  vary: 'Accept-Encoding',
} as const;

/** Sends `body` with `status`; compresses it when the client accepts gzip and it is non-empty. */
export function finish(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  contentType: string | null,
  body: string | Buffer,
): void {
  reply.code(status).headers(COMMON_HEADERS);
  if (contentType !== null) reply.header('content-type', contentType);
  if (body.length === 0) {
    // Like Go, no Content-Type on an empty body.
    reply.send();
    return;
  }
  // Buffers pass through Fastify untouched (strings would get a charset appended to the type).
  if (!acceptsGzip(request)) {
    reply.send(typeof body === 'string' ? Buffer.from(body) : body);
    return;
  }
  reply.header('content-encoding', 'gzip');
  if (body.length <= SYNC_GZIP_LIMIT) {
    reply.send(gzipSync(body));
    return;
  }
  gzip(body, (error, compressed) => {
    if (error !== null) {
      reply.removeHeader('content-encoding');
      reply.send(typeof body === 'string' ? Buffer.from(body) : body);
    } else {
      reply.send(compressed);
    }
  });
}

/** Whether `?pretty` was given or the agent indents all JSON (-dev). */
export function wantsPretty(request: FastifyRequest, agentPretty: boolean): boolean {
  return agentPretty || hasQueryFlag(request, 'pretty');
}

export function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  value: JsonValue,
  pretty: boolean,
  status = 200,
): void {
  finish(request, reply, status, JSON_TYPE, encodeJson(value, pretty));
}

/** Sends JSON the caller already encoded (hot paths encode entries by hand, or cache them). */
export function sendEncodedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  json: string | Buffer,
  status = 200,
): void {
  finish(request, reply, status, JSON_TYPE, json);
}

export function sendText(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  text: string,
): void {
  finish(request, reply, status, text.length === 0 ? null : TEXT_TYPE, text);
}

export function sendEmpty(request: FastifyRequest, reply: FastifyReply, status: number): void {
  finish(request, reply, status, null, '');
}

// Go's gzip handler: any "gzip" coding whose q-value is not 0.
function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  if (header === undefined || !header.includes('gzip')) return false;
  for (const coding of header.split(',')) {
    const [name, ...params] = coding.split(';');
    if (name.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
