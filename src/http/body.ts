// Request bodies are read by the handler that needs them (Fastify's catch-all parser leaves the
// stream alone), as raw bytes of any Content-Type, with a size limit that also holds for
// chunked bodies that announce no length.
import type { FastifyRequest } from 'fastify';

import { HttpError } from './errors';

const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole body. A declared Content-Length above `limit` fails before reading; a body
 * that grows past it fails as soon as it does. `tooLarge` gets the size known at that point.
 */
export async function readBody(
  request: FastifyRequest,
  limit: number,
  tooLarge: (bytes: number) => HttpError,
): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(Number(declared));
  const stream = request.raw;
  if (stream.readableEnded) return EMPTY;
  // Not `for await`: leaving that loop early would destroy the socket we still answer on.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading: Node discards the rest of the body once the answer is sent.
        stream.pause();
        reject(tooLarge(size));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      cleanup();
      // The connection closed mid-body (the client left, or the read timeout cut it): nothing
      // can be answered and it is not ours to log.
      reject(
        error.code === 'ECONNRESET' ? new HttpError(400, 'Request body incomplete', true) : error,
      );
    };
    const cleanup = (): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
    };
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * The methods whose bodies only handlers read. Fastify is told they carry none, which skips its
 * content-type parsing step: that step does nothing for us (see `leaveBodyUnread`) but binds an
 * AsyncResource per request, ~15% of a PUT's CPU in bench/kv.
 */
export const HANDLER_READ_METHODS: ReadonlySet<string> = new Set([
  'PUT',
  'POST',
  'DELETE',
  'PATCH',
]);

// Fastify's media-type grammar (lib/content-type.js): a token `type/subtype`, then parameters.
const MEDIA_TYPE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
const MEDIA_SUBTYPE_NAME = /^[\w!#$%&'*+.^`|~-]+\s*$/;

/**
 * Whether Fastify would accept `header` as a Content-Type: it answers a malformed one with
 * 415 Unsupported Media Type before any handler, whether or not there is a body.
 */
export function isWellFormedContentType(header: string): boolean {
  if (header === '' || header === 'undefined') return false;
  const semicolon = header.indexOf(';');
  const mediaType = semicolon === -1 ? header : header.slice(0, semicolon);
  const slash = mediaType.indexOf('/');
  if (slash === -1) return false;
  return (
    MEDIA_TYPE_NAME.test(mediaType.slice(0, slash).trimStart()) &&
    MEDIA_SUBTYPE_NAME.test(mediaType.slice(slash + 1).trimEnd())
  );
}

/** Fastify content-type parser for every type: hands the stream to the handler unread. */
export function leaveBodyUnread(
  _request: FastifyRequest,
  _payload: unknown,
  done: (error: Error | null, body?: unknown) => void,
): void {
  done(null);
}
