// Autopilot's JSON in Consul's shapes (api/operator_autopilot.go): the configuration with
// durations as Go duration strings, the health reply and the 1.10+ state view.
import { formatDuration } from '../config';
import type { HealthReport } from '../server';
import type { AutopilotConfigRow, AutopilotValues } from '../state';
import {
  BodyDecodeError,
  goBool,
  goDurationMs,
  goInt,
  ROOT,
  structFields,
  typeError,
  type StructSpec,
} from './go-decode';
import type { JsonValue } from './json';
import type { ParsedJson } from './json-parse';

const AUTOPILOT_CONFIGURATION: StructSpec = {
  goType: 'api.AutopilotConfiguration',
  fields: [
    'CleanupDeadServers',
    'LastContactThreshold',
    'MaxTrailingLogs',
    'MinQuorum',
    'ServerStabilizationTime',
  ],
  // Enterprise-only settings and the indexes the GET answer carries: accepted, no effect.
  ignored: [
    'RedundancyZoneTag',
    'DisableUpgradeMigration',
    'UpgradeVersionTag',
    'CreateIndex',
    'ModifyIndex',
  ],
  lenient: true,
};

/** Go's zero time, which Consul prints for a server that never became stable. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function autopilotConfigJson(config: AutopilotConfigRow): JsonValue {
  return {
    CleanupDeadServers: config.cleanupDeadServers,
    LastContactThreshold: formatDuration(config.lastContactThresholdMs),
    MaxTrailingLogs: config.maxTrailingLogs,
    MinQuorum: config.minQuorum,
    ServerStabilizationTime: formatDuration(config.serverStabilizationTimeMs),
    RedundancyZoneTag: '',
    DisableUpgradeMigration: false,
    UpgradeVersionTag: '',
    CreateIndex: config.createIndex,
    ModifyIndex: config.modifyIndex,
  };
}

/**
 * The PUT body as Consul decodes it: a field left out is its zero value (the CLI reads the
 * current configuration and sends it back whole). Throws BodyDecodeError with Go's wording.
 */
export function decodeAutopilotConfig(body: ParsedJson): AutopilotValues {
  const fields = structFields(body, AUTOPILOT_CONFIGURATION, ROOT) ?? new Map<string, ParsedJson>();
  const site = (field: string) => ({ struct: 'AutopilotConfiguration', path: field });
  const unsigned = (field: string, goType: string): number => {
    const value = fields.get(field) ?? null;
    const parsed = goInt(value, site(field));
    if (parsed < 0) throw typeError(value, site(field), goType);
    return parsed;
  };
  const duration = (field: string): number => {
    const ms = goDurationMs(fields.get(field) ?? null);
    if (ms < 0) throw new BodyDecodeError(`${field} must not be negative`);
    return ms;
  };
  return {
    cleanupDeadServers: goBool(
      fields.get('CleanupDeadServers') ?? null,
      site('CleanupDeadServers'),
    ),
    lastContactThresholdMs: duration('LastContactThreshold'),
    maxTrailingLogs: unsigned('MaxTrailingLogs', 'uint64'),
    minQuorum: unsigned('MinQuorum', 'uint'),
    serverStabilizationTimeMs: duration('ServerStabilizationTime'),
  };
}

export function autopilotHealthJson(report: HealthReport, version: string): JsonValue {
  return {
    Healthy: report.healthy,
    FailureTolerance: report.failureTolerance,
    Servers: report.servers.map((server) => ({
      ID: server.id,
      Name: server.name,
      Address: server.address,
      SerfStatus: server.serfStatus,
      Version: version,
      Leader: server.leader,
      LastContact: formatDuration(server.lastContactMs),
      LastTerm: lastTerm(report, server.lastContactMs),
      LastIndex: server.lastIndex,
      Healthy: server.healthy,
      Voter: server.voter,
      StableSince: stableSince(server.stableSince),
    })),
  };
}

/** GET /v1/operator/autopilot/state (Consul 1.10+), open-source fields. */
export function autopilotStateJson(report: HealthReport, version: string): JsonValue {
  const voters = report.servers.filter((s) => s.voter);
  const quorum = Math.floor(voters.length / 2) + 1;
  const healthyServers = report.servers.filter((s) => s.healthy).length;
  const servers: Record<string, JsonValue> = {};
  for (const server of report.servers) {
    servers[server.id] = {
      ID: server.id,
      Name: server.name,
      Address: server.address,
      NodeStatus: server.serfStatus,
      Version: version,
      LastContact: formatDuration(server.lastContactMs),
      LastTerm: lastTerm(report, server.lastContactMs),
      LastIndex: server.lastIndex,
      Healthy: server.healthy,
      StableSince: stableSince(server.stableSince),
      ReadReplica: false,
      Status: server.leader ? 'leader' : server.voter ? 'voter' : 'non-voter',
      Meta: {},
      NodeType: 'voter',
    };
  }
  return {
    Healthy: report.healthy,
    FailureTolerance: report.failureTolerance,
    OptimisticFailureTolerance: Math.max(0, healthyServers - quorum),
    Servers: servers,
    Leader: report.servers.find((s) => s.leader)?.id ?? '',
    Voters: voters.map((s) => s.id),
  };
}

// A server the leader hears from is in the leader's term; one never heard from reports none.
function lastTerm(report: HealthReport, lastContactMs: number): number {
  return lastContactMs >= 0 ? report.term : 0;
}

// Go's StableSince.Round(time.Second).UTC(), RFC 3339.
function stableSince(epochMs: number | null): string {
  if (epochMs === null) return GO_ZERO_TIME;
  return new Date(Math.round(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
