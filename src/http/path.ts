// Path parameters the way Go's mux hands them to Consul's handlers: everything after the route
// prefix, percent-decoded, with unprintable characters refused (cleanhttp's path filter).
import type { FastifyRequest } from 'fastify';

import { HttpError } from './errors';

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const UNPRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** The decoded path of `request` (without the query string). */
export function decodedPath(request: FastifyRequest): string {
  const url = request.url;
  const queryAt = url.indexOf('?');
  const raw = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!raw.includes('%')) return checkPrintable(raw);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Go's server refuses a malformed escape before any handler runs.
    throw new HttpError(400, '400 Bad Request');
  }
  return checkPrintable(decoded);
}

/** The decoded remainder of the path after `prefix` (e.g. the key after `/v1/kv/`). */
export function pathSuffix(request: FastifyRequest, prefix: string): string {
  const path = decodedPath(request);
  return path.startsWith(prefix) ? path.slice(prefix.length) : '';
}

function checkPrintable(path: string): string {
  if (UNPRINTABLE.test(path)) throw new HttpError(400, '');
  return path;
}
