// Telemetry: one process-wide registry (`metrics`) behind /v1/agent/metrics, in Consul's JSON
// shape and, with prometheus_retention_time, Prometheus' text format; runtime gauges; the hook
// the membership layer calls for serf.member.* events.
export {
  DEFAULT_TELEMETRY,
  metrics,
  recordMemberEvent,
  Telemetry,
  type MemberEvent,
  type TelemetrySettings,
} from './telemetry';
export {
  goTime,
  type GaugeJson,
  type MetricLabels,
  type MetricsJson,
  type SampleJson,
} from './interval-sink';
export { prometheusName } from './prometheus-sink';
export { startRuntimeCollector, type RuntimeCollector } from './runtime';
export { LogHub, MONITOR_BUFFER_LINES, type LogSubscription } from './log-hub';
export {
  formatJsonRecord,
  formatTextLine,
  formatTextRecord,
  PINO_LEVELS,
  type LogLevelName,
  type LogRecord,
} from './log-lines';
