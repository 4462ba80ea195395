// `consulate agent` flags. Except for the few that select sources (-dev, -config-*, -hcl), each
// flag is a config key: the flags become one more config source, merged last.
import type { FlagSpec, FlagValue } from './flags';
import { formatDuration } from './duration';
import type { ConfigObject, ConfigValue } from './normalize';
import { setPath } from './paths';

interface AgentFlag extends FlagSpec {
  /** Dotted config key this flag sets; absent for flags that select sources. */
  key?: string;
}

const flag = (
  name: string,
  kind: FlagSpec['kind'],
  usage: string,
  key?: string,
  placeholder?: string,
): AgentFlag => ({ name, kind, usage, key, placeholder });

export const AGENT_FLAGS: readonly AgentFlag[] = [
  flag('dev', 'bool', 'Development mode: in-memory server, bootstrap, 127.0.0.1, debug logs.'),
  flag('config-file', 'list', 'A JSON or HCL config file to load; may repeat.', undefined, 'path'),
  flag(
    'config-dir',
    'list',
    'A directory of *.json and *.hcl files to load; may repeat.',
    undefined,
    'path',
  ),
  flag(
    'config-format',
    'string',
    'Force the format of config files: json or hcl.',
    undefined,
    'format',
  ),
  flag(
    'hcl',
    'list',
    'An HCL config fragment, applied after the files; may repeat.',
    undefined,
    'hcl',
  ),
  flag('server', 'bool', 'Run in server mode.', 'server'),
  flag('bootstrap', 'bool', 'Bootstrap a single-server cluster.', 'bootstrap'),
  flag(
    'bootstrap-expect',
    'int',
    'Wait for this many servers before bootstrapping.',
    'bootstrap_expect',
  ),
  flag('data-dir', 'string', 'Where to keep state.', 'data_dir', 'path'),
  flag('node', 'string', 'Node name (default: hostname).', 'node_name', 'name'),
  flag(
    'node-id',
    'string',
    'Node ID, a UUID (default: generated and kept in data-dir).',
    'node_id',
    'uuid',
  ),
  flag('datacenter', 'string', 'Datacenter of this agent.', 'datacenter', 'name'),
  flag('dc', 'string', 'Deprecated: use -datacenter.', 'datacenter', 'name'),
  flag(
    'primary-datacenter',
    'string',
    'Authoritative datacenter for ACLs.',
    'primary_datacenter',
    'name',
  ),
  flag(
    'client',
    'string',
    'Address(es) the client interfaces (HTTP, DNS) bind to.',
    'client_addr',
    'addr',
  ),
  flag('bind', 'string', 'Address the cluster interfaces bind to.', 'bind_addr', 'addr'),
  flag('advertise', 'string', 'Address advertised to other nodes.', 'advertise_addr', 'addr'),
  flag('advertise-wan', 'string', 'Address advertised over the WAN.', 'advertise_addr_wan', 'addr'),
  flag('http-port', 'int', 'HTTP API port (0 picks a free one).', 'ports.http', 'port'),
  flag(
    'https-port',
    'int',
    'HTTPS API port (-1 disables; HTTPS is not available yet, so a port > 0 is refused).',
    'ports.https',
    'port',
  ),
  flag('dns-port', 'int', 'DNS port.', 'ports.dns', 'port'),
  flag(
    'grpc-port',
    'int',
    'gRPC port (-1 disables; no gRPC listener in this build).',
    'ports.grpc',
    'port',
  ),
  flag(
    'grpc-tls-port',
    'int',
    'gRPC TLS port (-1 disables; no gRPC listener in this build).',
    'ports.grpc_tls',
    'port',
  ),
  flag('server-port', 'int', 'Server RPC port.', 'ports.server', 'port'),
  flag('serf-lan-port', 'int', 'LAN gossip port.', 'ports.serf_lan', 'port'),
  flag('serf-wan-port', 'int', 'WAN gossip port.', 'ports.serf_wan', 'port'),
  flag('log-level', 'string', 'trace, debug, info, warn or error.', 'log_level', 'level'),
  flag('log-json', 'bool', 'Log JSON lines.', 'log_json'),
  flag('log-file', 'string', 'Also write logs to this file.', 'log_file', 'path'),
  flag('ui', 'bool', 'Serve the web UI under ui_config.content_path (/ui/).', 'ui_config.enabled'),
  flag('ui-dir', 'string', 'Serve the web UI from this directory.', 'ui_config.dir', 'path'),
  flag(
    'ui-content-path',
    'string',
    'URL path the web UI is served under (default /ui/).',
    'ui_config.content_path',
    'path',
  ),
  flag('node-meta', 'list', 'Node metadata as key:value; may repeat.', 'node_meta', 'key:value'),
  flag('domain', 'string', 'DNS domain (default consul.).', 'domain', 'domain'),
  flag('alt-domain', 'string', 'Alternate DNS domain.', 'alt_domain', 'domain'),
  flag('recursor', 'list', 'Upstream DNS server; may repeat.', 'recursors', 'addr'),
  flag(
    'enable-script-checks',
    'bool',
    'Allow script checks from any source.',
    'enable_script_checks',
  ),
  flag(
    'enable-local-script-checks',
    'bool',
    'Allow script checks from config files only.',
    'enable_local_script_checks',
  ),
  flag('default-query-time', 'duration', 'Default blocking query wait.', 'default_query_time'),
  flag('max-query-time', 'duration', 'Maximum blocking query wait.', 'max_query_time'),
  flag('pid-file', 'string', 'Write the agent PID here.', 'pid_file', 'path'),
  flag(
    'retry-join',
    'list',
    'Address to join at start, retried; may repeat.',
    'retry_join',
    'addr',
  ),
  flag('join', 'list', 'Alias of -retry-join.', 'retry_join', 'addr'),
  flag('retry-interval', 'duration', 'Time between join attempts.', 'retry_interval'),
  flag('retry-max', 'int', 'Join attempts before giving up (0: forever).', 'retry_max'),
  flag(
    'retry-join-wan',
    'list',
    'WAN address to join, retried; may repeat.',
    'retry_join_wan',
    'addr',
  ),
  flag('join-wan', 'list', 'Alias of -retry-join-wan.', 'retry_join_wan', 'addr'),
  flag(
    'encrypt',
    'string',
    'Gossip encryption key (base64 of 16, 24 or 32 bytes).',
    'encrypt',
    'key',
  ),
  flag(
    'disable-host-node-id',
    'bool',
    'Do not derive the node ID from the host.',
    'disable_host_node_id',
  ),
  flag('rejoin', 'bool', 'Rejoin the cluster after a leave.', 'rejoin_after_leave'),
  flag('serf-lan-bind', 'string', 'Address the LAN gossip pool binds to.', 'serf_lan', 'addr'),
  flag('serf-wan-bind', 'string', 'Address the WAN gossip pool binds to.', 'serf_wan', 'addr'),
  flag('retry-interval-wan', 'duration', 'Time between WAN join attempts.', 'retry_interval_wan'),
  flag('retry-max-wan', 'int', 'WAN join attempts before giving up (0: forever).', 'retry_max_wan'),
];

