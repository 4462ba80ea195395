// The agent's runtime configuration after defaults, files and flags were merged (src/config).
// Field names follow Consul's config keys in camelCase.
import type { ConfiguredCheck, ConfiguredService } from './service-definitions';

export interface PortsConfig {
  http: number;
  dns: number;
  server: number;
  serfLan: number;
  serfWan: number;
  grpc: number;
  grpcTls: number;
  https: number;
}

export interface LimitsConfig {
  kvMaxValueSize: number;
  txnMaxReqLen: number;
  /** Connections one source IP may hold open on the server port (Consul: 100). */
  rpcMaxConnsPerClient: number;
  /** Time a new server-port connection has to name its protocol (Consul: 5 s). */
  rpcHandshakeTimeoutMs: number;
  /** Time an HTTPS client has to complete its TLS handshake (Consul: 5 s). */
  httpsHandshakeTimeoutMs: number;
  /** Concurrent HTTP connections per client IP (limits.http_max_conns_per_client); 0: no limit. */
  httpMaxConnsPerClient: number;
  /**
   * Time to receive a whole HTTP request, headers and body, in ms (consulate.http_read_timeout;
   * Consul has no such key); waiting for the answer (blocking queries) does not count.
   */
  httpReadTimeoutMs: number;
}

/** The agent's `autopilot {}` stanza (seeds the cluster's autopilot configuration). */
export interface AutopilotSettings {
  cleanupDeadServers: boolean;
  lastContactThresholdMs: number;
  maxTrailingLogs: number;
  minQuorum: number;
  serverStabilizationTimeMs: number;
}

export interface AgentConfig {
  dev: boolean;
  server: boolean;
  bootstrap: boolean;
  bootstrapExpect: number;
  datacenter: string;
  primaryDatacenter: string;
  /** Null in -dev without -data-dir: Raft and state live in memory. */
  dataDir: string | null;
  nodeName: string;
  nodeId: string;
  /** Addresses the HTTP/DNS/gRPC listeners bind to (client_addr, space-separated list allowed). */
  clientAddr: string[];
  /** addresses.http / https / dns: where that listener binds instead of client_addr. */
  addresses: { http: string[] | null; https: string[] | null; dns: string[] | null };
  bindAddr: string;
  advertiseAddr: string;
  ports: PortsConfig;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  logJson: boolean;
  nodeMeta: Record<string, string>;
  /** Blocking query defaults, in milliseconds. */
  defaultQueryTimeMs: number;
  maxQueryTimeMs: number;
  limits: LimitsConfig;
  /** Tombstones are reaped after this long, in milliseconds (Consul: 15m). */
  tombstoneTtlMs: number;
  /** Indent JSON responses (Consul does it in -dev). */
  prettyJson: boolean;
  ui: boolean;
  /** ui_config: where the UI is served (Consul's normalised content_path) and from which files. */
  uiConfig: UiConfig;
  /** Files that were read, in order, for error messages and reload. */
  configSources: string[];
  /** Raw service/check definitions as merged (snake_case or CamelCase keys, as written). */
  services: Record<string, unknown>[];
  checks: Record<string, unknown>[];
  /** The same definitions fully validated, each with the file it came from. */
  serviceDefinitions: ConfiguredService[];
  checkDefinitions: ConfiguredCheck[];
  /** Agent timings: anti-entropy full sync, critical-service reaper, its minimum timeout (ms). */
  agentTimings: AgentTimings;
  /** Watch specs (consul-api.md §12.3), validated shallowly (each has a `type`). */
  watches: Record<string, unknown>[];
  /** `template` blocks: renderer resources the agent renders from its own API (src/render). */
  templates: Record<string, unknown>[];
  advertiseAddrWan: string;
  domain: string;
  altDomain: string | null;
  recursors: string[];
  /** dns_config (consul-api.md §11.2); durations in milliseconds. */
  dnsConfig: DnsConfig;
  /** Gossip join addresses (-retry-join / -join, start_join mapped), LAN and WAN. */
  retryJoin: string[];
  retryJoinWan: string[];
  /** Base64 gossip key, or null. */
  encrypt: string | null;
  gossip: GossipSettings;
  enableScriptChecks: boolean;
  enableLocalScriptChecks: boolean;
  disableRemoteExec: boolean;
  sessionTtlMinMs: number;
  /** Network coordinates: disable_coordinates, sync_coordinate_interval_min / _rate_target. */
  coordinates: { disabled: boolean; syncIntervalMinMs: number; syncRateTarget: number };
  checkUpdateIntervalMs: number;
  reconnectTimeoutMs: number;
  leaveOnTerminate: boolean;
  skipLeaveOnInterrupt: boolean;
  autoReloadConfig: boolean;
  pidFile: string | null;
  logFile: string | null;
  /** Raft knobs (Consul's raft_snapshot_threshold / raft_trailing_logs); null = Raft's default. */
  raftSnapshotThreshold: number | null;
  /** performance.raft_multiplier: Raft's timeouts are Consul's 1 s bases times this (-dev: 1). */
  raftMultiplier: number;
  /** How long a request waits for a leader before `No cluster leader` (Consul: 7 s). */
  rpcHoldTimeoutMs: number;
  autopilot: AutopilotSettings;
  raftTrailingLogs: number | null;
  httpConfig: HttpConfig;
  acl: AclConfig;
  /** The `tls` stanza (and the older top-level keys): HTTPS and the server port's RPC and Raft. */
  tls: TlsConfig;
  telemetry: TelemetryConfig;
  /** `jobs {}`: BullMQ on Redis when `redis` is set; the in-process queue otherwise. */
  jobs: JobsConfig;
  /** `esm {}`: health of external nodes, run as BullMQ jobs (needs jobs.redis). */
  esm: EsmConfig;
  /**
   * The whole merged configuration in canonical form (snake_case keys, durations in ms), for
   * areas whose typed fields are not written yet (dns_config, telemetry, performance, ...).
   */
  merged: Readonly<Record<string, unknown>>;
}

