// Contracts of the prepared-queries table (Consul's structs.PreparedQuery). Field names are
// Consul's, camel-cased; the HTTP layer shapes the JSON.

/** The only template type Consul knows. */
export const TEMPLATE_NAME_PREFIX_MATCH = 'name_prefix_match';

export interface QueryTemplate {
  /** "" for a plain query; `name_prefix_match` for a template. */
  type: string;
  /** Applied to the full looked-up name; its groups feed `${match(N)}`. */
  regexp: string;
  /** Drop tags that render to "" (Consul's RemoveEmptyTags). */
  removeEmptyTags: boolean;
}

/** One failover target (Consul's QueryFailoverTarget); `peer` is refused when set. */
export interface QueryFailoverTarget {
  peer: string;
  datacenter: string;
}

export interface QueryFailover {
  /** How many other datacenters to try, nearest first by RTT (0: none). */
  nearestN: number;
  /** Datacenters to try after the nearest ones, in order. */
  datacenters: string[];
  targets: QueryFailoverTarget[];
}

/** What a query looks for (Consul's structs.ServiceQuery). */
export interface ServiceQuery {
  service: string;
  failover: QueryFailover;
  onlyPassing: boolean;
  ignoreCheckIDs: string[];
  /** Sort near this node (`_agent`: the agent executing the query); "" for none. */
  near: string;
  /** Required tags, and `!tag` forbidden ones; compared case-insensitively. */
  tags: string[];
  nodeMeta: Record<string, string>;
  serviceMeta: Record<string, string>;
  connect: boolean;
  /** Cluster peering: always "" here (refused when set). */
  peer: string;
}

/** A prepared-query row. */
export interface PreparedQuery {
  id: string;
  name: string;
  /** The session whose invalidation deletes the query ("" for none). */
  session: string;
  /** The token executions use (the caller's when ""). */
  token: string;
  template: QueryTemplate;
  service: ServiceQuery;
  /** DNS answers' TTL as a Go duration ("" for the service TTL rules). */
  dns: { ttl: string };
  createIndex: number;
  modifyIndex: number;
}

/** What a create or update supplies; the indexes come from the transaction. */
export type PreparedQueryWrite = Omit<PreparedQuery, 'createIndex' | 'modifyIndex'>;

/** Consul's PreparedQuery.Apply operations. */
export type PreparedQueryOp = 'create' | 'update' | 'delete';

/** What an apply returns: done, or refused with Consul's error text. */
export type PreparedQueryResult = { ok: true } | { ok: false; error: string };

/** A query with no fields set (what a PUT with an empty body carries). */
export function emptyPreparedQuery(id = ''): PreparedQueryWrite {
  return {
    id,
    name: '',
    session: '',
    token: '',
    template: { type: '', regexp: '', removeEmptyTags: false },
    service: {
      service: '',
      failover: { nearestN: 0, datacenters: [], targets: [] },
      onlyPassing: false,
      ignoreCheckIDs: [],
      near: '',
      tags: [],
      nodeMeta: {},
      serviceMeta: {},
      connect: false,
      peer: '',
    },
    dns: { ttl: '' },
  };
}

/** Whether the query is a template (looked up by name prefix, rendered before it runs). */
export function isQueryTemplate(query: { template: { type: string } }): boolean {
  return query.template.type !== '';
}

/**
 * The name ACL rules apply to (Consul's GetACLPrefix), or null for an unnamed, non-template
 * query, which no `query` rule covers.
 */
export function queryAclPrefix(query: { name: string; template: { type: string } }): string | null {
  return query.name !== '' || isQueryTemplate(query) ? query.name : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` has the form of a query ID (a UUID in any case). */
export function looksLikeQueryId(text: string): boolean {
  return text.length === 36 && UUID.test(text);
}
