// What the /v1/catalog listings answer: one state-store read (recorded on the blocking query's
// watch set), narrowed by ?node-meta / ?tag, shaped as Consul's JSON, run through ?filter and
// ordered by ?near. The index is the read's: filtering never changes it.
import type { CatalogNode, StateStore, WatchSetBuilder } from '../state';
import {
  nodeJson,
  nodeServiceJson,
  serviceNodeJson,
  sorted,
  type JsonObject,
} from './catalog-json';
import {
  hasAllTags,
  nearDistances,
  satisfiesNodeMeta,
  sortNear,
  type ListFilter,
} from './catalog-params';
import { jsonRows, type JsonValue } from './json';
import type { View } from './listing';

export interface ListOptions {
  filter: ListFilter;
  /** `?node-meta` pairs every node must carry (empty: no restriction). */
  nodeMeta: Map<string, string>;
  /** The node whose estimated round trips order the answer ("" for none). */
  near: string;
}

export interface ServiceListOptions extends ListOptions {
  /** `?tag` values every instance must carry, or null. */
  tags: string[] | null;
}

const identity = (item: JsonObject): JsonObject => item;
const nodeNameOf = (item: JsonObject): string => item.Node as string;

/**
 * `rows` shaped as JSON, through ?filter and ordered by ?near (coordinates as they stand when
 * the answer is shaped). Without either they are shaped only as the answer is encoded, a slice
 * at a time (10,000 instances take hundreds of ms).
 */
export function listJson<T>(
  rows: readonly T[],
  shape: (row: T) => JsonObject,
  filter: ListFilter,
  near: { store: StateStore; node: string } | null,
  nodeOf: (item: JsonObject) => string,
): JsonValue {
  const distance = near === null ? null : nearDistances(near.store, near.node);
  if (!filter.active && distance === null) return jsonRows(rows, shape);
  return sortNear(filter.apply(rows.map(shape), identity), distance, nodeOf);
}

/** GET /v1/catalog/nodes: nodes sorted by name. */
export function catalogNodesView(
  store: StateStore,
  options: ListOptions,
  ws: WatchSetBuilder,
): View {
  const { value: nodes, index } = store.catalogNodes(ws);
  const shape = (): JsonValue => {
    const rows = nodes.filter((node) => satisfiesNodeMeta(node.meta, options.nodeMeta));
    return listJson(rows, nodeJson, options.filter, { store, node: options.near }, nodeNameOf);
  };
  return { value: shape, index };
}

/**
 * GET /v1/catalog/services: name → sorted union of the tags of its instances. With ?node-meta
 * or ?filter only the instances that pass count, and the nodes table is watched too.
 */
export function catalogServicesView(
  store: StateStore,
  options: ListOptions & { filtered: boolean },
  ws: WatchSetBuilder,
): View {
  const services = store.catalogServices(ws);
  if (options.nodeMeta.size === 0 && !options.filtered) {
    return { value: () => Object.fromEntries(services.value), index: services.index };
  }
  const nodes = store.catalogNodes(ws);
  const instances: JsonObject[] = [];
  for (const node of nodes.value) {
    if (!satisfiesNodeMeta(node.meta, options.nodeMeta)) continue;
    for (const service of store.nodeServices(node.node).value) {
      instances.push(serviceNodeJson(node, service));
    }
  }
  const tags = new Map<string, Set<string>>();
  for (const instance of options.filter.apply(instances, identity)) {
    const name = instance.ServiceName as string;
    const union = tags.get(name) ?? new Set<string>();
    for (const tag of instance.ServiceTags as string[]) union.add(tag);
    tags.set(name, union);
  }
  const value: Record<string, string[]> = {};
  for (const [name, union] of tags) value[name] = [...union].sort();
  return { value: () => sorted(value), index: Math.max(services.index, nodes.index) };
}

/** GET /v1/catalog/service/:name: the instances, by node then service ID. */
export function catalogServiceView(
  store: StateStore,
  service: string,
  options: ServiceListOptions,
  ws: WatchSetBuilder,
): View {
  const { value: instances, index } = store.catalogServiceNodes(service, ws);
  const shape = (): JsonValue => {
    const rows = instances.filter(
      ({ node, service: row }) =>
        (options.tags === null || hasAllTags(row.tags, options.tags)) &&
        satisfiesNodeMeta(node.meta, options.nodeMeta),
    );
    const json = ({ node, service: row }: (typeof rows)[number]): JsonObject =>
      serviceNodeJson(node, row);
    return listJson(rows, json, options.filter, { store, node: options.near }, nodeNameOf);
  };
  return { value: shape, index };
}

/**
 * GET /v1/catalog/connect/:service: the connect-capable instances of a service (its sidecar
 * proxies and connect-native instances). Registrations here keep no Proxy or Connect settings,
 * so there are none; as in Consul's ConnectServiceNodes with no result, the index and the
 * wake-ups are those of the service name.
 */
export function catalogConnectView(store: StateStore, service: string, ws: WatchSetBuilder): View {
  const { index } = store.catalogServiceNodes(service, ws);
  return { value: () => [], index };
}

/**
 * An answer read from tables this agent never writes (gateway-service links, a cluster peer's
 * imports): empty, at their index 0 — which Consul reports as 1 — and only the wait ends a
 * blocking query on them.
 */
export function unwrittenTablesView(empty: [] | null): View {
  return { value: () => empty, index: 0 };
}

/** GET /v1/catalog/node/:node: {Node, Services: {ID: NodeService}}, or null for no such node. */
export function catalogNodeView(
  store: StateStore,
  node: string,
  filter: ListFilter,
  ws: WatchSetBuilder,
): View {
  const { value, index } = store.catalogNode(node, ws);
  if (value === null) return { value: () => null, index };
  const services: Record<string, JsonObject> = {};
  for (const service of filter.apply(value.services.map(nodeServiceJson), identity)) {
    services[service.ID as string] = service;
  }
  return { value: () => ({ Node: nodeJson(value.node), Services: sorted(services) }), index };
}

/** GET /v1/catalog/node-services/:node: {Node, Services: [NodeService]}; nulls for no node. */
export function catalogNodeServicesView(
  store: StateStore,
  node: string,
  filter: ListFilter,
  ws: WatchSetBuilder,
): View {
  const { value, index } = store.catalogNode(node, ws);
  if (value === null) return { value: () => ({ Node: null, Services: null }), index };
  const services = filter.apply(value.services.map(nodeServiceJson), identity);
  return { value: () => ({ Node: nodeJson(value.node), Services: services }), index };
}

/** Node rows by folded name, to look up the node of a check. */
export function nodesByName(nodes: readonly CatalogNode[]): Map<string, CatalogNode> {
  return new Map(nodes.map((node) => [node.node.toLowerCase(), node]));
}
