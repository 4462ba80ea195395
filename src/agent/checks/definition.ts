// What a health check is (Consul's CheckType/CheckDefinition, durations in milliseconds), which
// kind of runner it needs, and Consul's validation of it.

export type CheckStatus = 'passing' | 'warning' | 'critical';

export const CHECK_STATUSES: readonly CheckStatus[] = ['passing', 'warning', 'critical'];

/** The runner a check needs; Consul's `Type` field of a HealthCheck. */
export type CheckType = 'ttl' | 'http' | 'tcp' | 'udp' | 'grpc' | 'script' | 'alias';

/** Where a check came from: the HTTP API (remote) or an agent configuration file (local). */
export type CheckSource = 'api' | 'config';

/** What one run of a check concluded. */
export interface CheckResult {
  status: CheckStatus;
  output: string;
}

export interface CheckDefinition {
  id: string;
  name: string;
  serviceId?: string;
  notes?: string;
  /** Initial status; Consul's default is critical. */
  status?: CheckStatus;
  /** Milliseconds; 0 or absent = unset. */
  interval?: number;
  timeout?: number;
  ttl?: number;
  http?: string;
  method?: string;
  header?: Record<string, string[]>;
  body?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
  tcp?: string;
  udp?: string;
  /** `host:port` or `host:port/service`. */
  grpc?: string;
  grpcUseTls?: boolean;
  /** Script check: argv, run without a shell. */
  args?: string[];
  aliasService?: string;
  aliasNode?: string;
  /** Milliseconds; the agent reaps the service after this long critical (0 = never). */
  deregisterCriticalServiceAfter?: number;
  successBeforePassing?: number;
  failuresBeforeWarning?: number;
  failuresBeforeCritical?: number;
  /** Bytes of output kept; default 4096. */
  outputMaxSize?: number;
}

/** Consul's checks.MinInterval: shorter intervals are raised to it. */
export const MIN_CHECK_INTERVAL_MS = 1000;
/** Consul's checks.DefaultBufSize. */
export const DEFAULT_OUTPUT_MAX_SIZE = 4096;
/** Default timeouts: network checks 10s, scripts 30s (Consul's). */
export const DEFAULT_NETWORK_TIMEOUT_MS = 10_000;
export const DEFAULT_SCRIPT_TIMEOUT_MS = 30_000;

const INTERVAL_TYPES: ReadonlySet<CheckType> = new Set(['http', 'tcp', 'udp', 'grpc', 'script']);

/** True for the kinds that run periodically on the scheduler. */
export function isIntervalCheckType(type: CheckType): boolean {
  return INTERVAL_TYPES.has(type);
}

/**
 * The runner a definition selects, in Consul's precedence (grpc, http, ttl, tcp, udp, alias,
 * script); undefined when it names none.
 */
export function classifyCheck(def: CheckDefinition): CheckType | undefined {
  if (nonEmpty(def.grpc)) return 'grpc';
  if (nonEmpty(def.http)) return 'http';
  if ((def.ttl ?? 0) > 0) return 'ttl';
  if (nonEmpty(def.tcp)) return 'tcp';
  if (nonEmpty(def.udp)) return 'udp';
  if (nonEmpty(def.aliasService) || nonEmpty(def.aliasNode)) return 'alias';
  if (def.args !== undefined && def.args.length > 0) return 'script';
  return undefined;
}

export interface CheckValidationOptions {
  /** Where the definition came from; decides which script-check switch applies. Default 'api'. */
  source?: CheckSource;
  /** Whether script checks may be registered from `source`; default: never. */
  scriptChecksAllowed?: (source: CheckSource) => boolean;
}

export type CheckValidation =
  | { ok: true; check: CheckDefinition; type: CheckType; warnings: string[] }
  | { ok: false; error: string };

/**
 * Consul's `enable_script_checks` / `enable_local_script_checks`: the first allows both sources,
 * the second only checks from configuration files.
 */
export function scriptChecksPolicy(config: {
  enableScriptChecks: boolean;
  enableLocalScriptChecks: boolean;
}): (source: CheckSource) => boolean {
  return (source) =>
    config.enableScriptChecks || (source === 'config' && config.enableLocalScriptChecks);
}

/**
 * Consul's CheckType.Validate plus the agent's admission rules. On success returns the definition
 * normalised (interval raised to 1s, output size defaulted) and any warnings to log.
 */
export function validateCheckDefinition(
  def: CheckDefinition,
  options: CheckValidationOptions = {},
): CheckValidation {
  const invalid = (reason: string): CheckValidation => ({
    ok: false,
    error: `Invalid check: ${reason}`,
  });
  const interval = def.interval ?? 0;
  const ttl = def.ttl ?? 0;
  const type = classifyCheck(def);
  const isAlias = nonEmpty(def.aliasService) || nonEmpty(def.aliasNode);
  const intervalCheck =
    (def.args !== undefined && def.args.length > 0) ||
    nonEmpty(def.http) ||
    nonEmpty(def.tcp) ||
    nonEmpty(def.udp) ||
    nonEmpty(def.grpc);

  if (interval > 0 && ttl > 0) return invalid('Interval and TTL cannot both be specified');
  if (intervalCheck && interval <= 0)
    return invalid('Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks');
  if (intervalCheck && isAlias) return invalid('Interval cannot be set for Alias checks');
  if (isAlias && ttl > 0) return invalid('TTL must be not be set for Alias checks');
  if (!intervalCheck && !isAlias && ttl <= 0) return invalid('TTL must be > 0 for TTL checks');
  if ((def.outputMaxSize ?? 0) < 0) return invalid('MaxOutputMaxSize must be positive');
  if (type === undefined) return invalid('TTL must be > 0 for TTL checks');

  if (type === 'script') {
    const source = options.source ?? 'api';
    const allowed = options.scriptChecksAllowed?.(source) ?? false;
    if (!allowed) {
      return {
        ok: false,
        error:
          source === 'config'
            ? "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true"
            : "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
      };
    }
  }

  const warnings: string[] = [];
  const check: CheckDefinition = { ...def };
  if (isIntervalCheckType(type) && interval < MIN_CHECK_INTERVAL_MS) {
    warnings.push(
      `check ${def.id}: interval ${interval}ms is below the minimum, using ${MIN_CHECK_INTERVAL_MS}ms`,
    );
    check.interval = MIN_CHECK_INTERVAL_MS;
  }
  if (check.outputMaxSize === undefined || check.outputMaxSize < 1)
    check.outputMaxSize = DEFAULT_OUTPUT_MAX_SIZE;
  return { ok: true, check, type, warnings };
}

/** The output limit in effect for a definition. */
export function outputLimit(def: Pick<CheckDefinition, 'outputMaxSize'>): number {
  return positiveOr(def.outputMaxSize, DEFAULT_OUTPUT_MAX_SIZE);
}

/** `value` when set and positive, else `fallback` (Consul treats 0 as unset). */
export function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
