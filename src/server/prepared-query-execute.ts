// Running a prepared query (Consul's PreparedQuery.execute, tagFilter, queryFailover): which
// instances a query selects in one datacenter, their order, and the failover to other
// datacenters when none is left. No I/O here: the store read, coordinates and remote
// datacenters come in through the interfaces below.
import type { CheckServiceNode, PreparedQuery, ServiceQuery } from '../state';

/** What an execution answers (Consul's PreparedQueryExecuteResponse without QueryMeta). */
export interface PreparedQueryExecution {
  /** The service queried (after template rendering). */
  service: string;
  nodes: CheckServiceNode[];
  dns: { ttl: string };
  /** The datacenter the nodes came from. */
  datacenter: string;
  /** How many other datacenters were tried. */
  failovers: number;
  /** Some instances were left out because the token may not read them. */
  filteredByAcls?: boolean;
}

/** What a remote datacenter gets along with the query (Consul's ExecuteRemote request). */
export interface RemoteExecuteOptions {
  /** Cut the results to this many (0: all). */
  limit: number;
  /** The caller's token; the query's own Token, when set, wins there as here. */
  token: string | null;
  /** Connect-capable instances only (`?connect`). */
  connect: boolean;
}

/**
 * Other datacenters, as the agent reaches them over the WAN. The server's implementation asks a
 * server of `datacenter` (Consul's PreparedQuery.ExecuteRemote), which runs `query` against its
 * own catalog through PreparedQueryService.executeRemote: no further failover there.
 */
export interface RemoteQueryExecutor {
  /** Known datacenters other than this one, nearest first by estimated RTT ([] when none). */
  otherDatacentersByDistance(): Promise<string[]>;
  /** The remote answer, or a rejection when `datacenter` cannot be reached or fails. */
  execute(
    datacenter: string,
    query: PreparedQuery,
    options: RemoteExecuteOptions,
    signal?: AbortSignal,
  ): Promise<PreparedQueryExecution>;
}

/** A server with no WAN pool knows no other datacenter: failover tries nothing. */
export const NO_REMOTE_DATACENTERS: RemoteQueryExecutor = {
  otherDatacentersByDistance: () => Promise.resolve([]),
  execute: (datacenter) => Promise.reject(new Error(`No path to datacenter ${datacenter}`)),
};

/**
 * Network coordinates of this datacenter's nodes, for `Near` / `?near`. Without one, results keep
 * their shuffled order (the source node still moves to the front).
 */
export interface NearSorter {
  /**
   * Stable-sorts `items` in place by estimated RTT from node `source` (items whose node has no
   * coordinate last); leaves them as they are and returns false when `source` has none.
   */
  sortByDistance<T>(source: string, items: T[], nodeOf: (item: T) => string): boolean;
}

/** Consul's FilterIgnore + nodeMetaFilter + serviceMetaFilter + tagFilter, in that order. */
export function selectInstances(
  instances: readonly CheckServiceNode[],
  query: ServiceQuery,
): CheckServiceNode[] {
  const ignored = new Set(query.ignoreCheckIDs);
  const { must, not } = splitTags(query.tags);
  return instances.filter((instance) => {
    const unhealthy = instance.checks.some(
      (check) =>
        !ignored.has(check.checkID) &&
        (check.status === 'critical' || (query.onlyPassing && check.status !== 'passing')),
    );
    if (unhealthy) return false;
    if (!satisfiesMeta(instance.node.meta, query.nodeMeta)) return false;
    if (!satisfiesMeta(instance.service.meta, query.serviceMeta)) return false;
    if (must.length === 0 && not.length === 0) return true;
    const tags = new Set(instance.service.tags.map((tag) => tag.toLowerCase()));
    return must.every((tag) => tags.has(tag)) && !not.some((tag) => tags.has(tag));
  });
}

function splitTags(tags: readonly string[]): { must: string[]; not: string[] } {
  const must: string[] = [];
  const not: string[] = [];
  for (const tag of tags.map((t) => t.toLowerCase())) {
    if (tag.startsWith('!')) not.push(tag.slice(1));
    else must.push(tag);
  }
  return { must, not };
}

/** Every pair of `filters` present with that exact value (Consul's SatisfiesMetaFilters). */
function satisfiesMeta(meta: Record<string, string>, filters: Record<string, string>): boolean {
  for (const key of Object.keys(filters)) {
    if (!Object.prototype.hasOwnProperty.call(meta, key) || meta[key] !== filters[key]) {
      return false;
    }
  }
  return true;
}

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(items: T[], random: () => number = Math.random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Orders results for `source` (a node of this datacenter, "" for none): by RTT when a sorter
 * knows coordinates, then the source node itself moved to the front if it is among the first
 * ten (Consul's cap on that search).
 */
export function sortNearSource(
  nodes: CheckServiceNode[],
  source: string,
  sorter: NearSorter | null,
): void {
  if (source === '') return;
  const nodeOf = (entry: CheckServiceNode): string => entry.node.node;
  sorter?.sortByDistance(source, nodes, nodeOf);
  const at = nodes.slice(0, 10).findIndex((entry) => nodeOf(entry) === source);
  if (at > 0) [nodes[0], nodes[at]] = [nodes[at], nodes[0]];
}

/**
 * The datacenters failover tries, in order (Consul's queryFailover): the NearestN nearest known
 * ones, then the listed Datacenters (and Targets' datacenters) that are known and not already
 * chosen.
 */
export function failoverDatacenters(query: ServiceQuery, nearest: readonly string[]): string[] {
  const known = new Set(nearest);
  const chosen: string[] = nearest.slice(0, Math.max(0, query.failover.nearestN));
  const listed = [
    ...query.failover.datacenters,
    ...query.failover.targets.map((target) => target.datacenter).filter((dc) => dc !== ''),
  ];
  for (const dc of listed) {
    if (known.has(dc) && !chosen.includes(dc)) chosen.push(dc);
  }
  return chosen;
}

/**
 * Tries each failover datacenter in order until one returns nodes; `failed` hears about each one
 * that could not answer. The answer carries the number of datacenters tried; with nothing
 * found anywhere it is `local` with no nodes (or the last remote's empty answer).
 */
export async function failover(
  query: PreparedQuery,
  local: PreparedQueryExecution,
  remote: RemoteQueryExecutor,
  options: RemoteExecuteOptions,
  failed: (datacenter: string, error: unknown) => void,
  signal?: AbortSignal,
): Promise<PreparedQueryExecution> {
  const datacenters = failoverDatacenters(query.service, await remote.otherDatacentersByDistance());
  let answer: PreparedQueryExecution = local;
  let failovers = 0;
  for (const dc of datacenters) {
    signal?.throwIfAborted();
    failovers++;
    try {
      answer = await remote.execute(dc, query, options, signal);
    } catch (error) {
      failed(dc, error);
      answer = { ...answer, nodes: [] };
      continue;
    }
    if (answer.nodes.length > 0) break;
  }
  return { ...answer, failovers };
}
