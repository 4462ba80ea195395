// The agent's services and checks as catalog registrations (what anti-entropy writes), and the
// node identity it registers under. (The `consul` service and `serfHealth` are the leader's:
// src/server/member-reconcile.ts.)
import { isIPv4 } from 'node:net';
import { formatDuration, type AgentConfig } from '../config';
import { emptyCheckDefinition, type CheckRegistration, type ServiceRegistration } from '../state';
import type { CheckDefinition, CheckStatus, CheckType } from './checks';
import type { NodeIdentity } from './anti-entropy';
import type { AgentServiceRecord } from './definitions';

export function nodeIdentity(config: AgentConfig): NodeIdentity {
  const taggedAddresses: Record<string, string> = {
    lan: config.advertiseAddr,
    wan: config.advertiseAddrWan,
  };
  if (isIPv4(config.advertiseAddr)) taggedAddresses.lan_ipv4 = config.advertiseAddr;
  if (isIPv4(config.advertiseAddrWan)) taggedAddresses.wan_ipv4 = config.advertiseAddrWan;
  return {
    id: config.nodeId,
    node: config.nodeName,
    address: config.advertiseAddr,
    datacenter: config.datacenter,
    taggedAddresses,
    meta: { ...config.nodeMeta, 'consul-network-segment': '' },
  };
}

export function serviceRegistration(record: AgentServiceRecord): ServiceRegistration {
  return {
    id: record.id,
    service: record.service,
    tags: record.tags,
    address: record.address,
    taggedAddresses: record.taggedAddresses,
    meta: record.meta,
    port: record.port,
    weights: record.weights,
    enableTagOverride: record.enableTagOverride,
    kind: record.kind,
  };
}

export function checkRegistration(
  node: string,
  def: CheckDefinition,
  type: CheckType | '',
  status: CheckStatus,
  output: string,
): CheckRegistration {
  return {
    node,
    checkID: def.id,
    name: def.name,
    status,
    notes: def.notes ?? '',
    output,
    serviceID: def.serviceId ?? '',
    type,
    interval: durationText(def.interval),
    timeout: durationText(def.timeout),
    exposedPort: 0,
    definition: {
      ...emptyCheckDefinition(),
      http: def.http ?? '',
      header: def.header ?? {},
      method: def.method ?? '',
      body: def.body ?? '',
      tlsServerName: def.tlsServerName ?? '',
      tlsSkipVerify: def.tlsSkipVerify ?? false,
      tcp: def.tcp ?? '',
      udp: def.udp ?? '',
      grpc: def.grpc ?? '',
      grpcUseTLS: def.grpcUseTls ?? false,
      interval: durationText(def.interval),
      timeout: durationText(def.timeout),
      deregisterCriticalServiceAfter: durationText(def.deregisterCriticalServiceAfter),
    },
  };
}

/** Go's Duration.String() for a set duration, "" when unset. */
export function durationText(ms: number | undefined): string {
  return ms === undefined || ms === 0 ? '' : formatDuration(ms);
}
