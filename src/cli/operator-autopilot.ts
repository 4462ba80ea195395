// `consulate operator autopilot get-config|set-config|state`, as `consul operator autopilot`.
import { formatDuration, type FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

interface AutopilotConfiguration {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  RedundancyZoneTag: string;
  DisableUpgradeMigration: boolean;
  UpgradeVersionTag: string;
  CreateIndex: number;
  ModifyIndex: number;
}

interface AutopilotServer {
  ID: string;
  Name: string;
  Address: string;
  NodeStatus: string;
  Version: string;
  LastContact: string;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  Status: string;
  NodeType: string;
  Meta: Record<string, string>;
}

interface AutopilotState {
  Healthy: boolean;
  FailureTolerance: number;
  OptimisticFailureTolerance: number;
  Leader: string;
  Voters: string[];
  Servers: Record<string, AutopilotServer>;
}

export async function runAutopilot(subcommand: string, argv: readonly string[]): Promise<number> {
  if (subcommand === 'get-config') return getConfig(argv);
  if (subcommand === 'set-config') return setConfig(argv);
  if (subcommand === 'state') return state(argv);
  return -1;
}

async function fetchConfig(client: AgentHttpClient): Promise<AutopilotConfiguration> {
  const response = await client.expectOk('GET', '/v1/operator/autopilot/configuration', {
    read: true,
  });
  return JSON.parse(response.body.toString('utf8')) as AutopilotConfiguration;
}

async function getConfig(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate operator autopilot get-config [options]\n\n  Displays the current Autopilot configuration.',
  );
  if (typeof parsed === 'number') return parsed;
  let config: AutopilotConfiguration;
  try {
    config = await fetchConfig(AgentHttpClient.fromFlags(parsed.values));
  } catch (err) {
    error(`Error querying Autopilot configuration: ${(err as Error).message}`);
    return 1;
  }
  info(
    [
      `CleanupDeadServers = ${config.CleanupDeadServers}`,
      `LastContactThreshold = ${config.LastContactThreshold}`,
      `MaxTrailingLogs = ${config.MaxTrailingLogs}`,
      `MinQuorum = ${config.MinQuorum}`,
      `ServerStabilizationTime = ${config.ServerStabilizationTime}`,
      `RedundancyZoneTag = ${JSON.stringify(config.RedundancyZoneTag)}`,
      `DisableUpgradeMigration = ${config.DisableUpgradeMigration}`,
      `UpgradeVersionTag = ${JSON.stringify(config.UpgradeVersionTag)}`,
    ].join('\n'),
  );
  return 0;
}

const SET_FLAGS: readonly FlagSpec[] = [
  ...HTTP_CLIENT_FLAGS,
  {
    name: 'cleanup-dead-servers',
    kind: 'string',
    usage:
      'Controls whether Consulate will automatically remove dead servers when new ones are successfully added.',
    placeholder: 'true|false',
  },
  {
    name: 'max-trailing-logs',
    kind: 'uint64',
    usage:
      'Controls the maximum number of log entries that a server can trail the leader by before being considered unhealthy.',
  },
  {
    name: 'min-quorum',
    kind: 'uint64',
    usage:
      'Sets the minimum number of servers required in a cluster before autopilot can prune dead servers.',
  },
  {
    name: 'last-contact-threshold',
    kind: 'duration',
    usage:
      'Controls the maximum amount of time a server can go without contact from the leader before being considered unhealthy.',
  },
  {
    name: 'server-stabilization-time',
    kind: 'duration',
    usage:
      "Controls the minimum amount of time a server must be stable in the 'healthy' state before being added to the cluster.",
  },
];

