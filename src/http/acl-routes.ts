// What every route of the API needs from the request's token (cluster.md §7.4), keyed by
// `METHOD url` as the route is registered. One entry per route: a route without one is
// refused (management tokens only) and fails the route-table test, so that no endpoint is
// ever left open by omission.
//   check   runs before the handler (names from the path or the local agent's state);
//   filter  trims the JSON answer of lists to what the token may read;
//   writes  'commands': the handler's Raft commands are checked one by one (acl-runtime.ts),
//           'local': the local agent's changes are checked (acl-runtime.ts),
//           'sessions': session create/destroy/renew need session:write on the session's node,
//           'queries': prepared-query writes need query:write on the query's name (old and new).
//           'coordinates': a coordinate update needs node:write on the node it is for.
import type { FastifyRequest } from 'fastify';

import type { AgentCore } from '../server';
import { FILTERS, type AnswerFilter } from './acl-filters';
import type { RequestAcl } from './acl-request';
import { pathSuffix } from './path';
import { hasQueryFlag } from './query';

export interface RouteAcl {
  check?: (acl: RequestAcl, request: FastifyRequest, runtime: AgentCore) => void;
  filter?: AnswerFilter;
  /** Whether a list the filter emptied is answered 404 (as when there was nothing). */
  notFoundWhenEmptied?: (request: FastifyRequest) => boolean;
  writes?: 'commands' | 'local' | 'sessions' | 'queries' | 'coordinates';
  /** The ACL endpoints check acl:read / acl:write themselves (token/self and bootstrap differ). */
  aclEndpoint?: true;
}

const NONE: RouteAcl = {};

/** `resource:access` on the rest of the path after `prefix`. */
function onPath(
  resource: 'key' | 'node' | 'service' | 'agent' | 'event' | 'session' | 'query',
  access: 'read' | 'write',
  prefix: string,
): RouteAcl['check'] {
  return (acl, request) => acl.require(resource, pathSuffix(request, prefix), access);
}

function onThisAgent(access: 'read' | 'write'): RouteAcl['check'] {
  return (acl, _request, runtime) => acl.require('agent', runtime.config.nodeName, access);
}

function operator(access: 'read' | 'write'): RouteAcl['check'] {
  return (acl) => acl.require('operator', '', access);
}

/** A local service by ID (from the path): service:access on its name when it exists. */
function onLocalService(access: 'read' | 'write', prefix: string): RouteAcl['check'] {
  return (acl, request, runtime) => {
    const service = runtime.local.service(pathSuffix(request, prefix));
    if (service !== undefined) acl.require('service', service.record.service, access);
  };
}

const ACL_READ: RouteAcl = { aclEndpoint: true };
const ACL_WRITE: RouteAcl = { aclEndpoint: true };

