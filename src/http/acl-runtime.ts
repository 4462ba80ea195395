// The runtime the HTTP controllers see when ACLs decide: every Raft command a request proposes
// and every change it makes to the local agent is checked against the request's token first
// (Consul checks in its RPC endpoints, by what is written, not by URL). Internal writers
// (anti-entropy, leader duties) use the agent itself and are not affected.
import type { LocalAgent } from '../agent';
import type { AgentRuntime } from '../server';
import { queryAclPrefix } from '../state';
import type {
  CatalogTxnOp,
  Command,
  Deregistration,
  KvTxnOp,
  Registration,
  StateStore,
} from '../state';
import { aclScope, type RequestAcl } from './acl-request';

const KV_READ_VERBS: ReadonlySet<string> = new Set([
  'get',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
]);

/** `runtime` with apply() and local's writes checked against the running request's token. */
export function aclEnforcedRuntime(runtime: AgentRuntime): AgentRuntime {
  const local = aclEnforcedLocal(runtime);
  const sessions = aclEnforcedSessions(runtime);
  const preparedQueries = aclEnforcedPreparedQueries(runtime);
  const coordinates = aclEnforcedCoordinates(runtime);
  const apply = async (cmd: Command): Promise<unknown> => {
    const acl = aclScope.getStore();
    if (acl !== undefined && acl.enforcing) authorizeCommand(acl, cmd, runtime.store);
    return runtime.apply(cmd);
  };
  return new Proxy(runtime, {
    get(target, property) {
      if (property === 'apply') return apply;
      if (property === 'local') return local;
      if (property === 'sessions') return sessions;
      if (property === 'preparedQueries') return preparedQueries;
      if (property === 'coordinates') return coordinates;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function authorizeCommand(acl: RequestAcl, cmd: Command, store: StateStore): void {
  switch (cmd.type) {
    case 'kv-set':
    case 'kv-delete':
      return acl.require('key', cmd.key, 'write');
    case 'kv-delete-tree':
      return acl.requireKeyWritePrefix(cmd.prefix);
    case 'txn':
      return cmd.ops.forEach((op) => authorizeKvOp(acl, op));
    case 'txn-mixed':
      return cmd.ops.forEach((op) =>
        op.kind === 'kv' ? authorizeKvOp(acl, op.op) : authorizeCatalogOp(acl, op, store),
      );
    case 'catalog-register':
      return authorizeRegistration(acl, cmd.registration, store);
    case 'catalog-deregister':
      return authorizeDeregistration(acl, cmd.deregistration, store);
    case 'catalog-sync':
    case 'tombstone-reap':
      // The agent's own duties; never proposed on behalf of a request.
      return acl.require('acl', '', 'write');
    case 'acl-bootstrap':
      return;
    case 'autopilot-set':
      return acl.require('operator', '', 'write');
    case 'session-create':
      return acl.require('session', cmd.session.node, 'write');
    case 'session-destroy': {
      const session = store.sessionGet(cmd.id).value;
      return acl.require('session', session?.node ?? '', 'write');
    }
    case 'prepared-query-apply':
      return authorizeQueryWrite(acl, cmd.query, store);
    default:
      // Every other ACL write: the ACL endpoints checked it; this keeps them honest.
      return acl.require('acl', '', 'write');
  }
}

function authorizeKvOp(acl: RequestAcl, op: KvTxnOp): void {
  if (KV_READ_VERBS.has(op.verb)) return acl.require('key', op.key, 'read');
  if (op.verb === 'delete-tree') return acl.requireKeyWritePrefix(op.key);
  acl.require('key', op.key, 'write');
}

function authorizeCatalogOp(acl: RequestAcl, op: CatalogTxnOp, store: StateStore): void {
  const access = op.verb === 'get' ? 'read' : 'write';
  if (op.kind === 'node') return acl.require('node', op.node.node, access);
  if (op.kind === 'service') return acl.require('service', op.service.service, access);
  const { node, serviceID } = op.check;
  if (serviceID === '') return acl.require('node', node, access);
  acl.require('service', serviceNameOf(store, node, serviceID) ?? serviceID, access);
}

// Consul's vetRegisterWithACL: node:write unless the node exists unchanged; service:write on
// the service; each check needs its owner's write.
function authorizeRegistration(acl: RequestAcl, reg: Registration, store: StateStore): void {
  const existing = store.catalogNode(reg.node).value?.node ?? null;
  const unchanged =
    existing !== null &&
    (reg.skipNodeUpdate ||
      (existing.address === reg.address &&
        (reg.id === '' || existing.id === reg.id) &&
        sameMap(existing.taggedAddresses, reg.taggedAddresses) &&
        sameMap(existing.meta, reg.nodeMeta)));
  if (!unchanged || reg.service === null) acl.require('node', reg.node, 'write');
  if (reg.service !== null) acl.require('service', reg.service.service, 'write');
  for (const check of reg.checks) {
    if (check.serviceID === '') {
      acl.require('node', reg.node, 'write');
      continue;
    }
    const name =
      reg.service !== null && reg.service.id === check.serviceID
        ? reg.service.service
        : serviceNameOf(store, reg.node, check.serviceID);
    acl.require('service', name ?? check.serviceID, 'write');
  }
}

function authorizeDeregistration(acl: RequestAcl, dereg: Deregistration, store: StateStore): void {
  if (dereg.serviceID !== '') {
    const name = serviceNameOf(store, dereg.node, dereg.serviceID);
    return acl.require('service', name ?? dereg.serviceID, 'write');
  }
  if (dereg.checkID !== '') {
    const check = store
      .healthNodeChecks(dereg.node)
      .value.find((row) => row.checkID === dereg.checkID);
    if (check !== undefined && check.serviceID !== '') {
      return acl.require('service', check.serviceName, 'write');
    }
  }
  acl.require('node', dereg.node, 'write');
}

function serviceNameOf(store: StateStore, node: string, serviceID: string): string | null {
  const service = store.nodeServices(node).value.find((row) => row.id === serviceID);
  return service?.service ?? null;
}

function sameMap(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

// The local agent's writes: services need service:write on their name; node checks and node
// maintenance node:write on this node; service checks their service's write.
function aclEnforcedLocal(runtime: AgentRuntime): LocalAgent {
  const target = runtime.local;
  const nodeName = (): string => runtime.config.nodeName;
  const requireCheckOwner = (acl: RequestAcl, checkId: string): void => {
    const check = target.check(checkId);
    if (check === undefined) return;
    if ((check.definition.serviceId ?? '') === '') acl.require('node', nodeName(), 'write');
    else acl.require('service', check.serviceName, 'write');
  };
  const requireService = (acl: RequestAcl, serviceId: string): void => {
    const service = target.service(serviceId);
    if (service !== undefined) acl.require('service', service.record.service, 'write');
  };
  const guarded: Partial<LocalAgent> = {
    registerService(admitted, replaceExistingChecks) {
      withAcl((acl) => acl.require('service', admitted.service.service, 'write'));
      target.registerService(admitted, replaceExistingChecks);
    },
    deregisterService(id) {
      withAcl((acl) => requireService(acl, id));
      target.deregisterService(id);
    },
    setServiceMaintenance(id, enable, reason) {
      withAcl((acl) => requireService(acl, id));
      target.setServiceMaintenance(id, enable, reason);
    },
    registerCheck(admitted) {
      withAcl((acl) => {
        const serviceId = admitted.definition.serviceId ?? '';
        if (serviceId === '') return acl.require('node', nodeName(), 'write');
        const service = target.service(serviceId);
        acl.require('service', service?.record.service ?? serviceId, 'write');
      });
      target.registerCheck(admitted);
    },
    deregisterCheck(id) {
      withAcl((acl) => requireCheckOwner(acl, id));
      target.deregisterCheck(id);
    },
    updateTtl(id, status, output) {
      withAcl((acl) => requireCheckOwner(acl, id));
      target.updateTtl(id, status, output);
    },
    setNodeMaintenance(enable, reason) {
      withAcl((acl) => acl.require('node', nodeName(), 'write'));
      target.setNodeMaintenance(enable, reason);
    },
  };
  return new Proxy(target, {
    get(object, property) {
      const own = (guarded as Record<PropertyKey, unknown>)[property];
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

// Sessions: session:write on the node the session lives on (Consul's session rule).
function aclEnforcedSessions(runtime: AgentRuntime): AgentRuntime['sessions'] {
  const target = runtime.sessions;
  const requireOwner = (id: string): void =>
    withAcl((acl) => {
      const session = runtime.store.sessionGet(id).value;
      if (session !== null) acl.require('session', session.node, 'write');
    });
  const guarded: Partial<AgentRuntime['sessions']> = {
    create(request) {
      withAcl((acl) => acl.require('session', request.node, 'write'));
      return target.create(request);
    },
    destroy(id) {
      requireOwner(id);
      return target.destroy(id);
    },
    renew(id) {
      requireOwner(id);
      return target.renew(id);
    },
  };
  return new Proxy(target, {
    get(object, property) {
      const own = (guarded as Record<PropertyKey, unknown>)[property];
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

// Prepared queries (Consul's PreparedQuery.Apply): query:write on the name of the query as
// proposed and, for an existing one, on its stored name; unnamed queries need no query rule.
function authorizeQueryWrite(
  acl: RequestAcl,
  query: { id: string; name: string; template: { type: string } },
  store: StateStore,
): void {
  const proposed = queryAclPrefix(query);
  if (proposed !== null) acl.require('query', proposed, 'write');
  const existing = query.id === '' ? null : store.preparedQueryGet(query.id).value;
  const stored = existing === null ? null : queryAclPrefix(existing);
  if (stored !== null) acl.require('query', stored, 'write');
}

function aclEnforcedPreparedQueries(runtime: AgentRuntime): AgentRuntime['preparedQueries'] {
  const target = runtime.preparedQueries;
  const guarded: Partial<AgentRuntime['preparedQueries']> = {
    apply(op, query) {
      withAcl((acl) => authorizeQueryWrite(acl, query, runtime.store));
      return target.apply(op, query);
    },
  };
  return new Proxy(target, {
    get(object, property) {
      const own = (guarded as Record<PropertyKey, unknown>)[property];
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

// Coordinate updates: node:write on the node they are for (Consul's Coordinate.Update).
function aclEnforcedCoordinates(runtime: AgentRuntime): AgentRuntime['coordinates'] {
  return {
    update(update) {
      withAcl((acl) => acl.require('node', update.node, 'write'));
      runtime.coordinates.update(update);
    },
    stop: () => runtime.coordinates.stop(),
  };
}

function withAcl(check: (acl: RequestAcl) => void): void {
  const acl = aclScope.getStore();
  if (acl !== undefined && acl.enforcing) check(acl);
}
