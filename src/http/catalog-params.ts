// The query parameters of the catalog and health listings (consul-api.md §1.1, §4.3, §6.2):
// `?filter` compiled against the endpoint's selectors, repeatable `?node-meta=k:v` and `?tag`,
// `?near`, and `?passing` with Go's strconv.ParseBool.
import { distanceSeconds, isCompatible, type Coordinate } from '../coordinate';
import { compileFilter, FilterError, type Filter } from '../filter';
import type { StateStore } from '../state';
import { badRequest, filterFailure } from './errors';
import { queryValue, type QueryValues } from './query';

/** Every value of a repeatable parameter, in order ([] when absent). */
export function queryValues(query: QueryValues, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** A filter whose failures (compiling now, evaluating later) are Consul's 500 with its text. */
export interface ListFilter {
  /** False without ?filter: `apply` then keeps every item. */
  readonly active: boolean;
  apply<T>(items: readonly T[], json: (item: T) => unknown): T[];
}

export function parseFilter(query: QueryValues, selectors: readonly string[]): ListFilter {
  let filter: Filter;
  try {
    filter = compileFilter(queryValue(query, 'filter'), { selectors });
  } catch (error) {
    throw asServerError(error);
  }
  return {
    active: queryValue(query, 'filter') !== '',
    apply: (items, json) => {
      try {
        return items.filter((item) => filter.matches(json(item)));
      } catch (error) {
        throw asServerError(error);
      }
    },
  };
}

function asServerError(error: unknown): unknown {
  return error instanceof FilterError ? filterFailure(error) : error;
}

/** `?node-meta=key:value` (repeatable; no colon means an empty value; a later key wins). */
export function parseNodeMeta(query: QueryValues): Map<string, string> {
  const filters = new Map<string, string>();
  for (const pair of queryValues(query, 'node-meta')) {
    const colon = pair.indexOf(':');
    if (colon === -1) filters.set(pair, '');
    else filters.set(pair.slice(0, colon), pair.slice(colon + 1));
  }
  return filters;
}

/** Whether a node's meta holds every `?node-meta` pair. */
export function satisfiesNodeMeta(
  meta: Record<string, string>,
  filters: Map<string, string>,
): boolean {
  for (const [key, value] of filters) {
    if (!Object.prototype.hasOwnProperty.call(meta, key) || meta[key] !== value) return false;
  }
  return true;
}

/** `?tag` values, or null when none was given (an empty `?tag=` is a tag too). */
export function parseTags(query: QueryValues): string[] | null {
  return query.tag === undefined ? null : queryValues(query, 'tag');
}

/** Whether an instance carries every wanted tag; tags compare case-insensitively, as in Consul. */
export function hasAllTags(tags: readonly string[], wanted: readonly string[]): boolean {
  const have = new Set(tags.map((tag) => tag.toLowerCase()));
  return wanted.every((tag) => have.has(tag.toLowerCase()));
}

/** `?passing`: bare means on; any other value must be a Go bool. */
export function parsePassing(query: QueryValues): boolean {
  if (query.passing === undefined) return false;
  const text = queryValue(query, 'passing');
  if (text === '') return true;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw badRequest('Invalid value for ?passing');
}

const TRUE: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The node `?near` names (`_agent`: this agent's node), or "" for none. */
export function parseNear(query: QueryValues, agentNode: string): string {
  const near = queryValue(query, 'near');
  return near === '_agent' ? agentNode : near;
}

/** Estimated round trip (seconds) from the ?near node to a node; +∞ for a node without one. */
export type NearDistance = (node: string) => number;

/**
 * Orders by estimated round trip from ?near's node (Consul's sortNodesByDistanceFrom): stable,
 * nodes without a coordinate last. Null distances (no ?near, or its node has no coordinate in
 * this segment) leave the order as it is.
 */
export function sortNear<T>(
  items: T[],
  distance: NearDistance | null,
  nodeOf: (item: T) => string,
): T[] {
  if (distance === null) return items;
  const memo = new Map<string, number>();
  const rtt = (item: T): number => {
    const node = nodeOf(item);
    let d = memo.get(node);
    if (d === undefined) memo.set(node, (d = distance(node)));
    return d;
  };
  // Infinity − Infinity is NaN: compare, don't subtract.
  return [...items].sort((a, b) => {
    const da = rtt(a);
    const db = rtt(b);
    return da < db ? -1 : da > db ? 1 : 0;
  });
}

/**
 * Distances from `near` over the coordinates stored now, in the near node's segment; null when
 * `near` is "" or has no coordinate (then Consul leaves the answer unsorted).
 */
export function nearDistances(store: StateStore, near: string): NearDistance | null {
  if (near === '') return null;
  const source = store.nodeCoordinates(near).value;
  if (source.length === 0) return null;
  // CE agents have one segment (""); a node's first row is its coordinate there.
  const { segment, coord } = source[0];
  const bySegment = new Map<string, Coordinate>();
  for (const row of store.coordinates(segment).value) {
    bySegment.set(row.node.toLowerCase(), row.coord);
  }
  return (node) => {
    const other = bySegment.get(node.toLowerCase());
    if (other === undefined || !isCompatible(coord, other)) return Infinity;
    return distanceSeconds(coord, other);
  };
}