// Go's strconv.ParseBool.
const TRUE_TEXTS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_TEXTS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Reads the configuration, changes what the flags name, writes it back with CAS. */
async function setConfig(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    SET_FLAGS,
    'Usage: consulate operator autopilot set-config [options]\n\n  Modifies the current Autopilot configuration.',
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const cleanup = values.get('cleanup-dead-servers') as string | undefined;
  if (cleanup !== undefined && !TRUE_TEXTS.has(cleanup) && !FALSE_TEXTS.has(cleanup)) {
    error(`invalid value "${cleanup}" for flag -cleanup-dead-servers: parse error`);
    return 1;
  }
  const client = AgentHttpClient.fromFlags(values);
  let config: AutopilotConfiguration;
  try {
    config = await fetchConfig(client);
  } catch (err) {
    error(`Error querying for Autopilot configuration: ${(err as Error).message}`);
    return 1;
  }
  if (cleanup !== undefined) config.CleanupDeadServers = TRUE_TEXTS.has(cleanup);
  const trailing = values.get('max-trailing-logs');
  if (trailing !== undefined) config.MaxTrailingLogs = Number(trailing);
  const minQuorum = values.get('min-quorum');
  if (minQuorum !== undefined) config.MinQuorum = Number(minQuorum);
  const contact = values.get('last-contact-threshold');
  if (typeof contact === 'number') config.LastContactThreshold = formatDuration(contact);
  const stabilization = values.get('server-stabilization-time');
  if (typeof stabilization === 'number') {
    config.ServerStabilizationTime = formatDuration(stabilization);
  }
  let updated: boolean;
  try {
    const response = await client.expectOk('PUT', '/v1/operator/autopilot/configuration', {
      query: { cas: String(config.ModifyIndex) },
      body: JSON.stringify(config),
    });
    updated = JSON.parse(response.body.toString('utf8')) === true;
  } catch (err) {
    error(`Error updating Autopilot configuration: ${(err as Error).message}`);
    return 1;
  }
  if (!updated) {
    error('Configuration could not be atomically updated, please try again');
    return 1;
  }
  info('Configuration updated!');
  return 0;
}

async function state(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      {
        name: 'format',
        kind: 'string',
        usage: 'Output format {pretty|json}',
        placeholder: 'pretty|json',
      },
    ],
    'Usage: consulate operator autopilot state [options]\n\n  Displays the current Autopilot state.',
  );
  if (typeof parsed === 'number') return parsed;
  const format = (parsed.values.get('format') as string | undefined) ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    error(`Error: unknown format "${format}" (expected pretty or json)`);
    return 1;
  }
  let body: string;
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'GET',
      '/v1/operator/autopilot/state',
      { read: true },
    );
    body = response.body.toString('utf8');
  } catch (err) {
    error(`Failed to retrieve the autopilot state: ${(err as Error).message}`);
    return 1;
  }
  const current = JSON.parse(body) as AutopilotState;
  info(format === 'json' ? JSON.stringify(current, null, 3) : formatState(current));
  return 0;
}

/** Consul's pretty formatter (command/operator/autopilot/state/formatter.go). */
export function formatState(state: AutopilotState): string {
  const lines = [
    `Healthy:                      ${state.Healthy}`,
    `Failure Tolerance:            ${state.FailureTolerance}`,
    `Optimistic Failure Tolerance: ${state.OptimisticFailureTolerance}`,
    `Leader:                       ${state.Leader}`,
    'Voters:',
    ...state.Voters.map((id) => `   ${id}`),
    '',
    'Servers:',
  ];
  for (const id of Object.keys(state.Servers).sort()) {
    const server = state.Servers[id];
    lines.push(
      `   ${server.ID}`,
      `      Name:            ${server.Name}`,
      `      Address:         ${server.Address}`,
      `      Version:         ${server.Version}`,
      `      Status:          ${server.Status}`,
      `      Node Type:       ${server.NodeType}`,
      `      Node Status:     ${server.NodeStatus}`,
      `      Healthy:         ${server.Healthy}`,
      `      Last Contact:    ${server.LastContact}`,
      `      Last Term:       ${server.LastTerm}`,
      `      Last Index:      ${server.LastIndex}`,
    );
    const meta = Object.keys(server.Meta).sort();
    if (meta.length > 0) {
      lines.push('      Meta');
      for (const key of meta)
        lines.push(`         ${JSON.stringify(key)}: ${JSON.stringify(server.Meta[key])}`);
    }
  }
  return lines.join('\n');
}
