// Bodies of PUT /v1/catalog/register and /deregister as Consul decodes them into
// structs.RegisterRequest / DeregisterRequest (consul-api.md §4.1, §4.2): the service object
// names the service with `Service`, `Check` joins the end of `Checks`, check durations are Go
// duration strings or nanoseconds, unknown fields fail except the legacy ones clients send.
import { formatDuration } from '../config';
import {
  emptyCheckDefinition,
  type CheckDefinition,
  type NodeTxnOp,
  type CheckRegistration,
  type Deregistration,
  type Registration,
  type ServiceAddress,
  type ServiceRegistration,
  type Weights,
} from '../state';
import {
  fieldSite,
  goBool,
  goDurationMs,
  goInt,
  goMap,
  goString,
  goStringList,
  goStringMap,
  ROOT,
  structFields,
  type Site,
  typeError,
  type StructSpec,
} from './go-decode';
import type { ParsedJson } from './json-parse';

// Consul's request structs also embed WriteRequest (Token), RaftIndex and the enterprise meta;
// python-consul sends the embedded struct itself as `WriteRequest`.
const REQUEST_EXTRAS = ['Token', 'WriteRequest', 'PeerName', 'Namespace', 'Partition'];
const ROW_EXTRAS = ['PeerName', 'Namespace', 'Partition', 'CreateIndex', 'ModifyIndex'];

const REGISTER_REQUEST: StructSpec = {
  goType: 'structs.RegisterRequest',
  fields: [
    'Datacenter',
    'ID',
    'Node',
    'Address',
    'TaggedAddresses',
    'NodeMeta',
    'Service',
    'Check',
    'Checks',
    'SkipNodeUpdate',
  ],
  ignored: [...REQUEST_EXTRAS, 'Locality', 'CreateIndex', 'ModifyIndex'],
};

const DEREGISTER_REQUEST: StructSpec = {
  goType: 'structs.DeregisterRequest',
  fields: ['Datacenter', 'Node', 'ServiceID', 'CheckID'],
  ignored: REQUEST_EXTRAS,
};

// Proxy and Connect are accepted and not kept: this catalog has no service mesh.
const NODE_SERVICE: StructSpec = {
  goType: 'structs.NodeService',
  fields: [
    'Kind',
    'ID',
    'Service',
    'Tags',
    'Address',
    'TaggedAddresses',
    'Meta',
    'Port',
    'Weights',
    'EnableTagOverride',
  ],
  ignored: [...ROW_EXTRAS, 'SocketPath', 'Locality', 'Proxy', 'Connect'],
};

const SERVICE_ADDRESS: StructSpec = {
  goType: 'structs.ServiceAddress',
  fields: ['Address', 'Port'],
};
const WEIGHTS: StructSpec = { goType: 'structs.Weights', fields: ['Passing', 'Warning'] };

const HEALTH_CHECK: StructSpec = {
  goType: 'structs.HealthCheck',
  fields: [
    'Node',
    'CheckID',
    'Name',
    'Status',
    'Notes',
    'Output',
    'ServiceID',
    'Type',
    'Interval',
    'Timeout',
    'ExposedPort',
    'Definition',
  ],
  // ServiceName/ServiceTags are taken from the service the check is bound to.
  ignored: [...ROW_EXTRAS, 'ServiceName', 'ServiceTags'],
};

// HealthCheckDefinition has its own UnmarshalJSON, which ignores keys it does not know.
const CHECK_DEFINITION: StructSpec = {
  goType: 'structs.HealthCheckDefinition',
  fields: [
    'HTTP',
    'TLSServerName',
    'TLSSkipVerify',
    'Header',
    'Method',
    'Body',
    'TCP',
    'UDP',
    'Interval',
    'Timeout',
    'DeregisterCriticalServiceAfter',
    'GRPC',
    'GRPCUseTLS',
  ],
  lenient: true,
};

// The api package's structs that /v1/txn decodes Node/Service/Check ops into. Like its KV ops
// they are decoded leniently: keys nothing reads are skipped.
const API_NODE: StructSpec = {
  goType: 'api.Node',
  fields: ['ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses', 'Meta', 'ModifyIndex'],
  lenient: true,
};
const API_SERVICE: StructSpec = {
  goType: 'api.AgentService',
  fields: [...NODE_SERVICE.fields, 'ModifyIndex'],
  lenient: true,
};
const API_CHECK: StructSpec = {
  goType: 'api.HealthCheck',
  fields: [
    'Node',
    'CheckID',
    'Name',
    'Status',
    'Notes',
    'Output',
    'ServiceID',
    'Definition',
    'ModifyIndex',
  ],
  lenient: true,
};

