// The query parameters of the catalog and health listings (consul-api.md §1.1, §4.3, §6.2):
// `?filter` compiled against the endpoint's selectors, repeatable `?node-meta=k:v` and `?tag`,
// `?near`, and `?passing` with Go's strconv.ParseBool.
import { compileFilter, FilterError, type Filter } from '../filter';
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

/**
 * Orders by closeness to `near`. Without network coordinates every other node is equally far:
 * the near node's items come first, the rest keep their order (the sort is stable).
 */
export function sortNear<T>(items: T[], near: string, nodeOf: (item: T) => string): T[] {
  if (near === '') return items;
  const target = near.toLowerCase();
  const isNear = (item: T): number => (nodeOf(item).toLowerCase() === target ? 0 : 1);
  return [...items].sort((a, b) => isNear(a) - isNear(b));
}
