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

/** Every service and check of `layers`, in load order; throws ConfigError on the first bad one. */
export function loadDefinitions(
  layers: readonly DefinitionLayer[],
  scriptChecksAllowed: (source: CheckSource) => boolean,
): { services: ConfiguredService[]; checks: ConfiguredCheck[] } {
  const options = { source: 'config' as const, scriptChecksAllowed };
  const services: ConfiguredService[] = [];
  const checks: ConfiguredCheck[] = [];
  for (const layer of layers) {
    listOf(layer.config.services).forEach((raw, i) => {
      const at = `services[${i}]`;
      const admitted = translate(layer.name, at, raw, () =>
        admitService(decodeServiceInput(raw, 'config', at), options),
      );
      services.push({ admitted, source: layer.name });
    });
    listOf(layer.config.checks).forEach((raw, i) => {
      const at = `checks[${i}]`;
      const admitted = translate(layer.name, at, raw, () =>
        admitCheck(decodeCheckInput(raw, 'config', at), options),
      );
      checks.push({ admitted, source: layer.name });
    });
  }
  return { services, checks };
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
