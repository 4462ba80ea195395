// Service and check definitions of config files (`service`/`services`, `check`/`checks`),
// decoded with the agent's definition rules and validated fully at load time, so that a bad
// definition stops the agent (or fails a reload) with the file, key path and value named.
import {
  admitCheck,
  admitService,
  decodeCheckInput,
  decodeServiceInput,
  DefinitionDecodeError,
  DefinitionError,
  type AdmittedCheck,
  type AdmittedService,
  type CheckSource,
} from '../agent';
import { ConfigError, isPlainObject, type ConfigObject } from './normalize';

/** A service from a config file, with the file it came from. */
export interface ConfiguredService {
  admitted: AdmittedService;
  source: string;
}

export interface ConfiguredCheck {
  admitted: AdmittedCheck;
  source: string;
}

export interface DefinitionLayer {
  name: string;
  config: ConfigObject;
}

export interface LoadedDefinitions {
  services: ConfiguredService[];
  checks: ConfiguredCheck[];
  /** One line per ID defined more than once, naming both places. */
  warnings: string[];
}

/**
 * Every service and check of `layers`, in load order; throws ConfigError on the first bad one.
 * An ID defined twice keeps the later definition, as Consul's agent does by registering them
 * in turn; a service also keeps the earlier definition's checks whose IDs the later one does
 * not reuse (Consul registers config services without replacing existing checks).
 */
export function loadDefinitions(
  layers: readonly DefinitionLayer[],
  scriptChecksAllowed: (source: CheckSource) => boolean,
): LoadedDefinitions {
  const options = { source: 'config' as const, scriptChecksAllowed };
  const services = new Map<string, ConfiguredService & { at: string }>();
  const checks = new Map<string, ConfiguredCheck & { at: string }>();
  const warnings: string[] = [];
  for (const layer of layers) {
    listOf(layer.config.services).forEach((raw, i) => {
      const at = `services[${i}]`;
      const admitted = translate(layer.name, at, raw, () =>
        admitService(decodeServiceInput(raw, 'config', at), options),
      );
      const id = admitted.service.id;
      const earlier = services.get(id);
      const next = { admitted, source: layer.name, at };
      if (earlier !== undefined) {
        const kept = inheritedChecks(earlier.admitted, admitted);
        warnings.push(duplicateWarning('service', id, earlier, next, kept));
        next.admitted = { ...admitted, checks: [...admitted.checks, ...kept] };
        services.delete(id);
      }
      services.set(id, next);
    });
    listOf(layer.config.checks).forEach((raw, i) => {
      const at = `checks[${i}]`;
      const admitted = translate(layer.name, at, raw, () =>
        admitCheck(decodeCheckInput(raw, 'config', at), options),
      );
      const id = admitted.definition.id;
      const earlier = checks.get(id);
      const next = { admitted, source: layer.name, at };
      if (earlier !== undefined) {
        warnings.push(duplicateWarning('check', id, earlier, next, []));
        checks.delete(id);
      }
      checks.set(id, next);
    });
  }
  return {
    services: [...services.values()].map(({ admitted, source }) => ({ admitted, source })),
    checks: [...checks.values()].map(({ admitted, source }) => ({ admitted, source })),
    warnings,
  };
}

/** The earlier definition's checks that stay registered beside the later definition's. */
function inheritedChecks(earlier: AdmittedService, later: AdmittedService): AdmittedCheck[] {
  const reused = new Set(later.checks.map((check) => check.definition.id));
  return earlier.checks.filter((check) => !reused.has(check.definition.id));
}

function duplicateWarning(
  kind: 'service' | 'check',
  id: string,
  earlier: { source: string; at: string },
  later: { source: string; at: string },
  kept: readonly AdmittedCheck[],
): string {
  const keptNote =
    kept.length === 0
      ? ''
      : `; the checks ${kept.map((c) => JSON.stringify(c.definition.id)).join(', ')} of the earlier definition stay, as in Consul`;
  return (
    `${kind} ID ${JSON.stringify(id)} is defined twice: in ${earlier.source} (${earlier.at}) ` +
    `and in ${later.source} (${later.at}); the later definition replaces the earlier one${keptNote}`
  );
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value.filter((item) => isPlainObject(item)) : [];
}

function translate<T>(source: string, at: string, raw: unknown, admit: () => T): T {
  try {
    return admit();
  } catch (err) {
    if (err instanceof DefinitionDecodeError) {
      if (err.reason === 'unknown-field') {
        throw new ConfigError(`failed to parse ${source}: invalid config key ${err.path}`);
      }
      throw new ConfigError(
        `failed to parse ${source}: ${err.path}: invalid value ${show(err.value)} (${err.detail})`,
      );
    }
    if (err instanceof DefinitionError) {
      throw new ConfigError(`${source}: ${at} (${describe(raw)}): ${err.message}`);
    }
    throw err;
  }
}

/** Names the definition in an error: its id or name. */
function describe(raw: unknown): string {
  if (!isPlainObject(raw)) return 'definition';
  for (const [key, value] of Object.entries(raw)) {
    if (['id', 'name'].includes(key.toLowerCase()) && typeof value === 'string') {
      return `${key.toLowerCase()} ${JSON.stringify(value)}`;
    }
  }
  return 'definition';
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
