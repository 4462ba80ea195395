// The catalog table family: nodes, the services registered on them, and their checks. Writes
// take a WriteTxn and stamp what they change with its Raft index; a write that changes nothing
// stamps nothing and wakes nobody. Semantics follow hashicorp/consul agent/consul/state/catalog.go.
//
// Besides the table indexes (`nodes`, `services`, `checks`) two families of index entries let a
// read of one service or node report, and wait on, changes to it alone:
//   node.<name>     the node row, its services or its checks changed;
//   service.<name>  an instance of the service or one of its checks changed, or the row or a
//                   node-level check of a node hosting an instance (node health is part of the
//                   service's health, as Consul's updateAllServiceIndexesOfNode).
// Each entry also names the watch key woken with it. An entry is dropped when its node or last
// instance goes; reads then fall back to table indexes, which the removal raised past it.
import { deleteNodeCoordinatesTxn } from './coordinates';
import type { CatalogNode, HealthCheck, NodeService, ServiceRegistration } from './catalog-types';
import { checkKey, foldName as fold, nodeKey, nodePrefix } from './catalog-keys';
import { invalidateCheckSessionsTxn, invalidateNodeSessionsTxn } from './session';
import type { IndexName, ReadTxn, WriteTxn } from './tables';

export { checkKey, nodeKey, nodePrefix };

/** A failed catalog write whose message is Consul's error text. */
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

export type NodeWrite = Omit<CatalogNode, 'createIndex' | 'modifyIndex'>;
export type CheckWrite = Omit<
  HealthCheck,
  'serviceName' | 'serviceTags' | 'createIndex' | 'modifyIndex'
>;

export const serviceKey = (node: string, serviceID: string): string =>
  `${fold(node)}\0${fold(serviceID)}`;
/** Prefix of the serviceInstances keys of one service name. */
export const instancesPrefix = (service: string): string => `${fold(service)}\0`;
/** Key of an instance in the serviceInstances index: service name, then node, then ID. */
export const instanceKey = (row: NodeService): string =>
  `${fold(row.service)}\0${fold(row.node)}\0${fold(row.id)}`;

export const nodeIndexName = (node: string): IndexName => `node.${fold(node)}`;
export const serviceIndexName = (service: string): IndexName => `service.${fold(service)}`;

