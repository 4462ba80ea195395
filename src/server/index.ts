// What only servers do: run Raft and the state store, leader duties, and serve the HTTP API.
export type { AgentCore, AgentRuntime } from './runtime';
export { AgentBase, reloadedConfig, runAll, type AgentBaseOptions } from './agent-base';
export {
  startAgentEsm,
  startAgentReaders,
  startAgentTemplates,
  startServerAgent,
  type ServerAgent,
  type ServerAgentOptions,
} from './agent';
export { TombstoneGc, type TombstoneGcOptions } from './tombstone-gc';
export { NoPathError, RemoteDatacenters } from './datacenters';
export { ConfigWatcher } from './config-watch';
export { rpcTlsFor } from './tls';
export { LeaderForwarder, RPC_HOLD_TIMEOUT_MS } from './forward';
export { serveRaftRpc } from './rpc-handlers';
export { RaftApply, RaftReadIndex, StatusLeader, StatusPeers } from './raft-rpc';
export { ExpectBootstrapper, type ExpectBootstrapOptions } from './bootstrap-expect';
export {
  Autopilot,
  DEFAULT_AUTOPILOT,
  type AutopilotConfig,
  type AutopilotHealth,
  type ServerHealth,
} from './autopilot';
export type { KnownServer, ServerDiscovery, ServerStatus } from './servers';
export {
  PeerNotFoundError,
  RaftOperator,
  type RaftConfigurationView,
  type RaftServerEntry,
} from './operator';
export { AgentMembership, MEMBER_STATUS_CODES, asServer, type Pool } from './membership';
export { MemberReconciler, SERF_CHECK_ID } from './member-reconcile';
export {
  UserEvents,
  UserEventError,
  USER_EVENT_PREFIX,
  encodeUserEvent,
  decodeUserEvent,
  uuidToUint64,
  type UserEvent,
  type FireRequest,
} from './user-events';
export { AutopilotOperator, OperatorServerHealth, type HealthReport } from './autopilot-operator';
export { startClusterOperations, type ClusterOperations } from './cluster-ops';
export {
  RESTORE_CHUNK_BYTES,
  SnapshotService,
  type SavedSnapshot,
  type SnapshotServiceOptions,
} from './snapshot';
export {
  archiveMeta,
  readArchive,
  SnapshotArchiveError,
  writeArchive,
  type ArchiveContents,
  type ArchiveMeta,
} from './snapshot-archive';
export {
  SESSION_TTL_MAX_MS,
  SESSION_TTL_MIN_MS,
  SessionRequestError,
  SessionService,
  sessionTtlMs,
} from './sessions';
export { SESSION_TTL_MULTIPLIER } from './session-timers';
export {
  CatalogNodeView,
  CatalogSync,
  DnsQuery,
  HttpForward,
  type ApiReply,
  type ApiRequest,
} from './agent-rpc';
export {
  PreparedQueryRequestError,
  PreparedQueryService,
  type ExecuteRequest,
  type PreparedQueryServiceOptions,
} from './prepared-queries';
export {
  failover,
  failoverDatacenters,
  NO_REMOTE_DATACENTERS,
  selectInstances,
  sortNearSource,
  type NearSorter,
  type PreparedQueryExecution,
  type RemoteExecuteOptions,
  type RemoteQueryExecutor,
} from './prepared-query-execute';
export { preparedQueryProblem, REDACTED_TOKEN } from './prepared-query-validate';
export {
  PreparedQueryExecuteRemote,
  serveExecuteRemote,
  type ExecuteRemoteArgs,
} from './prepared-query-rpc';
export { lanCoordinateSync, type ServerCoordinates } from './coordinates';