/** The gossip pools' settings (serf_lan/serf_wan binds, join retries, encryption checks, tuning). */
export interface GossipSettings {
  /** Bind address of the LAN pool (serf_lan, -serf-lan-bind; default bind_addr). */
  lanBind: string;
  /** Bind address of the WAN pool (serf_wan, -serf-wan-bind; default bind_addr). */
  wanBind: string;
  retryIntervalMs: number;
  /** Join attempts before the agent gives up and exits (0: forever). */
  retryMax: number;
  retryIntervalWanMs: number;
  retryMaxWan: number;
  rejoinAfterLeave: boolean;
  encryptVerifyIncoming: boolean;
  encryptVerifyOutgoing: boolean;
  reconnectTimeoutWanMs: number;
  lanTuning: GossipTuning;
  wanTuning: GossipTuning;
}

/** memberlist knobs set by gossip_lan / gossip_wan; null keeps memberlist's default for the pool. */
export interface GossipTuning {
  gossipNodes: number | null;
  gossipIntervalMs: number | null;
  probeIntervalMs: number | null;
  probeTimeoutMs: number | null;
  retransmitMult: number | null;
  suspicionMult: number | null;
}

export interface AgentTimings {
  antiEntropyIntervalMs: number;
  reapIntervalMs: number;
  minDeregisterCriticalMs: number;
}

export interface HttpConfig {
  responseHeaders: Record<string, string>;
  blockEndpoints: string[];
  allowWriteHttpFrom: string[];
  /** Request line plus headers, in bytes (http_config.max_header_bytes; Go's 1 MiB when 0). */
  maxHeaderBytes: number;
}

export interface AclConfig {
  enabled: boolean;
  defaultPolicy: 'allow' | 'deny';
  downPolicy: string;
  tokens: Record<string, string>;
  /** KV listings need `list` on the prefix (and are still filtered by `read`). */
  enableKeyListPolicy: boolean;
  /** Tokens set through PUT /v1/agent/token are kept in <data_dir>/acl-tokens.json. */
  enableTokenPersistence: boolean;
}

export interface DnsConfig {
  allowStale: boolean;
  maxStaleMs: number;
  nodeTtlMs: number;
  /** Service name, `prefix*` or `*` → TTL in milliseconds. */
  serviceTtlMs: Record<string, number>;
  onlyPassing: boolean;
  enableTruncate: boolean;
  udpAnswerLimit: number;
  /** 0 = unlimited. */
  aRecordLimit: number;
  recursorTimeoutMs: number;
  recursorStrategy: 'sequential' | 'random';
  disableCompression: boolean;
  enableAdditionalNodeMetaTxt: boolean;
  /** Seconds, as Consul's dns_config.soa. */
  soa: { refresh: number; retry: number; expire: number; minTtl: number };
}

export interface TelemetryConfig {
  metricsPrefix: string;
  disableHostname: boolean;
  /** 0 turns the Prometheus format off, as Consul. */
  prometheusRetentionMs: number;
}

export interface JobsConfig {
  /** redis://host:port/db, or null for the in-process queue. */
  redis: string | null;
  /** Key prefix of every BullMQ queue (default `consulate`). */
  prefix: string;
}

export interface EsmConfig {
  enabled: boolean;
  /** Node meta that marks an external node (consul-esm: external-node = "true"). */
  externalNodeMeta: Record<string, string>;
  nodeProbeIntervalMs: number;
  nodeProbeTimeoutMs: number;
  /** How the node probe reaches the node: a TCP connect or a UDP datagram to ping_port. */
  pingType: 'tcp' | 'udp';
  pingPort: number;
  /** Pause after a failed catalog read, and the period of the Redis self-check. */
  syncIntervalMs: number;
  /** Checks the agent itself runs at once (0: it only schedules; `consulate esm` workers run them). */
  concurrency: number;
}

export interface UiConfig {
  /** URL path the UI lives under, with a leading and a trailing slash (Consul: /ui/). */
  contentPath: string;
  /** ui_config.dir: a directory of UI files served instead of the built-in UI, or null. */
  dir: string | null;
}

/** Node's names of the TLS versions (tls.*.tls_min_version). */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** One protocol's TLS settings, tls.defaults merged in, with the files already read (PEM text). */
export interface TlsProtocolConfig {
  /** Every CA certificate file (ca_file, or each file under ca_path). */
  ca: string[];
  /** This agent's certificate and key, or null when none is configured. */
  cert: string | null;
  key: string | null;
  /** Peers must present a certificate signed by one of `ca` (and plain text is refused). */
  verifyIncoming: boolean;
  /** Connections this agent makes use TLS and check the peer's certificate against `ca`. */
  verifyOutgoing: boolean;
  minVersion: TlsVersion;
  /** OpenSSL cipher list from tls_cipher_suites, or null for Node's default. */
  ciphers: string | null;
}

export interface TlsConfig {
  https: TlsProtocolConfig;
  internalRpc: TlsProtocolConfig & {
    /** Outgoing connections check the peer is `server.<datacenter>.<domain>`. */
    verifyServerHostname: boolean;
  };
}
