// Settings that ask for something this build cannot do yet. Accepting one would leave the agent
// less safe than its configuration says, so the agent refuses to start (and a reload fails),
// naming the setting, where it was written and why. The work that brings a feature lifts its
// refusal by removing its rows from UNAVAILABLE_SETTINGS.
import { describeSetting, settingSource, type ConfigLayer } from './layers';
import { ConfigError, type ConfigObject, type ConfigValue } from './normalize';
import { getPath } from './paths';

export interface UnavailableSetting {
  /** Canonical key path in the merged configuration (a whole stanza for `telemetry`). */
  path: string;
  /** Whether the value asks for the feature (`verify_incoming = false` asks for nothing). */
  asks: (value: ConfigValue) => boolean;
  reason: string;
  /** Only a value the user wrote asks (Consul's built-in default, e.g. reconnect_timeout, does not). */
  userOnly?: boolean;
}

const AUTO_TLS =
  'automatic TLS certificates (auto_encrypt, auto_config) are not available in Consulate: give each agent its files with tls { defaults { ca_file cert_file key_file } } (consulate tls cert create makes them)';
const GRPC_TLS =
  'gRPC is not available in this build of Consulate: there is no gRPC listener to secure';
const WRITE_ALLOWLIST =
  'limiting writes by client address is not available yet in this version of Consulate; starting would accept writes from every address';

const LEAVE_DRAIN =
  'draining RPC after a server leaves is not available yet in this version of Consulate: a leaving server stops serving at once';
const TELEMETRY_SINK =
  'sending metrics to statsd, statsite or DogStatsD is not available in Consulate: /v1/agent/metrics and its Prometheus format are the only outputs';
const TELEMETRY_FILTER =
  'filtering metrics by prefix is not available yet in this version of Consulate: every metric is kept';
const RPC_LIMITS = 'RPC rate limiting is not available yet in this version of Consulate';
const REMOTE_EXEC = 'remote execution (consul exec) is not available in Consulate';
const AGENT_CACHE =
  'the agent cache for DNS is not available yet in this version of Consulate: every DNS answer is read afresh';
const GRPC = 'gRPC is not available in this build of Consulate: nothing would listen there';
const CONNECT =
  'Connect (service mesh) is not available in Consulate: no sidecar or expose ports are used';
const NAMESPACES = 'namespaces (Consul Enterprise) are not available in Consulate';

const isTrue = (value: ConfigValue): boolean => value === true;
const isFalse = (value: ConfigValue): boolean => value === false;
const isAny = (): boolean => true;
const isSet = (value: ConfigValue): boolean =>
  value !== '' && !(Array.isArray(value) && value.length === 0);

/**
 * tls.grpc: there is no gRPC listener here to secure. tls.defaults, tls.https and
 * tls.internal_rpc are honoured (src/config/tls.ts).
 */
function grpcTlsSettings(): UnavailableSetting[] {
  const valued = [
    'ca_file',
    'ca_path',
    'cert_file',
    'key_file',
    'tls_min_version',
    'tls_cipher_suites',
  ];
  return [
    ...valued.map((key) => ({ path: `tls.grpc.${key}`, asks: isSet, reason: GRPC_TLS })),
    ...['verify_incoming', 'verify_outgoing', 'use_auto_cert'].map((key) => ({
      path: `tls.grpc.${key}`,
      asks: isTrue,
      reason: GRPC_TLS,
    })),
  ];
}

