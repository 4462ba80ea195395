// Contracts of the catalog: the rows of the nodes, services and checks tables, what a
// registration carries, and what the catalog and health reads return. Field names are Consul's,
// camel-cased; the HTTP layer shapes the JSON (ServiceNode flattening, omitempty, durations).

/** A node row (Consul's structs.Node). */
export interface CatalogNode {
  /** The node's UUID, "" when it registered without one. */
  id: string;
  node: string;
  address: string;
  datacenter: string;
  taggedAddresses: Record<string, string>;
  meta: Record<string, string>;
  createIndex: number;
  modifyIndex: number;
}

/** A service's tagged address: `{"address": …, "port": …}` in JSON. */
export interface ServiceAddress {
  address: string;
  port: number;
}

export interface Weights {
  passing: number;
  warning: number;
}

/** A service instance row, registered on one node (Consul's structs.NodeService). */
export interface NodeService {
  /** The node it runs on, as that node's row spells it. */
  node: string;
  id: string;
  service: string;
  tags: string[];
  address: string;
  taggedAddresses: Record<string, ServiceAddress>;
  meta: Record<string, string>;
  port: number;
  weights: Weights;
  enableTagOverride: boolean;
  kind: string;
  createIndex: number;
  modifyIndex: number;
}

/** How a catalog check would be run; catalog checks are records only, nothing runs them. */
export interface CheckDefinition {
  http: string;
  header: Record<string, string[]>;
  method: string;
  body: string;
  tlsServerName: string;
  tlsSkipVerify: boolean;
  tcp: string;
  udp: string;
  grpc: string;
  grpcUseTLS: boolean;
  /** Go duration strings as given ("10s"); "" when unset. */
  interval: string;
  timeout: string;
  deregisterCriticalServiceAfter: string;
}

/** A check row (Consul's structs.HealthCheck). */
export interface HealthCheck {
  node: string;
  checkID: string;
  name: string;
  /** passing | warning | critical (stored as given; "" registers as critical). */
  status: string;
  notes: string;
  output: string;
  /** "" for a node-level check. */
  serviceID: string;
  /** Copied from the service the check is bound to, and kept in step with it. */
  serviceName: string;
  serviceTags: string[];
  type: string;
  interval: string;
  timeout: string;
  exposedPort: number;
  definition: CheckDefinition;
  createIndex: number;
  modifyIndex: number;
}

/** What a registration says about a service; the indexes come from the store. */
export type ServiceRegistration = Omit<NodeService, 'node' | 'createIndex' | 'modifyIndex'>;

/** What a registration says about a check. ServiceName/ServiceTags come from the service. */
export type CheckRegistration = Omit<
  HealthCheck,
  'serviceName' | 'serviceTags' | 'createIndex' | 'modifyIndex'
>;

/** Consul's RegisterRequest: a node, optionally one service, and checks, applied together. */
export interface Registration {
  id: string;
  node: string;
  address: string;
  datacenter: string;
  taggedAddresses: Record<string, string>;
  nodeMeta: Record<string, string>;
  /** Don't overwrite an existing node's fields (the node is still created if absent). */
  skipNodeUpdate: boolean;
  service: ServiceRegistration | null;
  checks: CheckRegistration[];
}

/** Consul's DeregisterRequest: a service (and its checks), else a check, else the whole node. */
export interface Deregistration {
  node: string;
  serviceID: string;
  checkID: string;
}

/** Outcome of a catalog write: Consul's error text instead of a throw (the FSM never throws). */
export type CatalogResult = { ok: true } | { ok: false; error: string };

/** A service instance with the node it runs on (catalog/service/:name). */
export interface ServiceNode {
  node: CatalogNode;
  service: NodeService;
}

/** An instance with its node and its health: node-level checks first, then its own. */
export interface CheckServiceNode extends ServiceNode {
  checks: HealthCheck[];
}

/** A node with the services registered on it, sorted by service ID (catalog/node/:node). */
export interface NodeServices {
  node: CatalogNode;
  services: NodeService[];
}
