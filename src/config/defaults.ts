// Built-in defaults (Consul's), and what -dev layers on top. Both go through the same
// normalisation as a file, so every default is spelled and typed like a user's setting.

export const DEFAULT_CONFIG: Readonly<Record<string, unknown>> = {
  datacenter: 'dc1',
  domain: 'consul.',
  bind_addr: '0.0.0.0',
  client_addr: '127.0.0.1',
  server: false,
  bootstrap: false,
  bootstrap_expect: 0,
  ports: {
    http: 8500,
    https: -1,
    dns: 8600,
    grpc: -1,
    grpc_tls: -1,
    serf_lan: 8301,
    serf_wan: 8302,
    server: 8300,
  },
  log_level: 'info',
  log_json: false,
  default_query_time: '300s',
  max_query_time: '600s',
  limits: {
    kv_max_value_size: 524288,
    txn_max_req_len: 524288,
    http_max_conns_per_client: 200,
    rpc_max_conns_per_client: 100,
    rpc_handshake_timeout: '5s',
  },
  session_ttl_min: '10s',
  check_update_interval: '5m',
  reconnect_timeout: '72h',
  disable_remote_exec: true,
  disable_host_node_id: true,
  enable_script_checks: false,
  enable_local_script_checks: false,
  auto_reload_config: false,
  acl: { enabled: false, default_policy: 'allow', down_policy: 'extend-cache' },
  performance: { raft_multiplier: 5, rpc_hold_timeout: '7s' },
  autopilot: {
    cleanup_dead_servers: true,
    last_contact_threshold: '200ms',
    max_trailing_logs: 250,
    min_quorum: 0,
    server_stabilization_time: '10s',
  },
  consulate: {
    tombstone_ttl: '15m',
    anti_entropy_interval: '60s',
    reap_interval: '30s',
    min_deregister_critical_after: '1m',
    http_read_timeout: '30s',
  },
};

export const DEV_CONFIG: Readonly<Record<string, unknown>> = {
  server: true,
  bootstrap: true,
  bind_addr: '127.0.0.1',
  // As Consul's -dev: the web UI is on.
  ui_config: { enabled: true },
  log_level: 'debug',
  ports: { grpc: 8502, grpc_tls: 8503 },
};
