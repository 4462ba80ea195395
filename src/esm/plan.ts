// From the catalog's external nodes and checks to the jobs that check them: one repeatable job
// per HTTP/TCP/UDP/gRPC check (every Definition.Interval), one per node that asks to be probed
// (meta external-probe = "true", every node_probe_interval). Pure: the scheduler diffs plans.
import type { CheckDefinition } from '../agent';
import { parseDuration } from '../config';
import type { CatalogCheck, CatalogNode } from './catalog';

/** consul-esm's node-level check. */
export const NODE_HEALTH_CHECK_ID = 'externalNodeHealth';
export const NODE_HEALTH_CHECK_NAME = 'External Node Status';

export interface CheckJob {
  kind: 'check';
  node: string;
  checkId: string;
  definition: CheckDefinition;
}

export interface NodeProbeJob {
  kind: 'node';
  node: string;
  address: string;
  pingType: 'tcp' | 'udp';
  port: number;
  timeoutMs: number;
}

export type EsmJob = CheckJob | NodeProbeJob;

export interface PlannedJob {
  /** Stable id of the repeatable job (the BullMQ job scheduler). */
  id: string;
  everyMs: number;
  job: EsmJob;
}

export interface NodeProbeSettings {
  intervalMs: number;
  timeoutMs: number;
  pingType: 'tcp' | 'udp';
  port: number;
}

export function planJobs(
  nodes: readonly CatalogNode[],
  checks: readonly CatalogCheck[],
  probe: NodeProbeSettings,
): Map<string, PlannedJob> {
  const planned = new Map<string, PlannedJob>();
  for (const check of checks) {
    const definition = checkDefinition(check);
    if (definition === null) continue;
    const id = `check/${encodeURIComponent(check.Node)}/${encodeURIComponent(check.CheckID)}`;
    planned.set(id, {
      id,
      everyMs: definition.interval as number,
      job: { kind: 'check', node: check.Node, checkId: check.CheckID, definition },
    });
  }
  for (const node of nodes) {
    if (node.Meta?.['external-probe'] !== 'true') continue;
    const id = `node/${encodeURIComponent(node.Node)}`;
    planned.set(id, {
      id,
      everyMs: probe.intervalMs,
      job: {
        kind: 'node',
        node: node.Node,
        address: node.Address,
        pingType: probe.pingType,
        port: probe.port,
        timeoutMs: probe.timeoutMs,
      },
    });
  }
  return planned;
}

/** The runner definition of a catalog check, or null when it is not one the monitor runs. */
export function checkDefinition(check: CatalogCheck): CheckDefinition | null {
  const def = check.Definition;
  if (def === undefined || check.CheckID === NODE_HEALTH_CHECK_ID) return null;
  const interval = durationMs(def.Interval);
  if (interval <= 0) return null;
  const base: CheckDefinition = {
    id: check.CheckID,
    name: check.Name,
    interval: Math.max(1000, interval),
    timeout: durationMs(def.Timeout) || undefined,
  };
  if (nonEmpty(def.GRPC)) return { ...base, grpc: def.GRPC, grpcUseTls: def.GRPCUseTLS === true };
  if (nonEmpty(def.HTTP)) {
    return {
      ...base,
      http: def.HTTP,
      method: nonEmpty(def.Method) ? def.Method : undefined,
      header: def.Header ?? undefined,
      body: nonEmpty(def.Body) ? def.Body : undefined,
      tlsServerName: nonEmpty(def.TLSServerName) ? def.TLSServerName : undefined,
      tlsSkipVerify: def.TLSSkipVerify === true,
    };
  }
  if (nonEmpty(def.TCP)) return { ...base, tcp: def.TCP };
  if (nonEmpty(def.UDP)) return { ...base, udp: def.UDP };
  return null;
}

function durationMs(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  try {
    return parseDuration(text);
  } catch {
    return 0;
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
