// What the /v1/health listings answer, built like the catalog's (catalog-views.ts): one
// state-store read on the blocking query's watch set, ?node-meta / ?tag, Consul's JSON,
// ?filter, then ?passing and ?near.
import type { CatalogNode, HealthCheck, StateStore, WatchSetBuilder } from '../state';
import { checkServiceNodeJson, healthCheckJson, type JsonObject } from './catalog-json';
import { hasAllTags, satisfiesNodeMeta, type ListFilter } from './catalog-params';
import { listJson, nodesByName, type ListOptions, type ServiceListOptions } from './catalog-views';
import type { JsonValue } from './json';
import type { View } from './listing';

const checkNodeOf = (item: JsonObject): string => item.Node as string;

/** GET /v1/health/node/:node: every check of the node, by check ID. */
export function healthNodeView(
  store: StateStore,
  node: string,
  filter: ListFilter,
  ws: WatchSetBuilder,
): View {
  const { value, index } = store.healthNodeChecks(node, ws);
  return { value: () => listJson(value, healthCheckJson, filter, null, checkNodeOf), index };
}

/** GET /v1/health/checks/:service: the checks of the service's instances (no node checks). */
export function healthChecksView(
  store: StateStore,
  service: string,
  options: ListOptions,
  ws: WatchSetBuilder,
): View {
  const { value, index } = store.healthServiceChecks(service, ws);
  // The service's index already covers the rows of the nodes hosting it: no extra watch.
  const checks =
    options.nodeMeta.size === 0
      ? value
      : withNodeMeta(value, options.nodeMeta, store.catalogNodes().value);
  const shape = (): JsonValue =>
    listJson(checks, healthCheckJson, options.filter, { store, node: options.near }, checkNodeOf);
  return { value: shape, index };
}

/**
 * GET /v1/health/service/:service: each instance with its node and checks; `passing` drops
 * every instance with any check (node-level included) not passing.
 */
export function healthServiceView(
  store: StateStore,
  service: string,
  options: ServiceListOptions & { passing: boolean },
  ws: WatchSetBuilder,
): View {
  const { value, index } = store.healthServiceNodes(service, ws);
  const shape = (): JsonValue => {
    const entries = value.filter(
      (entry) =>
        (options.tags === null || hasAllTags(entry.service.tags, options.tags)) &&
        satisfiesNodeMeta(entry.node.meta, options.nodeMeta) &&
        (!options.passing || entry.checks.every((check) => check.status === 'passing')),
    );
    const nodeOf = (item: JsonObject): string => (item.Node as JsonObject).Node as string;
    return listJson(
      entries,
      checkServiceNodeJson,
      options.filter,
      { store, node: options.near },
      nodeOf,
    );
  };
  return { value: shape, index };
}

/**
 * GET /v1/health/connect/:service: the connect-capable instances with their health. None can
 * exist (catalog-views.ts, catalogConnectView); the index and wake-ups are the service's.
 */
export function healthConnectView(store: StateStore, service: string, ws: WatchSetBuilder): View {
  const { index } = store.healthServiceNodes(service, ws);
  return { value: () => [], index };
}

/** GET /v1/health/state/:state: checks in that status (`any`: all), by node then check ID. */
export function healthStateView(
  store: StateStore,
  state: string,
  options: ListOptions,
  ws: WatchSetBuilder,
): View {
  const checks = store.healthChecksInState(state, ws);
  let index = checks.index;
  let rows = checks.value;
  if (options.nodeMeta.size > 0) {
    // A node's meta changing moves checks in or out of the answer: watch the nodes too.
    const nodes = store.catalogNodes(ws);
    index = Math.max(index, nodes.index);
    rows = withNodeMeta(rows, options.nodeMeta, nodes.value);
  }
  const shape = (): JsonValue =>
    listJson(rows, healthCheckJson, options.filter, { store, node: options.near }, checkNodeOf);
  return { value: shape, index };
}

// The checks whose node carries every ?node-meta pair.
function withNodeMeta(
  checks: HealthCheck[],
  filters: Map<string, string>,
  nodes: readonly CatalogNode[],
): HealthCheck[] {
  const byName = nodesByName(nodes);
  return checks.filter((check) => {
    const node = byName.get(check.node.toLowerCase());
    return node !== undefined && satisfiesNodeMeta(node.meta, filters);
  });
}
