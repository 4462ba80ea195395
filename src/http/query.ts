// Query-string reading with Go's `url.Values` semantics: presence-based flags, `Get` returns the
// first value, `Encode` sorts keys; and `strconv.ParseUint` with Go's error texts.
import type { FastifyRequest } from 'fastify';

import { serverError } from './errors';
import { goQuote } from '../state';

/** Fastify's parsed query (fast-querystring: null-prototype object, repeated keys → array). */
export type QueryValues = Readonly<Record<string, string | string[] | undefined>>;

export function queryOf(request: FastifyRequest): QueryValues {
  return request.query as QueryValues;
}

/** Presence-based flag: `?recurse`, `?recurse=false` and `?recurse=1` all mean on. */
export function hasQueryFlag(request: FastifyRequest, name: string): boolean {
  return queryOf(request)[name] !== undefined;
}

/** Go's `url.Values.Get`: the first value, or "" when absent. */
export function queryValue(query: QueryValues, name: string): string {
  const value = query[name];
  if (value === undefined) return '';
  return typeof value === 'string' ? value : (value[0] ?? '');
}

/** Go's `url.Values.Encode`: keys sorted, values query-escaped, `k=v` joined by `&`. */
export function encodeQuery(query: QueryValues): string {
  const parts: string[] = [];
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (value === undefined) continue;
    for (const one of typeof value === 'string' ? [value] : value) {
      parts.push(goQueryEscape(name) + '=' + goQueryEscape(one));
    }
  }
  return parts.join('&');
}

// Go's url.QueryEscape: unreserved bytes as is, space as '+', everything else %XX (upper hex).
function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => '%' + char.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^[0-9]+$/;

/** Go's `strconv.ParseUint(text, 10, 64)`; failures are Consul's 500 with the strconv text. */
export function parseUint64(text: string): bigint {
  if (!DECIMAL.test(text)) {
    throw serverError(`strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  }
  const value = BigInt(text);
  if (value > UINT64_MAX) {
    throw serverError(`strconv.ParseUint: parsing ${goQuote(text)}: value out of range`);
  }
  return value;
}

/**
 * A uint64 index from a request (?cas, a txn op's Index) as a Raft index. Indexes stay below
 * 2^53, so any larger value matches no row, exactly like the largest safe integer does.
 */
export function raftIndexOf(index: bigint): number {
  return index > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(index);
}
