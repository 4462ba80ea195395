// GET /v1/internal/ui/services: what Consul's web UI lists, one summary per service name — its
// instances, the nodes hosting them, the union of their tags and how many of their checks pass,
// warn or fail (node checks included, each counted once per service). Consul's UI endpoint
// (agent/ui_endpoint.go, summarizeServices), so that a list of 5,000 services costs one read.
import type { HealthCheck, StateStore, WatchSetBuilder } from '../state';
import type { JsonValue } from './json';
import type { View } from './listing';

interface ServiceSummary {
  kind: string;
  tags: Set<string>;
  nodes: Set<string>;
  instances: number;
  /** node + check ID → status: a node check shared by two instances counts once. */
  checks: Map<string, string>;
}

export function uiServicesView(store: StateStore, datacenter: string, ws: WatchSetBuilder): View {
  const nodes = store.catalogNodes(ws);
  const services = store.catalogServices(ws);
  const checks = store.healthChecksInState('any', ws);
  const index = Math.max(nodes.index, services.index, checks.index);
  const value = (): JsonValue => {
    const byNode = checksByNode(checks.value);
    const summaries = new Map<string, ServiceSummary>();
    for (const node of nodes.value) {
      const nodeChecks = byNode.get(node.node) ?? [];
      for (const instance of store.nodeServices(node.node).value) {
        let summary = summaries.get(instance.service);
        if (summary === undefined) {
          summary = {
            kind: instance.kind,
            tags: new Set(),
            nodes: new Set(),
            instances: 0,
            checks: new Map(),
          };
          summaries.set(instance.service, summary);
        }
        summary.instances += 1;
        summary.nodes.add(node.node);
        for (const tag of instance.tags) summary.tags.add(tag);
        for (const check of nodeChecks) {
          if (check.serviceID === '' || check.serviceID === instance.id) {
            summary.checks.set(`${node.node}\u0000${check.checkID}`, check.status);
          }
        }
      }
    }
    return [...summaries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, summary]) => summaryJson(name, summary, datacenter));
  };
  return { value, index };
}

function checksByNode(checks: readonly HealthCheck[]): Map<string, HealthCheck[]> {
  const byNode = new Map<string, HealthCheck[]>();
  for (const check of checks) {
    const list = byNode.get(check.node);
    if (list === undefined) byNode.set(check.node, [check]);
    else list.push(check);
  }
  return byNode;
}

/** structs.ServiceSummary as Consul's UI endpoint marshals it (Connect fields always empty). */
function summaryJson(name: string, summary: ServiceSummary, datacenter: string): JsonValue {
  let passing = 0;
  let warning = 0;
  let critical = 0;
  for (const status of summary.checks.values()) {
    if (status === 'passing') passing += 1;
    else if (status === 'warning') warning += 1;
    else if (status === 'critical') critical += 1;
  }
  return {
    Kind: summary.kind,
    Name: name,
    Datacenter: datacenter,
    Tags: summary.tags.size === 0 ? null : [...summary.tags].sort(),
    Nodes: [...summary.nodes].sort(),
    ExternalSources: null,
    InstanceCount: summary.instances,
    ChecksPassing: passing,
    ChecksWarning: warning,
    ChecksCritical: critical,
    GatewayConfig: {},
    TransparentProxy: false,
    ConnectNative: false,
    PeerName: '',
    ConnectedWithProxy: false,
    ConnectedWithGateway: false,
  };
}