export const UNAVAILABLE_SETTINGS: readonly UnavailableSetting[] = [
  ...grpcTlsSettings(),
  { path: 'auto_encrypt.tls', asks: isTrue, reason: AUTO_TLS },
  { path: 'auto_encrypt.allow_tls', asks: isTrue, reason: AUTO_TLS },
  // auto_config hands out TLS certificates and ACL tokens.
  { path: 'auto_config.enabled', asks: isTrue, reason: AUTO_TLS },
  { path: 'auto_config.authorization.enabled', asks: isTrue, reason: AUTO_TLS },
  { path: 'http_config.allow_write_http_from', asks: isSet, reason: WRITE_ALLOWLIST },
  { path: 'performance.leave_drain_time', asks: isAny, reason: LEAVE_DRAIN, userOnly: true },
  // telemetry: prometheus_retention_time, disable_hostname and metrics_prefix are honoured.
  ...['statsd_address', 'statsite_address', 'dogstatsd_addr', 'dogstatsd_tags'].map((key) => ({
    path: `telemetry.${key}`,
    asks: isSet,
    reason: TELEMETRY_SINK,
  })),
  ...['prefix_filter', 'filter_default', 'disable_compat_1_9'].map((key) => ({
    path: `telemetry.${key}`,
    asks: isAny,
    reason: TELEMETRY_FILTER,
    userOnly: true,
  })),
  { path: 'limits.rpc_rate', asks: isAny, reason: RPC_LIMITS, userOnly: true },
  { path: 'limits.rpc_max_burst', asks: isAny, reason: RPC_LIMITS, userOnly: true },
  { path: 'limits.rpc_client_timeout', asks: isAny, reason: RPC_LIMITS, userOnly: true },
  { path: 'disable_remote_exec', asks: isFalse, reason: REMOTE_EXEC },
  { path: 'dns_config.use_cache', asks: isTrue, reason: AGENT_CACHE },
  { path: 'dns_config.cache_max_age', asks: isAny, reason: AGENT_CACHE, userOnly: true },
  { path: 'dns_config.prefer_namespace', asks: isTrue, reason: NAMESPACES },
  ...['addresses.grpc', 'addresses.grpc_tls'].map((path) => ({ path, asks: isSet, reason: GRPC })),
  ...['sidecar_min_port', 'sidecar_max_port', 'expose_min_port', 'expose_max_port'].map((key) => ({
    path: `ports.${key}`,
    asks: isAny,
    reason: CONNECT,
    userOnly: true,
  })),
];

/** Throws a ConfigError listing every setting of `merged` that asks for an unavailable feature. */
export function refuseUnavailable(merged: ConfigObject, layers: readonly ConfigLayer[]): void {
  const refused: string[] = [];
  for (const setting of UNAVAILABLE_SETTINGS) {
    const value = getPath(merged, setting.path) as ConfigValue | undefined;
    if (value === undefined || !setting.asks(value)) continue;
    const source = settingSource(layers, setting.path);
    if (setting.userOnly === true && (source === null || source.kind === 'defaults')) continue;
    refused.push(`${describeSetting(layers, setting.path, value)}: ${setting.reason}`);
  }
  if (refused.length > 0) throw new ConfigError(refused.join('\n'));
}

/**
 * Settings accepted although they change nothing here, each with a warning saying so: the web
 * UI's metrics provider and dashboard links, gRPC ports, and ACL policies while ACLs are off.
 */
export function unavailableNotices(merged: ConfigObject, layers: readonly ConfigLayer[]): string[] {
  const notices: string[] = [];
  for (const path of ['ui_config.metrics_provider', 'ui_config.dashboard_url_templates']) {
    const value = getPath(merged, path) as ConfigValue | undefined;
    if (value === undefined || settingSource(layers, path)?.kind === 'defaults') continue;
    notices.push(
      `${describeSetting(layers, path, value)}: the web UI of this build shows no metrics or dashboard links; the setting is ignored`,
    );
  }
  for (const path of ['ports.grpc', 'ports.grpc_tls']) {
    const port = getPath(merged, path);
    if (typeof port !== 'number' || port <= 0 || settingSource(layers, path)?.kind === 'defaults') {
      continue;
    }
    notices.push(
      `${describeSetting(layers, path, port)}: gRPC is not available in this build of Consulate; nothing listens on port ${port}`,
    );
  }
  const policy = getPath(merged, 'acl.default_policy');
  if (policy === 'deny' && getPath(merged, 'acl.enabled') !== true) {
    notices.push(
      `${describeSetting(layers, 'acl.default_policy', policy)} = "deny" has no effect while acl.enabled is false (as in Consul): nothing is denied`,
    );
  }
  return notices;
}
