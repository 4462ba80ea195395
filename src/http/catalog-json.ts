// Catalog and health rows as Consul's structs marshal them (consul-api.md §4.3, §6.1), fields
// in Go's declaration order: Node, ServiceNode (catalog/service), NodeService (node/:node,
// health `Service`), HealthCheck with its Definition (zero durations omitted, the rest as Go
// prints a time.Duration), CheckServiceNode. Lists the HTTP layer normalises are `[]`.
import { formatDuration, parseDuration } from '../config';
import type {
  CatalogNode,
  CheckDefinition,
  CheckServiceNode,
  HealthCheck,
  NodeService,
  ServiceAddress,
} from '../state';
import type { JsonValue } from './json';

export type JsonObject = { [field: string]: JsonValue | undefined };

/** structs.Node; TaggedAddresses and Meta are null when the node registered none. */
export function nodeJson(node: CatalogNode): JsonObject {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: sortedOrNull(node.taggedAddresses),
    Meta: sortedOrNull(node.meta),
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

/** structs.ServiceNode: the node's fields, then the service's, flattened with a prefix. */
export function serviceNodeJson(node: CatalogNode, service: NodeService): JsonObject {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: sortedOrNull(node.taggedAddresses),
    NodeMeta: sortedOrNull(node.meta),
    ServiceKind: service.kind,
    ServiceID: service.id,
    ServiceName: service.service,
    ServiceTags: service.tags,
    ServiceAddress: service.address,
    ServiceTaggedAddresses: serviceAddressesJson(service.taggedAddresses),
    ServiceWeights: { Passing: service.weights.passing, Warning: service.weights.warning },
    ServiceMeta: sorted(service.meta),
    ServicePort: service.port,
    ServiceSocketPath: '',
    ServiceEnableTagOverride: service.enableTagOverride,
    ServiceProxy: emptyProxyJson(),
    ServiceConnect: {},
    ServiceLocality: null,
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

/** structs.NodeService: Kind, TaggedAddresses and Port are omitempty. */
export function nodeServiceJson(service: NodeService): JsonObject {
  return {
    Kind: service.kind === '' ? undefined : service.kind,
    ID: service.id,
    Service: service.service,
    Tags: service.tags,
    Address: service.address,
    TaggedAddresses: serviceAddressesJson(service.taggedAddresses),
    Meta: sorted(service.meta),
    Port: service.port === 0 ? undefined : service.port,
    Weights: { Passing: service.weights.passing, Warning: service.weights.warning },
    EnableTagOverride: service.enableTagOverride,
    Proxy: emptyProxyJson(),
    Connect: {},
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

/** structs.HealthCheck. */
export function healthCheckJson(check: HealthCheck): JsonObject {
  return {
    Node: check.node,
    CheckID: check.checkID,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceID,
    ServiceName: check.serviceName,
    ServiceTags: check.serviceTags,
    Type: check.type,
    Interval: check.interval,
    Timeout: check.timeout,
    ExposedPort: check.exposedPort,
    Definition: definitionJson(check.definition),
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

/** structs.CheckServiceNode: {Node, Service, Checks}. */
export function checkServiceNodeJson(entry: CheckServiceNode): JsonObject {
  return {
    Node: nodeJson(entry.node),
    Service: nodeServiceJson(entry.service),
    Checks: entry.checks.map(healthCheckJson),
  };
}

// HealthCheckDefinition.MarshalJSON: the durations first (as strings, omitted when zero), then
// the remaining fields in declaration order, all omitempty.
function definitionJson(definition: CheckDefinition): JsonObject {
  const headers = Object.keys(definition.header);
  return {
    Interval: durationJson(definition.interval),
    Timeout: durationJson(definition.timeout),
    DeregisterCriticalServiceAfter: durationJson(definition.deregisterCriticalServiceAfter),
    HTTP: definition.http || undefined,
    TLSServerName: definition.tlsServerName || undefined,
    TLSSkipVerify: definition.tlsSkipVerify || undefined,
    Header: headers.length === 0 ? undefined : sorted(definition.header),
    Method: definition.method || undefined,
    Body: definition.body || undefined,
    TCP: definition.tcp || undefined,
    UDP: definition.udp || undefined,
    GRPC: definition.grpc || undefined,
    GRPCUseTLS: definition.grpcUseTLS || undefined,
  };
}

// Stored durations are Go duration strings, however a writer spelled them ("60s"); Consul
// prints time.Duration.String() ("1m0s").
function durationJson(text: string): string | undefined {
  if (text === '') return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    return text;
  }
  return ms === 0 ? undefined : formatDuration(ms);
}

// ConnectProxyConfig of a service that is no proxy: its struct-typed fields stay as {}.
function emptyProxyJson(): JsonObject {
  return { Mode: '', MeshGateway: {}, Expose: {} };
}

function serviceAddressesJson(addresses: Record<string, ServiceAddress>): JsonObject | undefined {
  const keys = Object.keys(addresses);
  if (keys.length === 0) return undefined;
  const out: JsonObject = {};
  for (const key of keys.sort()) {
    out[key] = { Address: addresses[key].address, Port: addresses[key].port };
  }
  return out;
}

/** A Go map: keys sorted. */
export function sorted<V extends JsonValue>(map: Record<string, V>): { [key: string]: V } {
  const out: { [key: string]: V } = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key];
  return out;
}

function sortedOrNull(map: Record<string, string>): { [key: string]: string } | null {
  return Object.keys(map).length === 0 ? null : sorted(map);
}
