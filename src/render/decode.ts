// Agent responses turned into the shapes consul-template hands its templates (same field names),
// so that a template ported from consul-template reads the same fields.

export interface KvPair {
  Key: string;
  /** The value as UTF-8 text ("" when empty). */
  Value: string;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session: string;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
}

export interface HealthService {
  Node: string;
  NodeID: string;
  NodeAddress: string;
  NodeDatacenter: string;
  NodeTaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
  ServiceMeta: Record<string, string>;
  /** The service's address, or its node's when the service has none. */
  Address: string;
  ID: string;
  Name: string;
  Kind: string;
  Tags: string[];
  Checks: HealthCheck[];
  /** Aggregate of Checks: maintenance > critical > warning > passing. */
  Status: string;
  Port: number;
  Weights: { Passing: number; Warning: number };
}

export interface CatalogServiceSummary {
  Name: string;
  Tags: string[];
}

export interface CatalogNodeSummary {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

export interface CatalogNodeDetail {
  Node: CatalogNodeSummary;
  Services: Array<{
    ID: string;
    Service: string;
    Tags: string[];
    Meta: Record<string, string>;
    Port: number;
    Address: string;
  }>;
}

type Json = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const stringMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
};

function parseArray(body: string, what: string): Json[] {
  const parsed: unknown = JSON.parse(body);
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw new Error(`${what}: expected a JSON array`);
  return parsed as Json[];
}

export function decodeKvPairs(body: string): KvPair[] {
  return parseArray(body, 'kv').map((entry) => ({
    Key: str(entry.Key),
    Value:
      typeof entry.Value === 'string' ? Buffer.from(entry.Value, 'base64').toString('utf8') : '',
    Flags: num(entry.Flags),
    CreateIndex: num(entry.CreateIndex),
    ModifyIndex: num(entry.ModifyIndex),
    LockIndex: num(entry.LockIndex),
    Session: str(entry.Session),
  }));
}

const STATUS_RANK: Record<string, number> = { passing: 0, warning: 1, critical: 2, maintenance: 3 };

/** Go's HealthChecks.AggregatedStatus: maintenance > critical > warning > passing. */
export function aggregateStatus(checks: readonly HealthCheck[]): string {
  let worst = 'passing';
  for (const check of checks) {
    const maintenance =
      check.CheckID === '_node_maintenance' || check.CheckID.startsWith('_service_maintenance:');
    // An unknown status counts as critical.
    const status = maintenance
      ? 'maintenance'
      : check.Status in STATUS_RANK
        ? check.Status
        : 'critical';
    if (STATUS_RANK[status] > STATUS_RANK[worst]) worst = status;
  }
  return worst;
}

export function decodeHealth(body: string): HealthService[] {
  return parseArray(body, 'health').map((entry) => {
    const node = (entry.Node ?? {}) as Json;
    const service = (entry.Service ?? {}) as Json;
    const checks = (Array.isArray(entry.Checks) ? (entry.Checks as Json[]) : []).map(
      (check): HealthCheck => ({
        Node: str(check.Node),
        CheckID: str(check.CheckID),
        Name: str(check.Name),
        Status: str(check.Status),
        Notes: str(check.Notes),
        Output: str(check.Output),
        ServiceID: str(check.ServiceID),
        ServiceName: str(check.ServiceName),
      }),
    );
    const weights = (service.Weights ?? {}) as Json;
    return {
      Node: str(node.Node),
      NodeID: str(node.ID),
      NodeAddress: str(node.Address),
      NodeDatacenter: str(node.Datacenter),
      NodeTaggedAddresses: stringMap(node.TaggedAddresses),
      NodeMeta: stringMap(node.Meta),
      ServiceMeta: stringMap(service.Meta),
      Address: str(service.Address) === '' ? str(node.Address) : str(service.Address),
      ID: str(service.ID),
      Name: str(service.Service),
      Kind: str(service.Kind),
      Tags: strings(service.Tags),
      Checks: checks,
      Status: aggregateStatus(checks),
      Port: num(service.Port),
      Weights: {
        Passing: typeof weights.Passing === 'number' ? weights.Passing : 1,
        Warning: typeof weights.Warning === 'number' ? weights.Warning : 1,
      },
    };
  });
}

export function decodeServices(body: string): CatalogServiceSummary[] {
  const parsed = JSON.parse(body) as Record<string, unknown> | null;
  return Object.entries(parsed ?? {})
    .map(([Name, tags]) => ({ Name, Tags: strings(tags).sort() }))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

function nodeSummary(node: Json): CatalogNodeSummary {
  return {
    ID: str(node.ID),
    Node: str(node.Node),
    Address: str(node.Address),
    Datacenter: str(node.Datacenter),
    TaggedAddresses: stringMap(node.TaggedAddresses),
    Meta: stringMap(node.Meta),
  };
}

export function decodeNodes(body: string): CatalogNodeSummary[] {
  return parseArray(body, 'catalog nodes').map(nodeSummary);
}

export function decodeNode(body: string): CatalogNodeDetail | null {
  const parsed = JSON.parse(body) as { Node?: Json; Services?: Record<string, Json> } | null;
  if (parsed === null || parsed.Node === undefined) return null;
  const services = Object.values(parsed.Services ?? {}).map((service) => ({
    ID: str(service.ID),
    Service: str(service.Service),
    Tags: strings(service.Tags),
    Meta: stringMap(service.Meta),
    Port: num(service.Port),
    Address: str(service.Address),
  }));
  services.sort((a, b) =>
    a.Service < b.Service ? -1 : a.Service > b.Service ? 1 : a.ID < b.ID ? -1 : 1,
  );
  return { Node: nodeSummary(parsed.Node), Services: services };
}