export const ROUTE_ACLS: Readonly<Record<string, RouteAcl>> = {
  'GET /v1/kv/*': {
    check: (acl, request, runtime) => {
      const key = pathSuffix(request, '/v1/kv/');
      if (hasQueryFlag(request, 'recurse') || hasQueryFlag(request, 'keys')) {
        // Listings are filtered by key:read; with the key list policy they also need list.
        if (runtime.config.acl.enableKeyListPolicy) acl.require('key', key, 'list');
        return;
      }
      acl.require('key', key, 'read');
    },
    filter: FILTERS.kvList,
    // kv.controller.ts: an empty ?recurse is 404, and so is an empty ?keys below the root.
    notFoundWhenEmptied: (request) =>
      hasQueryFlag(request, 'recurse') || pathSuffix(request, '/v1/kv/') !== '',
  },
  'PUT /v1/kv/*': { writes: 'commands' },
  'DELETE /v1/kv/*': { writes: 'commands' },
  'PUT /v1/txn': { writes: 'commands', filter: FILTERS.txnResults },

  'GET /v1/status/leader': NONE,
  'GET /v1/status/peers': NONE,

  'GET /v1/operator/raft/configuration': { check: operator('read') },
  'GET /v1/operator/autopilot/configuration': { check: operator('read') },
  'PUT /v1/operator/autopilot/configuration': { check: operator('write') },
  'GET /v1/operator/autopilot/health': { check: operator('read') },
  'GET /v1/operator/autopilot/state': { check: operator('read') },
  // Consul: snapshots need a management token (acl:write).
  'GET /v1/snapshot': { check: (acl) => acl.require('acl', '', 'write') },
  'PUT /v1/snapshot': { check: (acl) => acl.require('acl', '', 'write') },

  'PUT /v1/session/create': { writes: 'sessions' },
  'PUT /v1/session/destroy/*': { writes: 'sessions' },
  'PUT /v1/session/renew/*': { writes: 'sessions' },
  'GET /v1/session/info/*': { filter: FILTERS.sessions },
  'GET /v1/session/node/*': { filter: FILTERS.sessions },
  'GET /v1/session/list': { filter: FILTERS.sessions },

  // Prepared queries: the list keeps what query:read allows (tokens hidden from all but
  // management); GET of one query and explain answer 403 for one the token may not read
  // (query.controller.ts); execute filters its nodes with the query's token, else the caller's.
  'POST /v1/query': { writes: 'queries' },
  'GET /v1/query': { filter: FILTERS.preparedQueries },
  'GET /v1/query/*': NONE,
  'PUT /v1/query/*': { writes: 'queries' },
  'DELETE /v1/query/*': { writes: 'queries' },

  'GET /v1/internal/ui/services': { filter: FILTERS.serviceSummaries },
  'DELETE /v1/operator/raft/peer': { check: operator('write') },
  'POST /v1/operator/raft/transfer-leader': { check: operator('write') },

  'GET /v1/agent/self': { check: onThisAgent('read') },
  'GET /v1/agent/metrics': { check: onThisAgent('read') },
  'PUT /v1/agent/join/*': { check: onThisAgent('write') },
  'PUT /v1/agent/leave': { check: onThisAgent('write') },
  'PUT /v1/agent/token/*': { check: onThisAgent('write') },
  'PUT /v1/agent/force-leave/:node': { check: operator('write') },
  'PUT /v1/event/fire/:name': { check: onPath('event', 'write', '/v1/event/fire/') },
  'GET /v1/event/list': { filter: FILTERS.events },
  'GET /v1/operator/keyring': { check: (acl) => acl.require('keyring', '', 'read') },
  'PUT /v1/operator/keyring': { check: (acl) => acl.require('keyring', '', 'write') },
  'POST /v1/operator/keyring': { check: (acl) => acl.require('keyring', '', 'write') },
  'DELETE /v1/operator/keyring': { check: (acl) => acl.require('keyring', '', 'write') },
  'GET /v1/agent/monitor': { check: onThisAgent('read') },
  'GET /v1/agent/members': { filter: FILTERS.nodes },
  'PUT /v1/agent/reload': { check: onThisAgent('write') },
  'PUT /v1/agent/maintenance': {
    check: (acl, _request, runtime) => acl.require('node', runtime.config.nodeName, 'write'),
  },
  'GET /v1/agent/services': { filter: FILTERS.agentServices },
  'GET /v1/agent/service/*': { check: onLocalService('read', '/v1/agent/service/') },
  'PUT /v1/agent/service/register': { writes: 'local' },
  'PUT /v1/agent/service/deregister/*': { writes: 'local' },
  'PUT /v1/agent/service/maintenance/*': { writes: 'local' },
  'GET /v1/agent/health/service/name/*': {
    check: onPath('service', 'read', '/v1/agent/health/service/name/'),
  },
  'GET /v1/agent/health/service/id/*': {
    check: onLocalService('read', '/v1/agent/health/service/id/'),
  },
  'GET /v1/agent/checks': { filter: FILTERS.agentChecks },
  'PUT /v1/agent/check/register': { writes: 'local' },
  'PUT /v1/agent/check/deregister/*': { writes: 'local' },
  'PUT /v1/agent/check/pass/*': { writes: 'local' },
  'PUT /v1/agent/check/warn/*': { writes: 'local' },
  'PUT /v1/agent/check/fail/*': { writes: 'local' },
  'PUT /v1/agent/check/update/*': { writes: 'local' },

  'GET /v1/catalog/datacenters': NONE,
  'PUT /v1/catalog/register': { writes: 'commands' },
  'PUT /v1/catalog/deregister': { writes: 'commands' },
  'GET /v1/catalog/nodes': { filter: FILTERS.nodes },
  'GET /v1/catalog/services': { filter: FILTERS.serviceNames },
  'GET /v1/catalog/service/*': { filter: FILTERS.serviceNodes },
  'GET /v1/catalog/connect/*': { filter: FILTERS.serviceNodes },
  'GET /v1/catalog/gateway-services/*': {
    check: onPath('service', 'read', '/v1/catalog/gateway-services/'),
  },
  'GET /v1/catalog/node/*': {
    check: onPath('node', 'read', '/v1/catalog/node/'),
    filter: FILTERS.nodeServicesMap,
  },
  'GET /v1/catalog/node-services/*': {
    check: onPath('node', 'read', '/v1/catalog/node-services/'),
    filter: FILTERS.nodeServicesList,
  },

  'GET /v1/coordinate/datacenters': NONE,
  'GET /v1/coordinate/nodes': { filter: FILTERS.nodes },
  'GET /v1/coordinate/node/*': { check: onPath('node', 'read', '/v1/coordinate/node/') },
  'PUT /v1/coordinate/update': { writes: 'coordinates' },

  'GET /v1/health/node/*': { filter: FILTERS.checks },
  'GET /v1/health/checks/*': { filter: FILTERS.checks },
  'GET /v1/health/state/*': { filter: FILTERS.checks },
  'GET /v1/health/service/*': { filter: FILTERS.checkServiceNodes },
  'GET /v1/health/connect/*': { filter: FILTERS.checkServiceNodes },
  'GET /v1/health/ingress/*': { filter: FILTERS.checkServiceNodes },

  'PUT /v1/acl/bootstrap': ACL_WRITE,
  'PUT /v1/acl/token': ACL_WRITE,
  'GET /v1/acl/token/self': ACL_READ,
  'GET /v1/acl/token/:id': ACL_READ,
  'PUT /v1/acl/token/:id': ACL_WRITE,
  'DELETE /v1/acl/token/:id': ACL_WRITE,
  'PUT /v1/acl/token/:id/clone': ACL_WRITE,
  'GET /v1/acl/tokens': ACL_READ,
  'PUT /v1/acl/policy': ACL_WRITE,
  'GET /v1/acl/policy/:id': ACL_READ,
  'GET /v1/acl/policy/name/:name': ACL_READ,
  'PUT /v1/acl/policy/:id': ACL_WRITE,
  'DELETE /v1/acl/policy/:id': ACL_WRITE,
  'GET /v1/acl/policies': ACL_READ,
  'PUT /v1/acl/role': ACL_WRITE,
  'GET /v1/acl/role/:id': ACL_READ,
  'GET /v1/acl/role/name/:name': ACL_READ,
  'PUT /v1/acl/role/:id': ACL_WRITE,
  'DELETE /v1/acl/role/:id': ACL_WRITE,
  'GET /v1/acl/roles': ACL_READ,
};

/** A route without an entry: only a management token (acl:write) passes. */
export const UNLISTED_ROUTE: RouteAcl = {
  check: (acl) => acl.require('acl', '', 'write'),
};

export function routeAcl(method: string, url: string): RouteAcl {
  // `/` answers every method with the same text (root.controller.ts).
  if (url === '/') return NONE;
  return ROUTE_ACLS[`${method} ${url}`] ?? UNLISTED_ROUTE;
}
