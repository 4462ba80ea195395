// The agent's runtime configuration after defaults, files and flags were merged (src/config).
// Field names follow Consul's config keys in camelCase.

export interface PortsConfig {
  http: number;
  dns: number;
  server: number;
  serfLan: number;
  serfWan: number;
  grpc: number;
  https: number;
}

export interface LimitsConfig {
  kvMaxValueSize: number;
  txnMaxReqLen: number;
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
  /** Files that were read, in order, for error messages and reload. */
  configSources: string[];
  /** Raw service/check definitions, validated now and applied by the catalog work later. */
  services: Record<string, unknown>[];
  checks: Record<string, unknown>[];
}
