// The agent's health checks: definitions and their validation, one runner per check type, the
// threshold rules, and the scheduler that runs thousands of them off one timer.
export {
  CHECK_STATUSES,
  DEFAULT_NETWORK_TIMEOUT_MS,
  DEFAULT_OUTPUT_MAX_SIZE,
  DEFAULT_SCRIPT_TIMEOUT_MS,
  MIN_CHECK_INTERVAL_MS,
  classifyCheck,
  isIntervalCheckType,
  outputLimit,
  scriptChecksPolicy,
  validateCheckDefinition,
  type CheckDefinition,
  type CheckResult,
  type CheckSource,
  type CheckStatus,
  type CheckType,
  type CheckValidation,
  type CheckValidationOptions,
} from './definition';
export { StatusHandler, type StatusThresholds } from './status-handler';
export { runHttpCheck, HTTP_CHECK_USER_AGENT, type HttpCheckOptions } from './http-check';
export { runTcpCheck, type TcpCheckOptions } from './tcp-check';
export { runUdpCheck, type UdpCheckOptions } from './udp-check';
export { runGrpcCheck, type GrpcCheckOptions } from './grpc-check';
export { runScriptCheck, type ScriptCheckOptions } from './script-check';
export { TtlCheck } from './ttl-check';
export { AliasCheck, aliasHealth, type AliasSource, type AliasedCheck } from './alias-check';
export { createProbe, type Probe } from './probe';
export { truncateTtlOutput } from './output';
export { realClock, ManualClock, type Clock, type TimerHandle } from './clock';
export type { LatenessSummary } from './lateness';
export {
  CheckScheduler,
  type CheckResultListener,
  type CheckSchedulerOptions,
  type CheckState,
  type SchedulerStats,
} from './scheduler';