/** The `Node` of a txn Node op (api.Node) and its ModifyIndex. */
export function decodeTxnNode(
  value: ParsedJson,
  site: Site,
): { node: NodeTxnOp['node']; modifyIndex: number } {
  const f = structFields(value, API_NODE, site) ?? new Map<string, ParsedJson>();
  const at = (field: string): Site => fieldSite(site, 'Node', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  return {
    node: {
      id: goString(get('ID'), at('ID')),
      node: goString(get('Node'), at('Node')),
      address: goString(get('Address'), at('Address')),
      datacenter: goString(get('Datacenter'), at('Datacenter')),
      taggedAddresses: goStringMap(get('TaggedAddresses'), at('TaggedAddresses')),
      meta: goStringMap(get('Meta'), at('Meta')),
    },
    modifyIndex: goInt(get('ModifyIndex'), at('ModifyIndex')),
  };
}

/** The `Service` of a txn Service op (api.AgentService) and its ModifyIndex. */
export function decodeTxnService(
  value: ParsedJson,
  site: Site,
): { service: ServiceRegistration; modifyIndex: number } {
  const { fields, modifyIndex } = txnStruct(value, site, API_SERVICE, 'AgentService');
  return { service: serviceFrom(fields, site), modifyIndex };
}

/** The `Check` of a txn Check op (api.HealthCheck) and its ModifyIndex. */
export function decodeTxnCheck(
  value: ParsedJson,
  site: Site,
): { check: CheckRegistration; modifyIndex: number } {
  const { fields, modifyIndex } = txnStruct(value, site, API_CHECK, 'HealthCheck');
  return { check: checkFrom(fields, site), modifyIndex };
}

// A txn op's object decoded against its Go struct, with the ModifyIndex that cas ops compare.
function txnStruct(
  value: ParsedJson,
  site: Site,
  struct: Parameters<typeof structFields>[1],
  structName: string,
): { fields: Map<string, ParsedJson>; modifyIndex: number } {
  const fields = structFields(value, struct, site) ?? new Map<string, ParsedJson>();
  const modifyIndex = goInt(
    fields.get('ModifyIndex') ?? null,
    fieldSite(site, structName, 'ModifyIndex'),
  );
  return { fields, modifyIndex };
}

/** A register body as a Registration; `Datacenter` defaults to the agent's. */
export function decodeRegistration(body: ParsedJson, datacenter: string): Registration {
  const f = structFields(body, REGISTER_REQUEST, ROOT) ?? new Map<string, ParsedJson>();
  const at = (field: string): Site => fieldSite(ROOT, 'RegisterRequest', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  const checks = (() => {
    const list = get('Checks');
    if (list === null) return [];
    if (!Array.isArray(list)) throw typeError(list, at('Checks'), 'structs.HealthChecks');
    return list.map((check) => decodeCheck(check, at('Checks')));
  })();
  const single = get('Check');
  if (single !== null) checks.push(decodeCheck(single, at('Check')));
  const service = get('Service');
  return {
    id: goString(get('ID'), at('ID')),
    node: goString(get('Node'), at('Node')),
    address: goString(get('Address'), at('Address')),
    datacenter: goString(get('Datacenter'), at('Datacenter')) || datacenter,
    taggedAddresses: goStringMap(get('TaggedAddresses'), at('TaggedAddresses')),
    nodeMeta: goStringMap(get('NodeMeta'), at('NodeMeta')),
    skipNodeUpdate: goBool(get('SkipNodeUpdate'), at('SkipNodeUpdate')),
    service: service === null ? null : decodeService(service, at('Service')),
    checks: checks.filter((check): check is CheckRegistration => check !== null),
  };
}

/** A deregister body; `Datacenter` defaults to the agent's. */
export function decodeDeregistration(
  body: ParsedJson,
  datacenter: string,
): Deregistration & { datacenter: string } {
  const f = structFields(body, DEREGISTER_REQUEST, ROOT) ?? new Map<string, ParsedJson>();
  const at = (field: string): Site => fieldSite(ROOT, 'DeregisterRequest', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  return {
    datacenter: goString(get('Datacenter'), at('Datacenter')) || datacenter,
    node: goString(get('Node'), at('Node')),
    serviceID: goString(get('ServiceID'), at('ServiceID')),
    checkID: goString(get('CheckID'), at('CheckID')),
  };
}

function decodeService(value: ParsedJson, site: Site): ServiceRegistration | null {
  const f = structFields(value, NODE_SERVICE, site);
  return f === null ? null : serviceFrom(f, site);
}

function serviceFrom(f: Map<string, ParsedJson>, site: Site): ServiceRegistration {
  const at = (field: string): Site => fieldSite(site, 'NodeService', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  const weights = get('Weights');
  return {
    id: goString(get('ID'), at('ID')),
    service: goString(get('Service'), at('Service')),
    tags: goStringList(get('Tags'), at('Tags')),
    address: goString(get('Address'), at('Address')),
    taggedAddresses: goMap(
      get('TaggedAddresses'),
      at('TaggedAddresses'),
      'map[string]structs.ServiceAddress',
      decodeServiceAddress,
    ),
    meta: goStringMap(get('Meta'), at('Meta')),
    port: goInt(get('Port'), at('Port')),
    weights: weights === null ? { passing: 1, warning: 1 } : decodeWeights(weights, at('Weights')),
    enableTagOverride: goBool(get('EnableTagOverride'), at('EnableTagOverride')),
    kind: goString(get('Kind'), at('Kind')),
  };
}

function decodeServiceAddress(value: ParsedJson, site: Site): ServiceAddress {
  const f = structFields(value, SERVICE_ADDRESS, site) ?? new Map<string, ParsedJson>();
  const at = (field: string): Site => fieldSite(site, 'ServiceAddress', field);
  return {
    address: goString(f.get('Address') ?? null, at('Address')),
    port: goInt(f.get('Port') ?? null, at('Port')),
  };
}

function decodeWeights(value: ParsedJson, site: Site): Weights {
  const f = structFields(value, WEIGHTS, site) ?? new Map<string, ParsedJson>();
  const at = (field: string): Site => fieldSite(site, 'Weights', field);
  return {
    passing: goInt(f.get('Passing') ?? null, at('Passing')),
    warning: goInt(f.get('Warning') ?? null, at('Warning')),
  };
}

function decodeCheck(value: ParsedJson, site: Site): CheckRegistration | null {
  const f = structFields(value, HEALTH_CHECK, site);
  return f === null ? null : checkFrom(f, site);
}

function checkFrom(f: Map<string, ParsedJson>, site: Site): CheckRegistration {
  const at = (field: string): Site => fieldSite(site, 'HealthCheck', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  return {
    node: goString(get('Node'), at('Node')),
    checkID: goString(get('CheckID'), at('CheckID')),
    name: goString(get('Name'), at('Name')),
    status: goString(get('Status'), at('Status')),
    notes: goString(get('Notes'), at('Notes')),
    output: goString(get('Output'), at('Output')),
    serviceID: goString(get('ServiceID'), at('ServiceID')),
    type: goString(get('Type'), at('Type')),
    interval: goString(get('Interval'), at('Interval')),
    timeout: goString(get('Timeout'), at('Timeout')),
    exposedPort: goInt(get('ExposedPort'), at('ExposedPort')),
    definition: decodeDefinition(get('Definition'), at('Definition')),
  };
}

function decodeDefinition(value: ParsedJson, site: Site): CheckDefinition {
  const f = structFields(value, CHECK_DEFINITION, site);
  if (f === null) return emptyCheckDefinition();
  const at = (field: string): Site => fieldSite(site, 'HealthCheckDefinition', field);
  const get = (field: string): ParsedJson => f.get(field) ?? null;
  return {
    http: goString(get('HTTP'), at('HTTP')),
    header: goMap(get('Header'), at('Header'), 'map[string][]string', goStringList),
    method: goString(get('Method'), at('Method')),
    body: goString(get('Body'), at('Body')),
    tlsServerName: goString(get('TLSServerName'), at('TLSServerName')),
    tlsSkipVerify: goBool(get('TLSSkipVerify'), at('TLSSkipVerify')),
    tcp: goString(get('TCP'), at('TCP')),
    udp: goString(get('UDP'), at('UDP')),
    grpc: goString(get('GRPC'), at('GRPC')),
    grpcUseTLS: goBool(get('GRPCUseTLS'), at('GRPCUseTLS')),
    interval: durationText(get('Interval')),
    timeout: durationText(get('Timeout')),
    deregisterCriticalServiceAfter: durationText(get('DeregisterCriticalServiceAfter')),
  };
}

// Stored the way Go prints a time.Duration ("1m0s"); "" for zero, which Consul omits.
function durationText(value: ParsedJson): string {
  const ms = goDurationMs(value);
  return ms === 0 ? '' : formatDuration(ms);
}
