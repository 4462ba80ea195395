// Agent configuration: Go-style flags, JSON/HCL files and config dirs, merged in Consul's order
// (defaults → -dev defaults → files → -hcl → flags), validated into one typed AgentConfig.
export type {
  AgentConfig,
  AgentTimings,
  PortsConfig,
  LimitsConfig,
  HttpConfig,
  AclConfig,
  DnsConfig,
  GossipSettings,
  GossipTuning,
  EsmConfig,
  JobsConfig,
  TelemetryConfig,
  UiConfig,
  TlsConfig,
  TlsProtocolConfig,
  TlsVersion,
} from './types';
export { loadAgentConfig, parseAgentArgs, configPaths, type LoadedAgentConfig } from './load';
export type { ConfiguredCheck, ConfiguredService } from './service-definitions';
export { parseConfigText, formatOf, type ConfigFormat } from './sources';
export { AGENT_FLAGS } from './agent-flags';
export {
  parseFlags,
  parseGoBool,
  formatFlagUsage,
  FlagError,
  type FlagSpec,
  type FlagKind,
  type FlagValue,
  type ParsedFlags,
} from './flags';
export { parseDuration, formatDuration } from './duration';
export { ConfigError, type ConfigObject, type ConfigValue } from './normalize';
export { LOG_LEVELS } from './schema';
export { CONSUL_COMPAT_VERSION, CONSUL_COMPAT_BUILD } from './compat';
