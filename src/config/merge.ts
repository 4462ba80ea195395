// Consul's merge rule: later scalars replace earlier ones, lists append, objects merge by key.
import { isPlainObject, type ConfigObject, type ConfigValue } from './normalize';

export function mergeConfigs(sources: readonly ConfigObject[]): ConfigObject {
  return sources.reduce<ConfigObject>((merged, source) => mergeObject(merged, source), {});
}

function mergeObject(base: ConfigObject, overlay: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    out[key] = Object.hasOwn(out, key) ? mergeValue(out[key], value) : value;
  }
  return out;
}

function mergeValue(base: ConfigValue, overlay: ConfigValue): ConfigValue {
  if (Array.isArray(base) && Array.isArray(overlay)) return [...base, ...overlay];
  if (isPlainObject(base) && isPlainObject(overlay)) {
    return mergeObject(base as ConfigObject, overlay as ConfigObject);
  }
  return overlay;
}
