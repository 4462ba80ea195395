// Request bodies decoded the way Consul's `decodeBody` decodes them into its structs: keys match
// struct fields exactly or else case-insensitively, unknown keys are refused
// (`json: unknown field "X"`), `null` leaves a field at its zero value, and a value of the wrong
// JSON type fails with Go's `json: cannot unmarshal <kind> into Go struct field <S>.<path> of
// type <T>`. Structs with a custom UnmarshalJSON in Consul (lenient ones) ignore unknown keys.
import { parseDuration } from '../config';
import { JsonNumber, type ParsedJson } from './json-parse';

export class BodyDecodeError extends Error {}

export type JsonObject = { [key: string]: ParsedJson };

/** Where a value sits, for Go's error text: the innermost struct type and the field path. */
export interface Site {
  /** Go struct type holding the field (e.g. `NodeService`); "" at the root. */
  struct: string;
  /** Dotted field path from the root (e.g. `Service.Port`). */
  path: string;
}

export interface StructSpec {
  /** The Go type, as errors name it (`structs.RegisterRequest`). */
  goType: string;
  /** Fields the decoder fills, in Go's declaration order. */
  fields: readonly string[];
  /** Fields Consul's struct has (or legacy clients send) that we accept and ignore. */
  ignored?: readonly string[];
  /** Ignore every unknown key (structs with a custom UnmarshalJSON). */
  lenient?: boolean;
}

export const ROOT: Site = { struct: '', path: '' };

/** The site of `field` inside a struct of type `struct` reached at `parent`. */
export function fieldSite(parent: Site, struct: string, field: string): Site {
  return { struct, path: parent.path === '' ? field : `${parent.path}.${field}` };
}

/**
 * The members of a JSON object keyed by the struct field they fill, in document order (a
 * repeated field keeps its last value); null for a JSON null. Unknown keys fail unless ignored.
 */
export function structFields(
  value: ParsedJson,
  spec: StructSpec,
  site: Site,
): Map<string, ParsedJson> | null {
  if (value === null) return null;
  if (!isObject(value)) throw typeError(value, site, spec.goType);
  const known = [...spec.fields, ...(spec.ignored ?? [])];
  const fields = new Map<string, ParsedJson>();
  for (const key of Object.keys(value)) {
    const name = known.includes(key)
      ? key
      : known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined) {
      if (spec.lenient === true) continue;
      throw new BodyDecodeError(`json: unknown field ${JSON.stringify(key)}`);
    }
    if (!spec.fields.includes(name)) continue;
    fields.delete(name);
    fields.set(name, value[key]);
  }
  return fields;
}

export function goString(value: ParsedJson, site: Site): string {
  if (value === null) return '';
  if (typeof value !== 'string') throw typeError(value, site, 'string');
  return value;
}

export function goBool(value: ParsedJson, site: Site): boolean {
  if (value === null) return false;
  if (typeof value !== 'boolean') throw typeError(value, site, 'bool');
  return value;
}

const INT = /^-?[0-9]+$/;

/** A Go `int` (64-bit); fractions, exponents and out-of-range values fail as in Go. */
export function goInt(value: ParsedJson, site: Site): number {
  if (value === null) return 0;
  if (!(value instanceof JsonNumber)) throw typeError(value, site, 'int');
  if (!INT.test(value.text)) throw typeError(value, site, 'int');
  const parsed = BigInt(value.text);
  if (parsed > (1n << 63n) - 1n || parsed < -(1n << 63n)) throw typeError(value, site, 'int');
  if (parsed > BigInt(Number.MAX_SAFE_INTEGER) || parsed < BigInt(Number.MIN_SAFE_INTEGER)) {
    // No port, weight or count comes near this; refuse rather than round.
    throw typeError(value, site, 'int');
  }
  return Number(parsed);
}

export function goStringList(value: ParsedJson, site: Site): string[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw typeError(value, site, '[]string');
  return value.map((item) => goString(item, site));
}

/** A Go map with string keys; `read` decodes each value. Keys come out sorted (Go's order). */
export function goMap<V>(
  value: ParsedJson,
  site: Site,
  goType: string,
  read: (item: ParsedJson, site: Site) => V,
): Record<string, V> {
  const out: Record<string, V> = {};
  if (value === null) return out;
  if (!isObject(value)) throw typeError(value, site, goType);
  for (const key of Object.keys(value).sort()) {
    out[key] = read(value[key], { struct: site.struct, path: `${site.path}.${key}` });
  }
  return out;
}

export function goStringMap(value: ParsedJson, site: Site): Record<string, string> {
  return goMap(value, site, 'map[string]string', goString);
}

/**
 * A duration field of a struct whose UnmarshalJSON takes a Go duration string or a number of
 * nanoseconds (HealthCheckDefinition); other JSON types are ignored there. Milliseconds.
 */
export function goDurationMs(value: ParsedJson): number {
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch (error) {
      throw new BodyDecodeError((error as Error).message);
    }
  }
  if (value instanceof JsonNumber) return Number(value.text) / 1e6;
  return 0;
}

export function typeError(value: ParsedJson, site: Site, goType: string): BodyDecodeError {
  const where = site.path === '' ? 'Go value' : `Go struct field ${site.struct}.${site.path}`;
  return new BodyDecodeError(
    `json: cannot unmarshal ${jsonKind(value)} into ${where} of type ${goType}`,
  );
}

/** How Go's errors name the JSON type of a value (`number 1.5`, `string`, …). */
export function jsonKind(value: ParsedJson): string {
  if (value instanceof JsonNumber) return `number ${value.text}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

export function isObject(value: ParsedJson): value is JsonObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JsonNumber)
  );
}
