// Every config key the agent accepts, with its type. Unknown keys are errors, as in Consul.
// Keys are snake_case; files may spell them in any case.

export type KeySchema =
  | { type: 'string'; oneOf?: readonly string[] }
  | { type: 'bool' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'float' }
  | { type: 'port' }
  | { type: 'duration'; minMs?: number }
  | { type: 'string-list' }
  | { type: 'string-map' }
  | { type: 'duration-map' }
  | { type: 'object'; keys: Readonly<Record<string, KeySchema>> }
  /**
   * Service, check and watch definitions: validated shallowly here (objects carrying `required`),
   * fully by the work that applies them. `canonical` names the list key they are collected under.
   */
  | { type: 'definitions'; required: string; canonical: string; listKeys: readonly string[] };

const str: KeySchema = { type: 'string' };
const bool: KeySchema = { type: 'bool' };
const uint: KeySchema = { type: 'int', min: 0 };
const port: KeySchema = { type: 'port' };
const duration: KeySchema = { type: 'duration' };
const strings: KeySchema = { type: 'string-list' };
const stringMap: KeySchema = { type: 'string-map' };

function object(keys: Record<string, KeySchema>): KeySchema {
  return { type: 'object', keys };
}

const ACL_DEFAULT_POLICY: KeySchema = { type: 'string', oneOf: ['allow', 'deny'] };
const ACL_DOWN_POLICY: KeySchema = {
  type: 'string',
  oneOf: ['allow', 'deny', 'extend-cache', 'async-cache'],
};

/** The keys of every `tls` stanza; the deprecated top-level TLS keys carry the same names. */
const TLS_KEYS: Readonly<Record<string, KeySchema>> = {
  ca_file: str,
  ca_path: str,
  cert_file: str,
  key_file: str,
  tls_min_version: str,
  tls_cipher_suites: str,
  verify_incoming: bool,
  verify_outgoing: bool,
};

/** One `tls` stanza (Consul's tls.defaults / internal_rpc / https / grpc). */
function tlsStanza(extra: Record<string, KeySchema> = {}): KeySchema {
  return object({ ...TLS_KEYS, ...extra });
}

/** Lists of objects inside definitions; HCL one-element block lists elsewhere collapse to objects. */
/** gossip_lan / gossip_wan: memberlist's tuning knobs as Consul exposes them. */
const GOSSIP_TUNING: KeySchema = object({
  gossip_nodes: { type: 'int', min: 1 },
  gossip_interval: duration,
  probe_interval: duration,
  probe_timeout: duration,
  retransmit_mult: { type: 'int', min: 1 },
  suspicion_mult: { type: 'int', min: 1 },
});

