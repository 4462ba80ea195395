// Catalog shapes on the wire (commands and snapshot rows), checked field by field. A missing
// field takes its zero value, as Go's decoder gives it; a field of the wrong type is refused.
import type { CatalogSyncOp } from './catalog-register';
import type {
  CatalogNode,
  CheckDefinition,
  CheckRegistration,
  Deregistration,
  HealthCheck,
  NodeService,
  Registration,
  ServiceAddress,
  ServiceRegistration,
  Weights,
} from './catalog-types';
import {
  readArray,
  readBool,
  readIndex,
  readInt,
  readMap,
  readObject,
  readOptional,
  readString,
  readStringArray,
  WireError,
  type Fields,
} from './wire';

const DEFAULT_WEIGHTS: Weights = { passing: 1, warning: 1 };

// Readers of one optional field of a decoded map, with its zero value when absent.
const str = (f: Fields, name: string, at: string): string =>
  readOptional(f[name], `${at}.${name}`, readString) ?? '';
const bool = (f: Fields, name: string, at: string): boolean =>
  readOptional(f[name], `${at}.${name}`, readBool) ?? false;
const int = (f: Fields, name: string, at: string): number =>
  readOptional(f[name], `${at}.${name}`, readInt) ?? 0;
const index = (f: Fields, name: string, at: string): number =>
  readOptional(f[name], `${at}.${name}`, readIndex) ?? 0;
const strings = (f: Fields, name: string, at: string): string[] =>
  readOptional(f[name], `${at}.${name}`, readStringArray) ?? [];
const stringMap = (f: Fields, name: string, at: string): Record<string, string> =>
  readOptional(f[name], `${at}.${name}`, (v, field) => readMap(v, field, readString)) ?? {};

export function readRegistration(raw: unknown, at: string): Registration {
  const f = readObject(raw, at);
  return {
    id: str(f, 'id', at),
    node: str(f, 'node', at),
    address: str(f, 'address', at),
    datacenter: str(f, 'datacenter', at),
    taggedAddresses: stringMap(f, 'taggedAddresses', at),
    nodeMeta: stringMap(f, 'nodeMeta', at),
    skipNodeUpdate: bool(f, 'skipNodeUpdate', at),
    service: readOptional(f.service, `${at}.service`, readServiceRegistration) ?? null,
    checks: (readOptional(f.checks, `${at}.checks`, readArray) ?? []).map((check, i) =>
      readCheckRegistration(check, `${at}.checks[${i}]`),
    ),
  };
}

export function readDeregistration(raw: unknown, at: string): Deregistration {
  const f = readObject(raw, at);
  return {
    node: str(f, 'node', at),
    serviceID: str(f, 'serviceID', at),
    checkID: str(f, 'checkID', at),
  };
}

export function readSyncOp(raw: unknown, at: string): CatalogSyncOp {
  const f = readObject(raw, at);
  const op = readString(f.op, `${at}.op`);
  if (op === 'register') {
    return { op, registration: readRegistration(f.registration, `${at}.registration`) };
  }
  if (op === 'deregister') {
    return { op, serviceID: str(f, 'serviceID', at), checkID: str(f, 'checkID', at) };
  }
  throw new WireError(`${at}.op: unknown catalog-sync op ${JSON.stringify(op)}`);
}

export function readServiceRegistration(raw: unknown, at: string): ServiceRegistration {
  const f = readObject(raw, at);
  return {
    id: str(f, 'id', at),
    service: str(f, 'service', at),
    tags: strings(f, 'tags', at),
    address: str(f, 'address', at),
    taggedAddresses:
      readOptional(f.taggedAddresses, `${at}.taggedAddresses`, (v, field) =>
        readMap(v, field, readServiceAddress),
      ) ?? {},
    meta: stringMap(f, 'meta', at),
    port: int(f, 'port', at),
    weights: readOptional(f.weights, `${at}.weights`, readWeights) ?? { ...DEFAULT_WEIGHTS },
    enableTagOverride: bool(f, 'enableTagOverride', at),
    kind: str(f, 'kind', at),
  };
}

export function readCheckRegistration(raw: unknown, at: string): CheckRegistration {
  const f = readObject(raw, at);
  return {
    node: str(f, 'node', at),
    checkID: str(f, 'checkID', at),
    name: str(f, 'name', at),
    status: str(f, 'status', at),
    notes: str(f, 'notes', at),
    output: str(f, 'output', at),
    serviceID: str(f, 'serviceID', at),
    type: str(f, 'type', at),
    interval: str(f, 'interval', at),
    timeout: str(f, 'timeout', at),
    exposedPort: int(f, 'exposedPort', at),
    definition: readDefinition(f.definition ?? {}, `${at}.definition`),
  };
}

export function readNodeRow(raw: unknown, at: string): CatalogNode {
  const f = readObject(raw, at);
  return {
    id: str(f, 'id', at),
    node: readString(f.node, `${at}.node`),
    address: str(f, 'address', at),
    datacenter: str(f, 'datacenter', at),
    taggedAddresses: stringMap(f, 'taggedAddresses', at),
    meta: stringMap(f, 'meta', at),
    createIndex: index(f, 'createIndex', at),
    modifyIndex: index(f, 'modifyIndex', at),
  };
}

export function readServiceRow(raw: unknown, at: string): NodeService {
  const f = readObject(raw, at);
  return {
    node: readString(f.node, `${at}.node`),
    ...readServiceRegistration(raw, at),
    createIndex: index(f, 'createIndex', at),
    modifyIndex: index(f, 'modifyIndex', at),
  };
}

export function readCheckRow(raw: unknown, at: string): HealthCheck {
  const f = readObject(raw, at);
  return {
    ...readCheckRegistration(raw, at),
    serviceName: str(f, 'serviceName', at),
    serviceTags: strings(f, 'serviceTags', at),
    createIndex: index(f, 'createIndex', at),
    modifyIndex: index(f, 'modifyIndex', at),
  };
}

function readServiceAddress(raw: unknown, at: string): ServiceAddress {
  const f = readObject(raw, at);
  return { address: str(f, 'address', at), port: int(f, 'port', at) };
}

function readWeights(raw: unknown, at: string): Weights {
  const f = readObject(raw, at);
  return { passing: int(f, 'passing', at), warning: int(f, 'warning', at) };
}

function readDefinition(raw: unknown, at: string): CheckDefinition {
  const f = readObject(raw, at);
  return {
    http: str(f, 'http', at),
    header:
      readOptional(f.header, `${at}.header`, (v, field) => readMap(v, field, readStringArray)) ??
      {},
    method: str(f, 'method', at),
    body: str(f, 'body', at),
    tlsServerName: str(f, 'tlsServerName', at),
    tlsSkipVerify: bool(f, 'tlsSkipVerify', at),
    tcp: str(f, 'tcp', at),
    udp: str(f, 'udp', at),
    grpc: str(f, 'grpc', at),
    grpcUseTLS: bool(f, 'grpcUseTLS', at),
    interval: str(f, 'interval', at),
    timeout: str(f, 'timeout', at),
    deregisterCriticalServiceAfter: str(f, 'deregisterCriticalServiceAfter', at),
  };
}
