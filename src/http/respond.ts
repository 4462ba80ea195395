// Writing responses the way Consul's HTTP layer does: JSON or text bodies, gzip when asked for
// (Consul wraps every handler in a gzip handler with min size 0), and the headers every
// response carries. Every response of the API leaves through `finish`.
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { FILTERED_TO_NOTHING, requestAcl } from './acl-request';
import type { JsonValue } from './json';
import { encodeJsonSliced } from './json-slices';
import { hasQueryFlag } from './query';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
// Above this a body is compressed off the event loop.
const SYNC_GZIP_LIMIT = 64 * 1024;

/**
 * Headers on every response: bodies vary with Accept-Encoding. (X-Consul-Default-ACL-Policy is
 * set when the request arrives, from the agent's ACL settings.)
 */
const COMMON_HEADERS = { vary: 'Accept-Encoding' } as const;

/** A body: text, bytes, or bytes in consecutive pieces (a large answer encoded in slices). */
export type ResponseBody = string | Buffer | readonly Buffer[];

/** Sends `body` with `status`; compresses it when the client accepts gzip and it is non-empty. */
export function finish(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  contentType: string | null,
  body: ResponseBody,
): void {
  reply.code(status).headers(COMMON_HEADERS);
  if (contentType !== null) reply.header('content-type', contentType);
  // Buffers pass through Fastify untouched (strings would get a charset appended to the type).
  const pieces =
    typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body;
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  if (length === 0) {
    // Like Go, no Content-Type on an empty body.
    reply.send();
    return;
  }
  if (!acceptsGzip(request)) {
    sendPieces(reply, pieces, length);
    return;
  }
  reply.header('content-encoding', 'gzip');
  if (length <= SYNC_GZIP_LIMIT) {
    reply.send(gzipSync(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length)));
    return;
  }
  // Off the event loop (zlib's thread pool), fed piece by piece.
  const compressed: Buffer[] = [];
  const gzip = createGzip();
  gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
  gzip.on('end', () =>
    sendPieces(
      reply,
      compressed,
      compressed.reduce((n, c) => n + c.length, 0),
    ),
  );
  gzip.on('error', () => {
    reply.removeHeader('content-encoding');
    sendPieces(reply, pieces, length);
  });
  for (const piece of pieces) gzip.write(piece);
  gzip.end();
}

// Pieces are streamed as they are, with the length announced up front: joining them into one
// buffer would copy megabytes in one go.
function sendPieces(reply: FastifyReply, pieces: readonly Buffer[], length: number): void {
  if (pieces.length === 1) {
    reply.send(pieces[0]);
    return;
  }
  reply.header('content-length', String(length));
  reply.send(Readable.from(pieces));
}

/** Whether `?pretty` was given or the agent indents all JSON (-dev). */
export function wantsPretty(request: FastifyRequest, agentPretty: boolean): boolean {
  return agentPretty || hasQueryFlag(request, 'pretty');
}

/** Sends `value` as JSON; a large value is encoded in slices that let other requests through. */
export async function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  value: JsonValue,
  pretty: boolean,
  status = 200,
): Promise<void> {
  const acl = requestAcl(request);
  const visible = acl === null ? value : acl.filterAnswer(value);
  if (visible === FILTERED_TO_NOTHING) return sendEmpty(request, reply, 404);
  finish(request, reply, status, JSON_TYPE, await encodeJsonSliced(visible, pretty));
}

/** Sends JSON the caller already encoded (hot paths encode entries by hand, or cache them). */
export function sendEncodedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  json: ResponseBody,
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

/** Streams `body` as it is produced (a snapshot archive: already compressed, never gzipped). */
export function sendStream(reply: FastifyReply, contentType: string, body: Readable): void {
  reply.code(200).headers(COMMON_HEADERS).header('content-type', contentType);
  reply.send(body);
}

export function sendEmpty(request: FastifyRequest, reply: FastifyReply, status: number): void {
  finish(request, reply, status, null, '');
}

/** Go's gzip handler: any "gzip" coding whose q-value is not 0. */
export function acceptsGzip(request: FastifyRequest): boolean {
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