const SERVICE_LIST_KEYS = ['checks', 'proxy.upstreams', 'connect.sidecar_service.checks'];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const CONFIG_SCHEMA: Readonly<Record<string, KeySchema>> = {
  datacenter: str,
  primary_datacenter: str,
  data_dir: str,
  node_name: str,
  node_id: str,
  server: bool,
  bootstrap: bool,
  bootstrap_expect: uint,
  bind_addr: str,
  advertise_addr: str,
  advertise_addr_wan: str,
  client_addr: str,
  addresses: object({ http: str, https: str, dns: str, grpc: str, grpc_tls: str }),
  ports: object({
    http: port,
    https: port,
    dns: port,
    grpc: port,
    grpc_tls: port,
    serf_lan: port,
    serf_wan: port,
    server: port,
    sidecar_min_port: port,
    sidecar_max_port: port,
    expose_min_port: port,
    expose_max_port: port,
  }),
  // Consul also takes ERR and WARNING (any case); build.ts maps them onto pino's names.
  log_level: { type: 'string', oneOf: [...LOG_LEVELS, 'err', 'warning'] },
  log_json: bool,
  log_file: str,
  node_meta: stringMap,
  ui: bool,
  ui_config: object({
    enabled: bool,
    dir: str,
    content_path: str,
    metrics_provider: str,
    dashboard_url_templates: stringMap,
  }),
  domain: str,
  alt_domain: str,
  recursors: strings,
  dns_config: object({
    allow_stale: bool,
    max_stale: duration,
    node_ttl: duration,
    service_ttl: { type: 'duration-map' },
    only_passing: bool,
    enable_truncate: bool,
    udp_answer_limit: uint,
    a_record_limit: uint,
    recursor_timeout: duration,
    recursor_strategy: { type: 'string', oneOf: ['sequential', 'random'] },
    disable_compression: bool,
    enable_additional_node_meta_txt: bool,
    use_cache: bool,
    cache_max_age: duration,
    prefer_namespace: bool,
    soa: object({ refresh: uint, retry: uint, expire: uint, min_ttl: uint }),
  }),
  limits: object({
    kv_max_value_size: { type: 'int', min: 1 },
    txn_max_req_len: { type: 'int', min: 1 },
    http_max_conns_per_client: uint,
    rpc_max_conns_per_client: uint,
    rpc_rate: { type: 'float' },
    rpc_max_burst: uint,
    rpc_handshake_timeout: duration,
    rpc_client_timeout: duration,
    https_handshake_timeout: duration,
  }),
  default_query_time: duration,
  max_query_time: duration,
  retry_join: strings,
  retry_interval: duration,
  retry_max: uint,
  start_join: strings,
  retry_join_wan: strings,
  retry_interval_wan: duration,
  retry_max_wan: uint,
  start_join_wan: strings,
  rejoin_after_leave: bool,
  encrypt: str,
  encrypt_verify_incoming: bool,
  encrypt_verify_outgoing: bool,
  serf_lan: str,
  serf_wan: str,
  gossip_lan: GOSSIP_TUNING,
  gossip_wan: GOSSIP_TUNING,
  acl: object({
    enabled: bool,
    default_policy: ACL_DEFAULT_POLICY,
    down_policy: ACL_DOWN_POLICY,
    token_ttl: duration,
    policy_ttl: duration,
    role_ttl: duration,
    enable_token_persistence: bool,
    enable_token_replication: bool,
    enable_key_list_policy: bool,
    tokens: object({
      initial_management: str,
      master: str,
      agent: str,
      agent_recovery: str,
      agent_master: str,
      default: str,
      replication: str,
      config_file_service_registration: str,
    }),
  }),
  // TLS and the features built on it: parsed so that unavailable.ts can refuse them by name.
  tls: object({
    defaults: tlsStanza(),
    internal_rpc: tlsStanza({ verify_server_hostname: bool }),
    https: tlsStanza(),
    grpc: tlsStanza({ use_auto_cert: bool }),
  }),
  auto_encrypt: object({ tls: bool, allow_tls: bool, dns_san: strings, ip_san: strings }),
  auto_config: object({
    enabled: bool,
    intro_token: str,
    intro_token_file: str,
    server_addresses: strings,
    dns_sans: strings,
    ip_sans: strings,
    authorization: object({
      enabled: bool,
      static: object({
        oidc_discovery_url: str,
        oidc_discovery_ca_cert: str,
        bound_issuer: str,
        bound_audiences: strings,
        claim_mappings: stringMap,
        list_claim_mappings: stringMap,
        jwt_validation_pub_keys: strings,
        jwks_url: str,
        jwks_ca_cert: str,
        jwt_supported_algs: strings,
        claim_assertions: strings,
        clock_skew_leeway: duration,
        expiration_leeway: duration,
        not_before_leeway: duration,
      }),
    }),
  }),
  // Deprecated keys Consul still accepts; deprecated.ts maps each onto its replacement.
  acl_datacenter: str,
  acl_master_token: str,
  acl_agent_master_token: str,
  acl_agent_token: str,
  acl_token: str,
  acl_replication_token: str,
  enable_acl_replication: bool,
  acl_default_policy: ACL_DEFAULT_POLICY,
  acl_down_policy: ACL_DOWN_POLICY,
  acl_ttl: duration,
  acl_enable_key_list_policy: bool,
  ...TLS_KEYS,
  tls_prefer_server_cipher_suites: bool,
  verify_incoming_rpc: bool,
  verify_incoming_https: bool,
  verify_server_hostname: bool,
  raft_boltdb: object({ no_freelist_sync: bool }),
  autopilot: object({
    cleanup_dead_servers: bool,
    last_contact_threshold: duration,
    max_trailing_logs: uint,
    min_quorum: uint,
    server_stabilization_time: duration,
  }),
  performance: object({
    raft_multiplier: { type: 'int', min: 1, max: 10 },
    rpc_hold_timeout: duration,
    leave_drain_time: duration,
  }),
  telemetry: object({
    prometheus_retention_time: duration,
    disable_hostname: bool,
    metrics_prefix: str,
    prefix_filter: strings,
    filter_default: bool,
    statsd_address: str,
    statsite_address: str,
    dogstatsd_addr: str,
    dogstatsd_tags: strings,
    disable_compat_1_9: bool,
  }),
  enable_script_checks: bool,
  enable_local_script_checks: bool,
  enable_debug: bool,
  disable_remote_exec: bool,
  disable_update_check: bool,
  check_update_interval: duration,
  http_config: object({
    response_headers: stringMap,
    block_endpoints: strings,
    allow_write_http_from: strings,
    use_cache: bool,
    max_header_bytes: uint,
  }),
  service: {
    type: 'definitions',
    required: 'name',
    canonical: 'services',
    listKeys: SERVICE_LIST_KEYS,
  },
  services: {
    type: 'definitions',
    required: 'name',
    canonical: 'services',
    listKeys: SERVICE_LIST_KEYS,
  },
  check: { type: 'definitions', required: 'name', canonical: 'checks', listKeys: [] },
  checks: { type: 'definitions', required: 'name', canonical: 'checks', listKeys: [] },
  watches: { type: 'definitions', required: 'type', canonical: 'watches', listKeys: [] },
  // Renderer resources run by the agent itself (consul-template's `template` block).
  template: { type: 'definitions', required: 'destination', canonical: 'templates', listKeys: [] },
  leave_on_terminate: bool,
  skip_leave_on_interrupt: bool,
  disable_host_node_id: bool,
  disable_keyring_file: bool,
  auto_reload_config: bool,
  reconnect_timeout: { type: 'duration', minMs: 8 * 3_600_000 },
  reconnect_timeout_wan: { type: 'duration', minMs: 8 * 3_600_000 },
  session_ttl_min: duration,
  disable_coordinates: bool,
  sync_coordinate_interval_min: duration,
  sync_coordinate_rate_target: { type: 'float' },
  pid_file: str,
  raft_protocol: { type: 'int', min: 3, max: 3 },
  raft_snapshot_threshold: uint,
  raft_snapshot_interval: duration,
  raft_trailing_logs: uint,
  // Consulate's own stanzas: BullMQ on Redis for jobs, and the external-service monitor.
  jobs: object({ redis: str, prefix: str }),
  esm: object({
    enabled: bool,
    external_node_meta: stringMap,
    node_probe_interval: { type: 'duration', minMs: 1000 },
    node_probe_timeout: duration,
    ping_type: { type: 'string', oneOf: ['tcp', 'udp'] },
    ping_port: port,
    sync_interval: { type: 'duration', minMs: 100 },
    concurrency: uint,
  }),
  /** Consulate's own knobs, kept apart from Consul's keys so a Consul file never collides. */
  consulate: object({
    tombstone_ttl: duration,
    // Anti-entropy full sync period (Consul: 1m for small clusters), the critical-service
    // reaper's period (30s) and the floor of deregister_critical_service_after (1m).
    anti_entropy_interval: duration,
    reap_interval: duration,
    min_deregister_critical_after: duration,
    // Time to receive a whole HTTP request (headers and body); 0 turns it off.
    http_read_timeout: { type: 'duration', minMs: 0 },
  }),
};