/** Inserts or updates a node row. An empty ID keeps the ID the node already has. */
export function ensureNodeTxn(tx: WriteTxn, write: NodeWrite): CatalogNode {
  const key = nodeKey(write.node);
  const existing = tx.tables.nodes.get(key);
  const row: CatalogNode = {
    ...write,
    id: write.id !== '' ? write.id : (existing?.id ?? ''),
    createIndex: existing?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  if (existing !== undefined && sameNode(existing, row)) return existing;
  tx.put(tx.tables.nodes, key, row);
  nodeChangedTxn(tx, row.node);
  return row;
}

/** Inserts or updates a service instance on an existing node; its checks follow its name/tags. */
export function ensureServiceTxn(
  tx: WriteTxn,
  node: string,
  write: ServiceRegistration,
): NodeService {
  const host = requireNode(tx, node);
  const key = serviceKey(node, write.id);
  const existing = tx.tables.services.get(key);
  const row: NodeService = {
    ...write,
    node: host.node,
    createIndex: existing?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  if (existing !== undefined && sameService(existing, row)) return existing;
  if (existing !== undefined) removeInstanceTxn(tx, existing);
  tx.put(tx.tables.services, key, row);
  tx.put(tx.tables.serviceInstances, instanceKey(row), key);
  serviceChangedTxn(tx, row);
  for (const check of serviceChecks(tx, row.node, row.id)) {
    if (check.serviceName !== row.service || !sameList(check.serviceTags, row.tags)) {
      putCheckTxn(tx, check, { ...check, serviceName: row.service, serviceTags: row.tags });
    }
  }
  return row;
}

/**
 * Inserts or updates a check on an existing node. Status "" registers as critical; a check
 * bound to a service takes that service's name and tags, and the service must exist.
 */
export function ensureCheckTxn(tx: WriteTxn, write: CheckWrite): HealthCheck {
  const host = requireNode(tx, write.node);
  let service: NodeService | undefined;
  if (write.serviceID !== '') {
    service = tx.tables.services.get(serviceKey(write.node, write.serviceID));
    if (service === undefined) {
      throw new CatalogError(
        `Unknown service ID '${write.serviceID}' for check ID '${write.checkID}'`,
      );
    }
  }
  const existing = tx.tables.checks.get(checkKey(write.node, write.checkID));
  const row: HealthCheck = {
    ...write,
    node: host.node,
    status: write.status === '' ? 'critical' : write.status,
    serviceName: service?.service ?? '',
    serviceTags: service?.tags ?? [],
    createIndex: existing?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  if (existing !== undefined && sameCheck(existing, row)) return existing;
  putCheckTxn(tx, existing, row);
  return row;
}

/** Removes a node with all its services and checks. A missing node changes nothing. */
export function deleteNodeTxn(tx: WriteTxn, node: string): void {
  const key = nodeKey(node);
  const existing = tx.tables.nodes.get(key);
  if (existing === undefined) return;
  // Sessions on the node go first (Consul's deleteNodeTxn), releasing their locks.
  invalidateNodeSessionsTxn(tx, node);
  for (const [checkRowKey, check] of [...tx.tables.checks.scanPrefix(nodePrefix(node))]) {
    removeCheckTxn(tx, checkRowKey, check);
  }
  for (const [, service] of [...tx.tables.services.scanPrefix(nodePrefix(node))]) {
    deleteServiceTxn(tx, node, service.id);
  }
  deleteNodeCoordinatesTxn(tx, node);
  tx.remove(tx.tables.nodes, key);
  nodeChangedTxn(tx, existing.node);
  tx.dropIndex(nodeIndexName(node));
}

/** Removes a service instance and its checks. A missing one changes nothing. */
export function deleteServiceTxn(tx: WriteTxn, node: string, serviceID: string): void {
  const key = serviceKey(node, serviceID);
  const existing = tx.tables.services.get(key);
  if (existing === undefined) return;
  for (const check of serviceChecks(tx, node, serviceID)) {
    removeCheckTxn(tx, checkKey(node, check.checkID), check);
  }
  tx.remove(tx.tables.services, key);
  removeInstanceTxn(tx, existing);
  serviceChangedTxn(tx, existing);
  if (!hasInstances(tx, existing.service)) tx.dropIndex(serviceIndexName(existing.service));
}

/** Removes one check. A missing one changes nothing. */
export function deleteCheckTxn(tx: WriteTxn, node: string, checkID: string): void {
  const key = checkKey(node, checkID);
  const existing = tx.tables.checks.get(key);
  if (existing !== undefined) removeCheckTxn(tx, key, existing);
}

/** The checks of one node bound to one of its services. */
export function serviceChecks(tx: ReadTxn, node: string, serviceID: string): HealthCheck[] {
  const id = fold(serviceID);
  const checks: HealthCheck[] = [];
  for (const [, check] of tx.tables.checks.scanPrefix(nodePrefix(node))) {
    if (check.serviceID !== '' && fold(check.serviceID) === id) checks.push(check);
  }
  return checks;
}

function requireNode(tx: ReadTxn, node: string): CatalogNode {
  const row = tx.tables.nodes.get(nodeKey(node));
  if (row === undefined) throw new CatalogError('Missing node registration');
  return row;
}

function hasInstances(tx: ReadTxn, service: string): boolean {
  return !tx.tables.serviceInstances.scanPrefix(instancesPrefix(service)).next().done;
}

function putCheckTxn(tx: WriteTxn, existing: HealthCheck | undefined, row: HealthCheck): void {
  const stamped = { ...row, modifyIndex: tx.index };
  tx.put(tx.tables.checks, checkKey(row.node, row.checkID), stamped);
  // A check moved to another service also changes the health of the one it left.
  if (existing !== undefined && fold(existing.serviceID) !== fold(row.serviceID)) {
    checkChangedTxn(tx, existing);
  }
  checkChangedTxn(tx, stamped);
  // A session bound to a check is invalidated when the check turns critical.
  if (stamped.status === 'critical') invalidateCheckSessionsTxn(tx, row.node, row.checkID);
}

function removeCheckTxn(tx: WriteTxn, key: string, check: HealthCheck): void {
  invalidateCheckSessionsTxn(tx, check.node, check.checkID);
  tx.remove(tx.tables.checks, key);
  checkChangedTxn(tx, check);
}

function removeInstanceTxn(tx: WriteTxn, row: NodeService): void {
  tx.remove(tx.tables.serviceInstances, instanceKey(row));
  touchTxn(tx, serviceIndexName(row.service));
  if (!hasInstances(tx, row.service)) tx.dropIndex(serviceIndexName(row.service));
}

function nodeChangedTxn(tx: WriteTxn, node: string): void {
  touchTxn(tx, 'nodes');
  touchTxn(tx, nodeIndexName(node));
  touchServicesOfNodeTxn(tx, node);
}

function serviceChangedTxn(tx: WriteTxn, row: NodeService): void {
  touchTxn(tx, 'services');
  touchTxn(tx, nodeIndexName(row.node));
  touchTxn(tx, serviceIndexName(row.service));
}

function checkChangedTxn(tx: WriteTxn, check: HealthCheck): void {
  touchTxn(tx, 'checks');
  touchTxn(tx, nodeIndexName(check.node));
  if (check.serviceID === '') {
    touchServicesOfNodeTxn(tx, check.node);
    return;
  }
  const service = tx.tables.services.get(serviceKey(check.node, check.serviceID));
  if (service !== undefined) touchTxn(tx, serviceIndexName(service.service));
}

function touchServicesOfNodeTxn(tx: WriteTxn, node: string): void {
  for (const [, service] of tx.tables.services.scanPrefix(nodePrefix(node))) {
    touchTxn(tx, serviceIndexName(service.service));
  }
}

/** Stamps an index entry and queues a wake-up for the readers of it. */
function touchTxn(tx: WriteTxn, name: IndexName): void {
  tx.touchIndex(name);
  tx.changed(tx.watches.catalog, name);
}

function sameNode(a: CatalogNode, b: CatalogNode): boolean {
  return (
    a.id === b.id &&
    a.node === b.node &&
    a.address === b.address &&
    a.datacenter === b.datacenter &&
    sameStringMap(a.taggedAddresses, b.taggedAddresses) &&
    sameStringMap(a.meta, b.meta)
  );
}

function sameService(a: NodeService, b: NodeService): boolean {
  return (
    a.node === b.node &&
    a.id === b.id &&
    a.service === b.service &&
    sameList(a.tags, b.tags) &&
    a.address === b.address &&
    sameMap(
      a.taggedAddresses,
      b.taggedAddresses,
      (x, y) => x.address === y.address && x.port === y.port,
    ) &&
    sameStringMap(a.meta, b.meta) &&
    a.port === b.port &&
    a.weights.passing === b.weights.passing &&
    a.weights.warning === b.weights.warning &&
    a.enableTagOverride === b.enableTagOverride &&
    a.kind === b.kind
  );
}

function sameCheck(a: HealthCheck, b: HealthCheck): boolean {
  const [x, y] = [a.definition, b.definition];
  return (
    a.node === b.node &&
    a.checkID === b.checkID &&
    a.name === b.name &&
    a.status === b.status &&
    a.notes === b.notes &&
    a.output === b.output &&
    a.serviceID === b.serviceID &&
    a.serviceName === b.serviceName &&
    sameList(a.serviceTags, b.serviceTags) &&
    a.type === b.type &&
    a.interval === b.interval &&
    a.timeout === b.timeout &&
    a.exposedPort === b.exposedPort &&
    x.http === y.http &&
    sameMap(x.header, y.header, sameList) &&
    x.method === y.method &&
    x.body === y.body &&
    x.tlsServerName === y.tlsServerName &&
    x.tlsSkipVerify === y.tlsSkipVerify &&
    x.tcp === y.tcp &&
    x.udp === y.udp &&
    x.grpc === y.grpc &&
    x.grpcUseTLS === y.grpcUseTLS &&
    x.interval === y.interval &&
    x.timeout === y.timeout &&
    x.deregisterCriticalServiceAfter === y.deregisterCriticalServiceAfter
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameStringMap(a: Record<string, string>, b: Record<string, string>): boolean {
  return sameMap(a, b, (x, y) => x === y);
}

function sameMap<V>(
  a: Record<string, V>,
  b: Record<string, V>,
  same: (x: V, y: V) => boolean,
): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && same(a[key], b[key]));
}
