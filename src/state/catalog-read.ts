// Catalog and health reads. Each returns the rows and the index Consul reports for them
// (agent/consul/state/catalog.go): a table index for whole-table reads; for one node or one
// service its own index entry, else — when it does not exist — the table indexes that its
// removal raised (so a blocking client never sees the index go backwards).
import {
  instancesPrefix,
  nodeIndexName,
  nodeKey,
  nodePrefix,
  serviceChecks,
  serviceIndexName,
} from './catalog';
import type {
  CatalogNode,
  CheckServiceNode,
  HealthCheck,
  NodeService,
  NodeServices,
  ServiceNode,
} from './catalog-types';
import { compareKeys } from './ordered-table';
import { tableIndex, type IndexedTable, type IndexName, type ReadTxn } from './tables';
import type { ReadResult } from './types';

/** Every node, sorted by name. */
export function catalogNodes(tx: ReadTxn): ReadResult<CatalogNode[]> {
  const nodes = [...tx.tables.nodes.scanPrefix('')].map(([, node]) => node);
  return { value: nodes, index: tableIndex(tx.tables, 'nodes') };
}

/** A node and its services (sorted by ID), or null. */
export function catalogNode(tx: ReadTxn, node: string): ReadResult<NodeServices | null> {
  const row = tx.tables.nodes.get(nodeKey(node));
  const value = row === undefined ? null : { node: row, services: servicesOn(tx, node) };
  return { value, index: indexOr(tx, nodeIndexName(node), 'nodes', 'services') };
}

/** The services of one node, sorted by ID ([] for an unknown node). */
export function nodeServices(tx: ReadTxn, node: string): ReadResult<NodeService[]> {
  return {
    value: servicesOn(tx, node),
    index: indexOr(tx, nodeIndexName(node), 'nodes', 'services'),
  };
}

/** Service name → the union of its instances' tags, sorted and deduplicated; names sorted. */
export function catalogServices(tx: ReadTxn): ReadResult<Map<string, string[]>> {
  const tags = new Map<string, Set<string>>();
  for (const [, service] of tx.tables.services.scanPrefix('')) {
    let union = tags.get(service.service);
    if (union === undefined) {
      union = new Set();
      tags.set(service.service, union);
    }
    for (const tag of service.tags) union.add(tag);
  }
  const value = new Map<string, string[]>();
  for (const name of [...tags.keys()].sort(compareKeys)) {
    value.set(name, [...(tags.get(name) as Set<string>)].sort(compareKeys));
  }
  return { value, index: tableIndex(tx.tables, 'services') };
}

/** The instances of a service with their nodes, sorted by node then service ID. */
export function catalogServiceNodes(tx: ReadTxn, service: string): ReadResult<ServiceNode[]> {
  const value = instancesOf(tx, service);
  return { value, index: indexOr(tx, serviceIndexName(service), 'services') };
}

/** Every check of a node (node-level and service checks), sorted by check ID. */
export function healthNodeChecks(tx: ReadTxn, node: string): ReadResult<HealthCheck[]> {
  const value = [...tx.tables.checks.scanPrefix(nodePrefix(node))].map(([, check]) => check);
  return { value, index: indexOr(tx, nodeIndexName(node), 'nodes', 'checks') };
}

/** The checks bound to instances of a service (no node-level checks), in instance order. */
export function healthServiceChecks(tx: ReadTxn, service: string): ReadResult<HealthCheck[]> {
  const value = instancesOf(tx, service).flatMap((instance) => ownChecks(tx, instance.service));
  return { value, index: indexOr(tx, serviceIndexName(service), 'services', 'checks') };
}

/**
 * Each instance of a service with its node and health (node-level checks, then its own),
 * sorted by node then service ID.
 */
export function healthServiceNodes(tx: ReadTxn, service: string): ReadResult<CheckServiceNode[]> {
  const value = instancesOf(tx, service).map((instance) => ({
    ...instance,
    checks: [...nodeLevelChecks(tx, instance.node.node), ...ownChecks(tx, instance.service)],
  }));
  return { value, index: indexOr(tx, serviceIndexName(service), 'nodes', 'services', 'checks') };
}

/** Checks whose status is `state` (every check for 'any'), sorted by node then check ID. */
export function healthChecksInState(tx: ReadTxn, state: string): ReadResult<HealthCheck[]> {
  const value: HealthCheck[] = [];
  for (const [, check] of tx.tables.checks.scanPrefix('')) {
    if (state === 'any' || check.status === state) value.push(check);
  }
  return { value, index: tableIndex(tx.tables, 'checks') };
}

function servicesOn(tx: ReadTxn, node: string): NodeService[] {
  return [...tx.tables.services.scanPrefix(nodePrefix(node))].map(([, service]) => service);
}

function instancesOf(tx: ReadTxn, service: string): ServiceNode[] {
  const instances: ServiceNode[] = [];
  for (const [, key] of tx.tables.serviceInstances.scanPrefix(instancesPrefix(service))) {
    const row = tx.tables.services.get(key) as NodeService;
    instances.push({ node: tx.tables.nodes.get(nodeKey(row.node)) as CatalogNode, service: row });
  }
  return instances;
}

function nodeLevelChecks(tx: ReadTxn, node: string): HealthCheck[] {
  const checks: HealthCheck[] = [];
  for (const [, check] of tx.tables.checks.scanPrefix(nodePrefix(node))) {
    if (check.serviceID === '') checks.push(check);
  }
  return checks;
}

function ownChecks(tx: ReadTxn, service: NodeService): HealthCheck[] {
  return serviceChecks(tx, service.node, service.id);
}

// The entry's index while it exists, else the max of the given table indexes.
function indexOr(tx: ReadTxn, entry: IndexName, ...tables: IndexedTable[]): number {
  const own = tx.tables.indexes.get(entry);
  if (own !== undefined) return own;
  return Math.max(0, ...tables.map((table) => tableIndex(tx.tables, table)));
}
