// The selectors each listing endpoint offers (its items' JSON field paths, as Consul generates
// them from its structs), for compileFilter's `selectors` option. `*` is any map key.

const NODE = ['ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses.*', 'Meta.*'] as const;

const NODE_SERVICE = [
  'Kind',
  'ID',
  'Service',
  'Tags',
  'Address',
  'TaggedAddresses.*.Address',
  'TaggedAddresses.*.Port',
  'Meta.*',
  'Port',
  'Weights.Passing',
  'Weights.Warning',
  'EnableTagOverride',
] as const;

const HEALTH_CHECK = [
  'Node',
  'CheckID',
  'Name',
  'Status',
  'Notes',
  'Output',
  'ServiceID',
  'ServiceName',
  'ServiceTags',
  'Type',
  'Interval',
  'Timeout',
  'ExposedPort',
] as const;

const within = (prefix: string, paths: readonly string[]): string[] =>
  paths.map((path) => `${prefix}.${path}`);

/** GET /v1/catalog/nodes: Node items. */
export const NODE_SELECTORS: readonly string[] = NODE;

/** GET /v1/catalog/service/:name: ServiceNode items (node fields and Service* fields flat). */
export const SERVICE_NODE_SELECTORS: readonly string[] = [
  'ID',
  'Node',
  'Address',
  'Datacenter',
  'TaggedAddresses.*',
  'NodeMeta.*',
  ...NODE_SERVICE.map((path) => (path === 'Service' ? 'ServiceName' : `Service${path}`)),
];

/** GET /v1/catalog/node-services/:node, /v1/agent/services: NodeService items. */
export const NODE_SERVICE_SELECTORS: readonly string[] = NODE_SERVICE;

/** GET /v1/health/node/:node, /checks/:service, /state/:state: HealthCheck items. */
export const HEALTH_CHECK_SELECTORS: readonly string[] = HEALTH_CHECK;

/** GET /v1/health/service/:service: {Node, Service, Checks} items. */
export const CHECK_SERVICE_NODE_SELECTORS: readonly string[] = [
  ...within('Node', NODE),
  ...within('Service', NODE_SERVICE),
  ...within('Checks', HEALTH_CHECK),
];
