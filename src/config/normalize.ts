// Turns one parsed source (JSON object, HCL document, flags) into canonical config: snake_case
// keys from the schema, typed values (durations in ms), HCL's block lists collapsed to objects.
import { parseDuration } from './duration';
import { parseGoBool } from './flags';
import { CONFIG_SCHEMA, type KeySchema } from './schema';

export type ConfigValue = string | number | boolean | ConfigValue[] | ConfigObject;
export interface ConfigObject {
  [key: string]: ConfigValue;
}

/** A configuration error; the message names the source, key path and offending value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Raised inside normalisation; the loader prefixes it with the source's name. */
class KeyError extends Error {}

export function normalizeSource(parsed: unknown, source: string): ConfigObject {
  if (!isPlainObject(parsed)) {
    throw new ConfigError(`failed to parse ${source}: the configuration must be an object`);
  }
  try {
    return normalizeObject(parsed, CONFIG_SCHEMA, '');
  } catch (err) {
    if (err instanceof KeyError) throw new ConfigError(`failed to parse ${source}: ${err.message}`);
    throw err;
  }
}

function normalizeObject(
  input: Record<string, unknown>,
  keys: Readonly<Record<string, KeySchema>>,
  prefix: string,
): ConfigObject {
  const out: ConfigObject = {};
  for (const [rawKey, rawValue] of Object.entries(input)) {
    const path = prefix + rawKey;
    const key = rawKey.toLowerCase();
    const schema = Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (schema === undefined) throw new KeyError(`invalid config key ${path}`);
    if (rawValue === null || rawValue === undefined) continue;
    if (schema.type === 'definitions') {
      const list = out[schema.canonical];
      const defs = normalizeDefinitions(rawValue, schema.required, schema.listKeys, path);
      out[schema.canonical] = Array.isArray(list) ? [...list, ...defs] : defs;
      continue;
    }
    const value = normalizeValue(rawValue, schema, path);
    const existing = out[key];
    out[key] =
      existing !== undefined && isPlainObject(existing) && isPlainObject(value)
        ? { ...existing, ...value }
        : value;
  }
  return out;
}

function normalizeValue(raw: unknown, schema: KeySchema, path: string): ConfigValue {
  switch (schema.type) {
    case 'string':
      return normalizeString(raw, schema.oneOf, path);
    case 'bool':
      return normalizeBool(raw, path);
    case 'int':
      return normalizeInt(raw, path, schema.min, schema.max);
    case 'float': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new KeyError(`${path}: invalid number ${quote(raw)}`);
      }
      return value;
    }
    case 'port': {
      const port = toInteger(raw);
      if (port === null || port < -1 || port > 65535) {
        throw new KeyError(`${path}: invalid port ${quote(raw)}`);
      }
      return port;
    }
    case 'duration':
      return normalizeDuration(raw, path, schema.minMs);
    case 'string-list': {
      const list = Array.isArray(raw) ? raw : [raw];
      return list.map((item, i) => normalizeString(item, undefined, `${path}[${i}]`));
    }
    case 'string-map':
      return mapEntries(raw, path, (value, entryPath) =>
        normalizeString(value, undefined, entryPath),
      );
    case 'duration-map':
      return mapEntries(raw, path, (value, entryPath) => normalizeDuration(value, entryPath));
    case 'object': {
      const blocks = Array.isArray(raw) ? raw : [raw];
      const merged: ConfigObject = {};
      for (const block of blocks) {
        if (!isPlainObject(block))
          throw new KeyError(`${path}: expected an object, got ${quote(raw)}`);
        Object.assign(merged, normalizeObject(block, schema.keys, `${path}.`));
      }
      return merged;
    }
    case 'definitions':
      return normalizeDefinitions(raw, schema.required, schema.listKeys, path);
  }
}

function normalizeString(raw: unknown, oneOf: readonly string[] | undefined, path: string): string {
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new KeyError(`${path}: expected a string, got ${quote(raw)}`);
  }
  const value = String(raw);
  if (oneOf !== undefined && !oneOf.includes(value.toLowerCase())) {
    throw new KeyError(`${path}: invalid value ${quote(raw)} (one of ${oneOf.join(', ')})`);
  }
  return oneOf === undefined ? value : value.toLowerCase();
}

