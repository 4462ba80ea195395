// Filtering JSON answers to what a token may read, by the shapes Consul's endpoints answer with
// (consul-api.md, cluster.md §7.4 "filter" rows). Lists lose what the token may not see;
// maps lose those keys. ACLs off: values pass through untouched (RequestAcl.keep copies only).
import { REDACTED_TOKEN } from '../server';
import type { RequestAcl } from './acl-request';
import { isJsonRows, type JsonValue } from './json';

type JsonObject = { readonly [field: string]: JsonValue | undefined };

/** A filter of one route's answer. */
export type AnswerFilter = (acl: RequestAcl, value: JsonValue) => JsonValue;

function elementsOf(value: JsonValue): JsonValue[] | null {
  if (Array.isArray(value)) return value as JsonValue[];
  if (isJsonRows(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) out.push(value.element(i));
    return out;
  }
  return null;
}

function objectOf(value: JsonValue | undefined): JsonObject | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isJsonRows(value)) {
    return null;
  }
  return value as JsonObject;
}

function text(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** A list filter from a predicate over each element. */
function listFilter(visible: (acl: RequestAcl, item: JsonObject) => boolean): AnswerFilter {
  return (acl, value) => {
    const items = elementsOf(value);
    if (items === null) return value;
    return acl.keep(items, (item) => {
      const object = objectOf(item);
      return object !== null && visible(acl, object);
    });
  };
}

/** A map filter (name or ID → entry) from a predicate over each key and entry. */
function mapFilter(
  visible: (acl: RequestAcl, key: string, entry: JsonValue | undefined) => boolean,
): AnswerFilter {
  return (acl, value) => {
    const object = objectOf(value);
    if (object === null) return value;
    const keys = acl.keep(Object.keys(object), (key) => visible(acl, key, object[key]));
    const out: Record<string, JsonValue | undefined> = {};
    for (const key of keys) out[key] = object[key];
    return out;
  };
}

const nodeReadable = (acl: RequestAcl, node: string): boolean => acl.allows('node', node, 'read');
const serviceReadable = (acl: RequestAcl, service: string): boolean =>
  acl.allows('service', service, 'read');

/** A HealthCheck: node checks need node:read, service checks service:read as well. */
function checkReadable(acl: RequestAcl, check: JsonObject): boolean {
  const service = text(check.ServiceName);
  return (
    nodeReadable(acl, text(check.Node)) &&
    (text(check.ServiceID) === '' || serviceReadable(acl, service))
  );
}

export const FILTERS = {
  /** KV ?recurse: entries; ?keys: key strings. */
  kvList: ((acl, value) => {
    const items = elementsOf(value);
    if (items === null) return value;
    return acl.keep(items, (item) => {
      const key = typeof item === 'string' ? item : text(objectOf(item)?.Key);
      return acl.allows('key', key, 'read');
    });
  }) as AnswerFilter,
  /** catalog/nodes, agent/members (Name) */
  nodes: listFilter((acl, item) => nodeReadable(acl, text(item.Node ?? item.Name))),
  /** catalog/services: name → tags. */
  serviceNames: mapFilter((acl, name) => serviceReadable(acl, name)),
  /** catalog/service/:s and connect: ServiceNode rows. */
  serviceNodes: listFilter(
    (acl, item) =>
      nodeReadable(acl, text(item.Node)) && serviceReadable(acl, text(item.ServiceName)),
  ),
  /** health/service/:s, connect, ingress: {Node, Service, Checks}. */
  checkServiceNodes: listFilter(
    (acl, item) =>
      nodeReadable(acl, text(objectOf(item.Node)?.Node)) &&
      serviceReadable(acl, text(objectOf(item.Service)?.Service)),
  ),
  /** health/node, health/checks, health/state: HealthCheck rows. */
  checks: listFilter(checkReadable),
  /** catalog/node/:n: {Node, Services: {id → service}}. */
  nodeServicesMap: ((acl, value) => {
    const object = objectOf(value);
    const services = objectOf(object?.Services);
    if (object === null || services === null) return value;
    const kept = mapFilter((a, _id, entry) => serviceReadable(a, text(objectOf(entry)?.Service)))(
      acl,
      services,
    );
    return { ...object, Services: kept };
  }) as AnswerFilter,
  /** catalog/node-services/:n: {Node, Services: [service]}. */
  nodeServicesList: ((acl, value) => {
    const object = objectOf(value);
    if (object === null || object.Services === undefined || object.Services === null) return value;
    const kept = listFilter((a, item) => serviceReadable(a, text(item.Service)))(
      acl,
      object.Services,
    );
    return { ...object, Services: kept };
  }) as AnswerFilter,
  /** session/list, session/node, session/info: Session rows (session:read on their node). */
  sessions: listFilter((acl, item) => acl.allows('session', text(item.Node), 'read')),
  /**
   * query list: queries with a name (or templates) the token may read (query:read); unnamed
   * ones only for management, which alone sees stored tokens (others get `<hidden>`).
   */
  preparedQueries: ((acl, value) => {
    if (acl.allows('acl', '', 'write')) return value;
    const items = elementsOf(value);
    if (items === null) return value;
    const kept = acl.keep(items, (item) => {
      const query = objectOf(item);
      if (query === null) return false;
      const named = text(query.Name) !== '' || text(objectOf(query.Template)?.Type) !== '';
      return named && acl.allows('query', text(query.Name), 'read');
    });
    return kept.map((item) => {
      const query = objectOf(item);
      if (query === null || text(query.Token) === '') return item;
      return { ...query, Token: REDACTED_TOKEN };
    });
  }) as AnswerFilter,
  /** event/list: user events by Name (event:read). */
  events: listFilter((acl, item) => acl.allows('event', text(item.Name), 'read')),
  /** internal/ui/services: service summaries by Name. */
  serviceSummaries: listFilter((acl, item) => serviceReadable(acl, text(item.Name))),
  /** agent/services: id → {Service}. */
  agentServices: mapFilter((acl, _id, entry) =>
    serviceReadable(acl, text(objectOf(entry)?.Service)),
  ),
  /** agent/checks: id → HealthCheck. */
  agentChecks: mapFilter((acl, _id, entry) => {
    const check = objectOf(entry);
    return check !== null && checkReadable(acl, check);
  }),
  /** /v1/txn: drops results the token may not read ({KV}, {Node}, {Service}, {Check}). */
  txnResults: ((acl, value) => {
    const object = objectOf(value);
    if (object === null || object.Results === undefined || object.Results === null) return value;
    const kept = listFilter((a, result) => {
      const kv = objectOf(result.KV);
      if (kv !== null) return a.allows('key', text(kv.Key), 'read');
      const node = objectOf(result.Node);
      if (node !== null) return nodeReadable(a, text(node.Node));
      const service = objectOf(result.Service);
      if (service !== null) return serviceReadable(a, text(service.Service));
      const check = objectOf(result.Check);
      return check !== null && checkReadable(a, check);
    })(acl, object.Results);
    return { ...object, Results: kept };
  }) as AnswerFilter,
} satisfies Record<string, AnswerFilter>;
