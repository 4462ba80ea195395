// The JSON shapes of the HTTP API, with Consul's field names (reference sections 2-8).

/** A KV entry as `GET /v1/kv/:key` returns it. */
export interface KVPair {
  Key: string;
  /** Opaque uint64, exact (may exceed 2^53). */
  Flags: bigint;
  /** Base64 of the value; `null` for an empty value. Decode with `kvValue()` / `kvText()`. */
  Value: string | null;
  LockIndex: number;
  /** The session holding the lock, when locked. */
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export type TxnKVVerb =
  | 'set'
  | 'cas'
  | 'lock'
  | 'unlock'
  | 'get'
  | 'get-or-empty'
  | 'get-tree'
  | 'check-index'
  | 'check-session'
  | 'check-not-exists'
  | 'delete'
  | 'delete-tree'
  | 'delete-cas';

export interface TxnKVOp {
  Verb: TxnKVVerb;
  Key: string;
  /** Base64 string as Consul takes it, or bytes (the SDK encodes them). */
  Value?: string | Uint8Array;
  Flags?: bigint | number;
  Index?: number;
  Session?: string;
}

/** One operation of `PUT /v1/txn`. */
export type TxnOp =
  | { KV: TxnKVOp }
  | { Node: { Verb: string; Node: Partial<Node> & { Node: string } } }
  | { Service: { Verb: string; Node: string; Service: Partial<NodeService> } }
  | { Check: { Verb: string; Check: Partial<HealthCheck> & { Node: string } } };

export type TxnResult =
  { KV: KVPair } | { Node: Node } | { Service: NodeService } | { Check: HealthCheck };

export interface TxnError {
  OpIndex: number;
  What: string;
}

/** Outcome of a transaction: `ok` false (HTTP 409) means rolled back, see `errors`. */
export interface TxnResponse {
  ok: boolean;
  results: TxnResult[];
  errors: TxnError[];
}

export interface Node {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string> | null;
  Meta: Record<string, string> | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceAddress {
  Address: string;
  Port: number;
}

export interface Weights {
  Passing: number;
  Warning: number;
}

/** A service instance on a node (catalog node, health service). */
export interface NodeService {
  Kind?: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  TaggedAddresses?: Record<string, ServiceAddress>;
  Meta: Record<string, string> | null;
  Port: number;
  Weights: Weights;
  EnableTagOverride: boolean;
  Proxy?: Record<string, unknown>;
  Connect?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One row of `GET /v1/catalog/service/:name`. */
export interface ServiceNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string> | null;
  NodeMeta: Record<string, string> | null;
  ServiceKind?: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  /** Empty means "use the node's Address". */
  ServiceAddress: string;
  ServiceTaggedAddresses?: Record<string, ServiceAddress>;
  ServiceWeights: Weights;
  ServiceMeta: Record<string, string> | null;
  ServicePort: number;
  ServiceEnableTagOverride: boolean;
  ServiceProxy?: Record<string, unknown>;
  ServiceConnect?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** `GET /v1/catalog/node/:node` (`null` for an unknown node). */
export interface CatalogNode {
  Node: Node;
  Services: Record<string, NodeService>;
}

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface HealthCheckDefinition {
  Interval?: string;
  Timeout?: string;
  DeregisterCriticalServiceAfter?: string;
  HTTP?: string;
  Header?: Record<string, string[]>;
  Method?: string;
  Body?: string;
  TLSServerName?: string;
  TLSSkipVerify?: boolean;
  TCP?: string;
  UDP?: string;
  GRPC?: string;
  GRPCUseTLS?: boolean;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  Interval?: string;
  Timeout?: string;
  ExposedPort?: number;
  Definition: HealthCheckDefinition;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One row of `GET /v1/health/service/:name`. */
export interface ServiceEntry {
  Node: Node;
  Service: NodeService;
  Checks: HealthCheck[];
}

/** `PUT /v1/catalog/register` body. */
export interface CatalogRegistration {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  Service?: {
    ID?: string;
    Service: string;
    Tags?: string[];
    Address?: string;
    TaggedAddresses?: Record<string, ServiceAddress>;
    Meta?: Record<string, string>;
    Port?: number;
    Weights?: Weights;
    EnableTagOverride?: boolean;
    Kind?: string;
  };
  Check?: CatalogCheck;
  Checks?: CatalogCheck[];
  SkipNodeUpdate?: boolean;
}

export interface CatalogCheck {
  Node?: string;
  CheckID?: string;
  Name: string;
  Status?: CheckStatus;
  Notes?: string;
  Output?: string;
  ServiceID?: string;
  Definition?: HealthCheckDefinition;
}

/** `PUT /v1/catalog/deregister` body: the node, or one of its services or checks. */
export interface CatalogDeregistration {
  Node: string;
  Datacenter?: string;
  ServiceID?: string;
  CheckID?: string;
}

/** A service as the local agent holds it (`/v1/agent/services`, `/v1/agent/service/:id`). */
export interface AgentService {
  Kind?: string;
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Port: number;
  Address: string;
  SocketPath?: string;
  TaggedAddresses?: Record<string, ServiceAddress>;
  Weights: Weights;
  EnableTagOverride: boolean;
  CreateIndex?: number;
  ModifyIndex?: number;
  ContentHash?: string;
  Proxy?: Record<string, unknown>;
  Connect?: Record<string, unknown>;
  Datacenter: string;
}

/** Check definition for `PUT /v1/agent/check/register` or embedded in a service registration. */
export interface AgentCheckRegistration {
  ID?: string;
  CheckID?: string;
  Name?: string;
  ServiceID?: string;
  Notes?: string;
  Status?: CheckStatus;
  /** Go duration string, e.g. `"10s"`. */
  Interval?: string;
  Timeout?: string;
  TTL?: string;
  HTTP?: string;
  Method?: string;
  Header?: Record<string, string[]>;
  Body?: string;
  TLSServerName?: string;
  TLSSkipVerify?: boolean;
  TCP?: string;
  UDP?: string;
  GRPC?: string;
  GRPCUseTLS?: boolean;
  H2PING?: string;
  ScriptArgs?: string[];
  DockerContainerID?: string;
  Shell?: string;
  AliasNode?: string;
  AliasService?: string;
  DeregisterCriticalServiceAfter?: string;
  SuccessBeforePassing?: number;
  FailuresBeforeWarning?: number;
  FailuresBeforeCritical?: number;
  OutputMaxSize?: number;
}

/** `PUT /v1/agent/service/register` body (uses `Name`, not `Service`). */
export interface AgentServiceRegistration {
  Name: string;
  ID?: string;
  Tags?: string[];
  Address?: string;
  TaggedAddresses?: Record<string, ServiceAddress>;
  Meta?: Record<string, string>;
  Port?: number;
  EnableTagOverride?: boolean;
  Weights?: Weights;
  Kind?: string;
  SocketPath?: string;
  Check?: AgentCheckRegistration;
  Checks?: AgentCheckRegistration[];
}

/** A gossip pool member (`/v1/agent/members`); Status 1 alive, 2 leaving, 3 left, 4 failed. */
export interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: number;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

/** `GET /v1/agent/self` (the parts clients use; the rest is kept as unknown). */
export interface AgentSelf {
  Config: {
    Datacenter: string;
    PrimaryDatacenter?: string;
    NodeName: string;
    NodeID: string;
    Revision?: string;
    Server: boolean;
    Version: string;
    BuildDate?: string;
    [field: string]: unknown;
  };
  DebugConfig?: Record<string, unknown>;
  Coord?: Record<string, unknown>;
  Member: AgentMember;
  Stats?: Record<string, Record<string, string>>;
  Meta?: Record<string, string>;
  [field: string]: unknown;
}