function normalizeBool(raw: unknown, path: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const parsed = parseGoBool(raw);
    if (parsed !== null) return parsed;
  }
  if (raw === 0 || raw === 1) return raw === 1;
  throw new KeyError(`${path}: invalid bool ${quote(raw)}`);
}

function normalizeInt(raw: unknown, path: string, min?: number, max?: number): number {
  const value = toInteger(raw);
  if (value === null) throw new KeyError(`${path}: invalid integer ${quote(raw)}`);
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = max === undefined ? `>= ${min}` : `${min ?? '-inf'}..${max}`;
    throw new KeyError(`${path}: ${value} out of range (${range})`);
  }
  return value;
}

function normalizeDuration(raw: unknown, path: string, minMs?: number): number {
  let ms: number;
  if (raw === 0) {
    ms = 0;
  } else if (typeof raw === 'string') {
    try {
      ms = parseDuration(raw);
    } catch {
      throw new KeyError(`${path}: invalid duration ${quote(raw)}`);
    }
  } else {
    throw new KeyError(`${path}: invalid duration ${quote(raw)}`);
  }
  if (minMs !== undefined && ms < minMs) {
    throw new KeyError(`${path}: ${String(raw)} is below the minimum of ${minMs / 3_600_000}h`);
  }
  return ms;
}

function mapEntries(
  raw: unknown,
  path: string,
  convert: (value: unknown, entryPath: string) => ConfigValue,
): ConfigObject {
  const blocks = Array.isArray(raw) ? raw : [raw];
  const out: ConfigObject = {};
  for (const block of blocks) {
    if (!isPlainObject(block)) throw new KeyError(`${path}: expected a map, got ${quote(raw)}`);
    for (const [key, value] of Object.entries(block)) out[key] = convert(value, `${path}.${key}`);
  }
  return out;
}

/**
 * Definitions keep their keys as written (the catalog work translates them); only HCL's
 * one-element block lists are collapsed, except under keys that really are lists.
 */
function normalizeDefinitions(
  raw: unknown,
  required: string,
  listKeys: readonly string[],
  path: string,
): ConfigObject[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (!isPlainObject(item))
      throw new KeyError(`${itemPath}: expected an object, got ${quote(item)}`);
    const definition = collapseBlocks(item, listKeys, '', itemPath);
    const hasRequired = Object.entries(definition).some(
      ([key, value]) => key.toLowerCase() === required && typeof value === 'string' && value !== '',
    );
    if (!hasRequired) throw new KeyError(`${itemPath}: missing ${required}`);
    return definition;
  });
}

function collapseBlocks(
  input: Record<string, unknown>,
  listKeys: readonly string[],
  relative: string,
  path: string,
): ConfigObject {
  const out: ConfigObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined) continue;
    const rel = relative + key.toLowerCase();
    out[key] = collapseValue(value, listKeys, rel, `${path}.${key}`);
  }
  return out;
}

function collapseValue(
  value: unknown,
  listKeys: readonly string[],
  rel: string,
  path: string,
): ConfigValue {
  if (isPlainObject(value)) return collapseBlocks(value, listKeys, `${rel}.`, path);
  if (Array.isArray(value)) {
    const isBlockList = value.length > 0 && value.every(isPlainObject);
    if (isBlockList && !listKeys.includes(rel)) {
      if (value.length > 1) throw new KeyError(`${path}: expected one block, got ${value.length}`);
      return collapseBlocks(value[0] as Record<string, unknown>, listKeys, `${rel}.`, path);
    }
    return value.map((item, i) => collapseValue(item, listKeys, rel, `${path}[${i}]`));
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  throw new KeyError(`${path}: unsupported value ${quote(value)}`);
}

function toInteger(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : null;
  if (typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim())) return Number(raw.trim());
  return null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : (JSON.stringify(value) ?? String(value));
}
