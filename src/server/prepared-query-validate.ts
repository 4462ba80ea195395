// Consul's parseQuery (agent/consul/prepared_query_endpoint.go): what a create or update must
// satisfy before it is proposed. Names, sessions and templates are checked by the state store
// when the entry applies (they depend on the other rows).
import { nodeMetaProblem } from '../agent';
import { parseDuration } from '../config';
import type { PreparedQueryWrite, ServiceQuery } from '../state';

/** What list and get show instead of a stored Token to callers without acl:write. */
export const REDACTED_TOKEN = '<hidden>';

/** The first problem of `query` as Consul words it (without the "Invalid prepared query: "). */
export function preparedQueryProblem(query: PreparedQueryWrite): string | null {
  if (query.name === '' && query.template.type === '' && query.session === '') {
    return 'Must be bound to a session';
  }
  if (query.token === REDACTED_TOKEN) {
    return `Bad Token '${query.token}', it looks like a query definition with a redacted token was submitted`;
  }
  return serviceProblem(query.service) ?? dnsProblem(query.dns.ttl);
}

function serviceProblem(service: ServiceQuery): string | null {
  if (service.service === '') return 'Must provide a Service name to query';
  // Consulate has no cluster peering: a query that names a peer could never run as written.
  if (service.peer !== '') {
    return `Bad Peer '${service.peer}': cluster peering is not available in Consulate`;
  }
  const { failover } = service;
  if (failover.nearestN < 0) return `Bad NearestN '${failover.nearestN}', must be >= 0`;
  if (failover.targets.length > 0 && (failover.nearestN !== 0 || failover.datacenters.length > 0)) {
    return 'Targets cannot be populated with NearestN or Datacenters';
  }
  const peered = failover.targets.find((target) => target.peer !== '');
  if (peered !== undefined) {
    return `Bad failover target Peer '${peered.peer}': cluster peering is not available in Consulate`;
  }
  return nodeMetaProblem(service.nodeMeta, true);
}

function dnsProblem(ttl: string): string | null {
  if (ttl === '') return null;
  let ms: number;
  try {
    ms = parseDuration(ttl);
  } catch (error) {
    return `Bad DNS TTL '${ttl}': ${(error as Error).message}`;
  }
  return ms < 0 ? `DNS TTL '${Math.round(ms * 1e6)}', must be >=0` : null;
}
