// From the merged canonical configuration to the typed AgentConfig, with the cross-key checks
// Consul makes (data_dir required, bootstrap vs bootstrap_expect, ...).
import { networkInterfaces } from 'node:os';
import { ConfigError, isPlainObject, type ConfigObject } from './normalize';
import { getPath } from './paths';
import { buildTls, type DescribeSetting } from './tls';
import type {
  AclConfig,
  AgentConfig,
  DnsConfig,
  EsmConfig,
  GossipSettings,
  GossipTuning,
  HttpConfig,
  JobsConfig,
  PortsConfig,
  TelemetryConfig,
  UiConfig,
} from './types';

export interface BuildContext {
  dev: boolean;
  sources: string[];
  hostname: string;
  /** Consul's configuration warnings (bootstrap modes, script checks), logged at start. */
  warn: (message: string) => void;
  /** Names a setting as written (its source, a deprecated key) in error messages. */
  describe?: DescribeSetting;
}

/** AgentConfig without nodeId, which needs the data dir (see identity.ts). */
export type BuiltConfig = Omit<
  AgentConfig,
  'nodeId' | 'serviceDefinitions' | 'checkDefinitions'
> & {
  nodeId: string | null;
};

const LOG_LEVEL_ALIASES: Record<string, AgentConfig['logLevel']> = {
  err: 'error',
  warning: 'warn',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATACENTER = /^[a-z0-9_-]+$/;

export function buildAgentConfig(merged: ConfigObject, ctx: BuildContext): BuiltConfig {
  const read = new Reader(merged);
  const dataDir = read.optString('data_dir');
  if (!ctx.dev && dataDir === null) throw new ConfigError('data_dir cannot be empty');

  const datacenter = read.string('datacenter').toLowerCase();
  if (!DATACENTER.test(datacenter)) {
    throw new ConfigError(`datacenter: invalid value "${datacenter}" (only a-z, 0-9, _ and -)`);
  }
  const server = read.bool('server');
  const { bootstrap, bootstrapExpect } = buildBootstrap(read, server, ctx);
  if (!server && read.strings('retry_join_wan').length > 0) {
    throw new ConfigError(
      "'retry_join_wan' requires 'server = true': only servers join the WAN pool",
    );
  }

  warnAboutScriptChecks(read, ctx.warn);

  const nodeId = read.optString('node_id');
  if (nodeId !== null && !UUID.test(nodeId)) {
    throw new ConfigError(`node_id: invalid UUID "${nodeId}"`);
  }
  const nodeName = read.optString('node_name') ?? ctx.hostname;
  if (nodeName === '') throw new ConfigError('node_name cannot be empty');

  const bindAddr = read.string('bind_addr');
  const advertiseAddr = read.optString('advertise_addr') ?? advertiseFor(bindAddr);
  const clientAddr = read
    .string('client_addr')
    .split(/\s+/)
    .filter((addr) => addr !== '');
  if (clientAddr.length === 0) throw new ConfigError('client_addr cannot be empty');
  // addresses.http / addresses.dns override client_addr for that listener, as in Consul.
  const listenerAddr = (key: string): string[] | null => {
    const own = (read.optString(`addresses.${key}`) ?? '').split(/\s+/).filter((a) => a !== '');
    return own.length > 0 ? own : null;
  };

  // The agent's own watches, templates and external-service monitor read its plain HTTP API.
  if (read.number('ports.http') < 0) {
    const readers = ['watches', 'templates']
      .filter((key) => read.objects(key).length > 0)
      .concat(read.bool('esm.enabled') ? ['esm'] : []);
    if (readers.length > 0) {
      throw new ConfigError(
        `ports.http = ${read.number('ports.http')}: ${readers.join(', ')} read this agent's plain HTTP API; keep ports.http on (on 127.0.0.1 with addresses.http) or move them to another agent`,
      );
    }
  }

  const defaultQueryTimeMs = read.number('default_query_time');
  const maxQueryTimeMs = read.number('max_query_time');
  if (defaultQueryTimeMs <= 0) throw new ConfigError('default_query_time: must be positive');
  if (maxQueryTimeMs <= 0) throw new ConfigError('max_query_time: must be positive');

  return {
    dev: ctx.dev,
    server,
    bootstrap,
    bootstrapExpect,
    datacenter,
    primaryDatacenter: (read.optString('primary_datacenter') ?? datacenter).toLowerCase(),
    dataDir,
    nodeName,
    nodeId: nodeId?.toLowerCase() ?? null,
    clientAddr,
    addresses: {
      http: listenerAddr('http'),
      https: listenerAddr('https'),
      dns: listenerAddr('dns'),
    },
    bindAddr,
    advertiseAddr,
    advertiseAddrWan: read.optString('advertise_addr_wan') ?? advertiseAddr,
    ports: buildPorts(read),
    logLevel:
      LOG_LEVEL_ALIASES[read.string('log_level')] ??
      (read.string('log_level') as AgentConfig['logLevel']),
    logJson: read.bool('log_json'),
    logFile: read.optString('log_file'),
    nodeMeta: read.stringMap('node_meta'),
    defaultQueryTimeMs,
    maxQueryTimeMs,
    limits: {
      kvMaxValueSize: read.number('limits.kv_max_value_size'),
      txnMaxReqLen: read.number('limits.txn_max_req_len'),
      rpcMaxConnsPerClient: read.number('limits.rpc_max_conns_per_client'),
      rpcHandshakeTimeoutMs: read.number('limits.rpc_handshake_timeout'),
      httpsHandshakeTimeoutMs: read.number('limits.https_handshake_timeout'),
      httpMaxConnsPerClient: read.number('limits.http_max_conns_per_client'),
      httpReadTimeoutMs: read.number('consulate.http_read_timeout'),
    },
    tombstoneTtlMs: read.number('consulate.tombstone_ttl'),
    agentTimings: {
      antiEntropyIntervalMs: read.number('consulate.anti_entropy_interval'),
      reapIntervalMs: read.number('consulate.reap_interval'),
      minDeregisterCriticalMs: read.number('consulate.min_deregister_critical_after'),
    },
    prettyJson: ctx.dev,
    // A UI directory turns the UI on too, its files served instead of the built-in UI.
    ui: read.bool('ui_config.enabled') || read.optString('ui_config.dir') !== null,
    uiConfig: buildUiConfig(read),
    configSources: ctx.sources,
    services: read.objects('services'),
    checks: read.objects('checks'),
    watches: read.objects('watches'),
    templates: read.objects('templates'),
    domain: withTrailingDot(read.string('domain')),
    altDomain: mapNullable(read.optString('alt_domain'), withTrailingDot),
    recursors: read.strings('recursors'),
    dnsConfig: buildDnsConfig(read),
    retryJoin: read.strings('retry_join'),
    retryJoinWan: read.strings('retry_join_wan'),
    encrypt: validateEncrypt(read.optString('encrypt')),
    gossip: buildGossip(read, bindAddr),
    enableScriptChecks: read.bool('enable_script_checks'),
    enableLocalScriptChecks: read.bool('enable_local_script_checks'),
    disableRemoteExec: read.bool('disable_remote_exec'),
    sessionTtlMinMs: read.number('session_ttl_min'),
    coordinates: {
      disabled: read.bool('disable_coordinates'),
      syncIntervalMinMs: read.number('sync_coordinate_interval_min'),
      syncRateTarget: read.number('sync_coordinate_rate_target'),
    },
    checkUpdateIntervalMs: read.number('check_update_interval'),
    reconnectTimeoutMs: read.number('reconnect_timeout'),
    leaveOnTerminate: read.optBool('leave_on_terminate') ?? !server,
    skipLeaveOnInterrupt: read.optBool('skip_leave_on_interrupt') ?? server,
    autoReloadConfig: read.bool('auto_reload_config'),
    pidFile: read.optString('pid_file'),
    raftSnapshotThreshold: read.optNumber('raft_snapshot_threshold'),
    raftMultiplier: ctx.dev ? 1 : read.number('performance.raft_multiplier'),
    rpcHoldTimeoutMs: read.number('performance.rpc_hold_timeout'),
    autopilot: {
      cleanupDeadServers: read.bool('autopilot.cleanup_dead_servers'),
      lastContactThresholdMs: read.number('autopilot.last_contact_threshold'),
      maxTrailingLogs: read.number('autopilot.max_trailing_logs'),
      minQuorum: read.number('autopilot.min_quorum'),
      serverStabilizationTimeMs: read.number('autopilot.server_stabilization_time'),
    },
    raftTrailingLogs: read.optNumber('raft_trailing_logs'),
    httpConfig: buildHttpConfig(read),
    acl: buildAcl(read, dataDir),
    tls: buildTls(merged, read.number('ports.https'), ctx.describe),
    telemetry: buildTelemetry(read),
    jobs: buildJobs(read),
    esm: buildEsm(read),
    merged,
  };
}

/**
 * Consul's rules and warnings, in its order: bootstrap_expect = 1 becomes bootstrap mode; the
 * rest must agree with server mode, -dev and each other.
 */
function buildBootstrap(
  read: Reader,
  server: boolean,
  ctx: BuildContext,
): { bootstrap: boolean; bootstrapExpect: number } {
  let bootstrap = read.bool('bootstrap');
  let bootstrapExpect = read.number('bootstrap_expect');
  const rewritten = bootstrapExpect === 1;
  if (rewritten) {
    bootstrap = true;
    bootstrapExpect = 0;
    ctx.warn('BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
  }
  if (bootstrap && !server) throw new ConfigError("'bootstrap = true' requires 'server = true'");
  if (bootstrapExpect > 0 && !server) {
    throw new ConfigError("'bootstrap_expect > 0' requires 'server = true'");
  }
  if (bootstrapExpect > 0 && ctx.dev) {
    throw new ConfigError("'bootstrap_expect > 0' not allowed in dev mode");
  }
  if (bootstrapExpect > 0 && bootstrap) {
    throw new ConfigError("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
  }
  if (server && !ctx.dev && bootstrapExpect === 2) {
    ctx.warn(
      'bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    );
  }
  if (server && bootstrapExpect > 2 && bootstrapExpect % 2 === 0) {
    ctx.warn(
      'bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    );
  }
  // Consul's -dev bootstraps without setting `bootstrap`, so it does not warn; ours sets it.
  if (server && bootstrap && (!ctx.dev || rewritten)) {
    ctx.warn('bootstrap = true: do not enable unless necessary');
  }
  if (server && !ctx.dev && bootstrapExpect > 1) {
    ctx.warn(`bootstrap_expect > 0: expecting ${bootstrapExpect} servers`);
  }
  return { bootstrap, bootstrapExpect };
}

/** Consul's warning (agent/config/builder.go), word for word. */
const REMOTE_SCRIPT_CHECKS_WARNING =
  'using enable-script-checks without ACLs and without allow_write_http_from is DANGEROUS, use enable-local-script-checks instead, see https://www.hashicorp.com/blog/protecting-consul-from-rce-risk-in-specific-configurations/';

function warnAboutScriptChecks(read: Reader, warn: (message: string) => void): void {
  const exposed =
    read.bool('enable_script_checks') &&
    !read.bool('acl.enabled') &&
    read.strings('http_config.allow_write_http_from').length === 0;
  if (exposed) warn(REMOTE_SCRIPT_CHECKS_WARNING);
}

/** Consul's UIPathBuilder: the content path trimmed of slashes, then wrapped in one each side. */
function buildUiConfig(read: Reader): UiConfig {
  const written = read.optString('ui_config.content_path');
  const contentPath = written === null ? '/ui/' : `/${written.replace(/^\/+|\/+$/g, '')}/`;
  if (contentPath === '//' || contentPath.startsWith('/v1/')) {
    throw new ConfigError(
      `ui_config.content_path: ${JSON.stringify(written)} would hide the HTTP API; choose a path such as "/ui/"`,
    );
  }
  return { contentPath, dir: read.optString('ui_config.dir') };
}

function buildPorts(read: Reader): PortsConfig {
  return {
    http: read.number('ports.http'),
    https: read.number('ports.https'),
    dns: read.number('ports.dns'),
    grpc: read.number('ports.grpc'),
    grpcTls: read.number('ports.grpc_tls'),
    server: read.number('ports.server'),
    serfLan: read.number('ports.serf_lan'),
    serfWan: read.number('ports.serf_wan'),
  };
}

/** Consul's dns_config defaults (consul-api.md §11.2) under whatever the files set. */
function buildDnsConfig(read: Reader): DnsConfig {
  const num = (key: string, fallback: number): number =>
    read.optNumber(`dns_config.${key}`) ?? fallback;
  const flag = (key: string, fallback: boolean): boolean =>
    read.optBool(`dns_config.${key}`) ?? fallback;
  const serviceTtl = read.stringMap('dns_config.service_ttl');
  return {
    allowStale: flag('allow_stale', true),
    maxStaleMs: num('max_stale', 87_600 * 3_600_000),
    nodeTtlMs: num('node_ttl', 0),
    serviceTtlMs: Object.fromEntries(Object.entries(serviceTtl).map(([k, v]) => [k, Number(v)])),
    onlyPassing: flag('only_passing', false),
    enableTruncate: flag('enable_truncate', false),
    udpAnswerLimit: num('udp_answer_limit', 3),
    aRecordLimit: num('a_record_limit', 0),
    recursorTimeoutMs: num('recursor_timeout', 2000),
    recursorStrategy:
      read.optString('dns_config.recursor_strategy') === 'random' ? 'random' : 'sequential',
    disableCompression: flag('disable_compression', false),
    enableAdditionalNodeMetaTxt: flag('enable_additional_node_meta_txt', true),
    soa: {
      refresh: num('soa.refresh', 3600),
      retry: num('soa.retry', 600),
      expire: num('soa.expire', 86400),
      minTtl: num('soa.min_ttl', 0),
    },
  };
}

function buildHttpConfig(read: Reader): HttpConfig {
  return {
    responseHeaders: read.stringMap('http_config.response_headers'),
    blockEndpoints: read.strings('http_config.block_endpoints'),
    allowWriteHttpFrom: read.strings('http_config.allow_write_http_from'),
    maxHeaderBytes: read.optNumber('http_config.max_header_bytes') ?? 0,
  };
}

function buildTelemetry(read: Reader): TelemetryConfig {
  return {
    metricsPrefix: read.optString('telemetry.metrics_prefix') ?? 'consul',
    disableHostname: read.bool('telemetry.disable_hostname'),
    prometheusRetentionMs: read.optNumber('telemetry.prometheus_retention_time') ?? 0,
  };
}

function buildJobs(read: Reader): JobsConfig {
  const redis = read.optString('jobs.redis');
  if (redis !== null && !/^rediss?:\/\//.test(redis)) {
    throw new ConfigError(`jobs.redis: invalid value "${redis}" (expected redis://host:port/db)`);
  }
  return { redis, prefix: read.optString('jobs.prefix') ?? 'consulate' };
}

function buildEsm(read: Reader): EsmConfig {
  const enabled = read.bool('esm.enabled');
  if (enabled && read.optString('jobs.redis') === null) {
    throw new ConfigError('esm.enabled: external health checks run as BullMQ jobs: set jobs.redis');
  }
  const meta = read.stringMap('esm.external_node_meta');
  return {
    enabled,
    externalNodeMeta: Object.keys(meta).length > 0 ? meta : { 'external-node': 'true' },
    nodeProbeIntervalMs: read.optNumber('esm.node_probe_interval') ?? 10_000,
    nodeProbeTimeoutMs: read.optNumber('esm.node_probe_timeout') ?? 2_000,
    pingType: read.optString('esm.ping_type') === 'udp' ? 'udp' : 'tcp',
    pingPort: read.optNumber('esm.ping_port') ?? 7,
    syncIntervalMs: read.optNumber('esm.sync_interval') ?? 5_000,
    concurrency: read.optNumber('esm.concurrency') ?? 0,
  };
}

function buildAcl(read: Reader, dataDir: string | null): AclConfig {
  const enableTokenPersistence = read.bool('acl.enable_token_persistence');
  if (enableTokenPersistence && dataDir === null) {
    throw new ConfigError(
      'acl.enable_token_persistence = true needs a data_dir to keep the tokens in (acl-tokens.json)',
    );
  }
  return {
    enableTokenPersistence,
    enabled: read.bool('acl.enabled'),
    defaultPolicy: read.string('acl.default_policy') as AclConfig['defaultPolicy'],
    downPolicy: read.string('acl.down_policy'),
    tokens: read.stringMap('acl.tokens'),
    enableKeyListPolicy: read.bool('acl.enable_key_list_policy'),
  };
}

function buildGossip(read: Reader, bindAddr: string): GossipSettings {
  const tuning = (stanza: string): GossipTuning => ({
    gossipNodes: read.optNumber(`${stanza}.gossip_nodes`),
    gossipIntervalMs: read.optNumber(`${stanza}.gossip_interval`),
    probeIntervalMs: read.optNumber(`${stanza}.probe_interval`),
    probeTimeoutMs: read.optNumber(`${stanza}.probe_timeout`),
    retransmitMult: read.optNumber(`${stanza}.retransmit_mult`),
    suspicionMult: read.optNumber(`${stanza}.suspicion_mult`),
  });
  return {
    lanBind: read.optString('serf_lan') ?? bindAddr,
    wanBind: read.optString('serf_wan') ?? bindAddr,
    retryIntervalMs: read.number('retry_interval'),
    retryMax: read.number('retry_max'),
    retryIntervalWanMs: read.number('retry_interval_wan'),
    retryMaxWan: read.number('retry_max_wan'),
    rejoinAfterLeave: read.bool('rejoin_after_leave'),
    encryptVerifyIncoming: read.bool('encrypt_verify_incoming'),
    encryptVerifyOutgoing: read.bool('encrypt_verify_outgoing'),
    reconnectTimeoutWanMs: read.number('reconnect_timeout_wan'),
    lanTuning: tuning('gossip_lan'),
    wanTuning: tuning('gossip_wan'),
  };
}

function validateEncrypt(key: string | null): string | null {
  if (key === null) return null;
  const bytes = Buffer.from(key, 'base64');
  if (![16, 24, 32].includes(bytes.length) || bytes.toString('base64') !== key) {
    throw new ConfigError('encrypt: invalid key (expected base64 of 16, 24 or 32 bytes)');
  }
  return key;
}

/** Like Consul with bind_addr 0.0.0.0: advertise the first private IPv4, else loopback. */
function advertiseFor(bindAddr: string): string {
  if (bindAddr !== '0.0.0.0' && bindAddr !== '::') return bindAddr;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const addr of addrs ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address;
    }
  }
  return '127.0.0.1';
}

function withTrailingDot(domain: string): string {
  return domain.endsWith('.') ? domain : `${domain}.`;
}

function mapNullable<T, U>(value: T | null, f: (v: T) => U): U | null {
  return value === null ? null : f(value);
}

/** Typed access to dotted paths of the merged config; defaults guarantee required keys. */
class Reader {
  constructor(private readonly merged: ConfigObject) {}

  private get(path: string): unknown {
    return getPath(this.merged, path);
  }

  optString(path: string): string | null {
    const value = this.get(path);
    return typeof value === 'string' && value !== '' ? value : null;
  }

  string(path: string): string {
    const value = this.get(path);
    if (typeof value !== 'string') throw new ConfigError(`${path}: missing`);
    return value;
  }

  optBool(path: string): boolean | null {
    const value = this.get(path);
    return typeof value === 'boolean' ? value : null;
  }

  bool(path: string): boolean {
    return this.optBool(path) ?? false;
  }

  optNumber(path: string): number | null {
    const value = this.get(path);
    return typeof value === 'number' ? value : null;
  }

  number(path: string): number {
    const value = this.get(path);
    if (typeof value !== 'number') throw new ConfigError(`${path}: missing`);
    return value;
  }

  strings(path: string): string[] {
    const value = this.get(path);
    return Array.isArray(value) ? value.map(String) : [];
  }

  stringMap(path: string): Record<string, string> {
    const value = this.get(path);
    if (!isPlainObject(value)) return {};
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }

  objects(path: string): Record<string, unknown>[] {
    const value = this.get(path);
    return Array.isArray(value) ? value.filter(isPlainObject) : [];
  }
}