/** Turns the agent flags that map to config keys into a config source (keys still raw). */
export function flagsToConfig(values: ReadonlyMap<string, FlagValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of AGENT_FLAGS) {
    const value = values.get(spec.name);
    if (value === undefined || spec.key === undefined) continue;
    setPath(out, spec.key, flagToConfigValue(spec, value, out));
  }
  return out;
}

function flagToConfigValue(
  spec: AgentFlag,
  value: FlagValue,
  out: Record<string, unknown>,
): ConfigValue {
  if (spec.kind === 'duration') return formatDuration(value as number);
  if (spec.key === 'node_meta') {
    const meta: ConfigObject = { ...((out.node_meta as ConfigObject | undefined) ?? {}) };
    for (const pair of value as string[]) {
      const colon = pair.indexOf(':');
      if (colon === -1) meta[pair] = '';
      else meta[pair.slice(0, colon)] = pair.slice(colon + 1);
    }
    return meta;
  }
  if (Array.isArray(value)) {
    const existing = out[spec.key ?? ''];
    return Array.isArray(existing) ? [...(existing as string[]), ...value] : value;
  }
  return value as ConfigValue;
}

/** The flag that sets `key` (`encrypt` → `-encrypt`), for messages about a flag's value. */
export function flagForKey(key: string): string | null {
  const spec = AGENT_FLAGS.find((candidate) => candidate.key === key);
  return spec === undefined ? null : `-${spec.name}`;
}
