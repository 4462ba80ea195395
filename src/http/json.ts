// Go `encoding/json` output from plain JS values: bigint as bare digits (uint64 Flags above
// 2^53), HTML-safe escaping of < > & U+2028 U+2029 as Go does by default, and Consul's
// `?pretty` layout (4-space indent plus a trailing newline). Objects are emitted in insertion
// order, so callers build them in Go's field order; maps must be built with sorted keys.

/** A value the encoder accepts: what Go would marshal from the response structs. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly JsonValue[]
  | JsonRows
  | { readonly [field: string]: JsonValue | undefined };

/**
 * An array whose elements are shaped only as they are encoded: a listing of 100,000 rows then
 * never exists as 100,000 objects at once, and the sliced encoder (json-slices.ts) shapes
 * them a slice at a time.
 */
export interface JsonRows {
  readonly length: number;
  element(index: number): JsonValue;
  /** The shaped array (JSON.stringify calls this). */
  toJSON(): JsonValue[];
}

/** `rows` as a JSON array of `shape(row)`. */
export function jsonRows<T>(rows: readonly T[], shape: (row: T) => JsonValue): JsonRows {
  return {
    length: rows.length,
    element: (index) => shape(rows[index]),
    toJSON: () => rows.map((row) => shape(row)),
  };
}

export function isJsonRows(value: JsonValue | undefined): value is JsonRows {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<JsonRows>).element === 'function'
  );
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A uint64 in the form the encoder writes fastest: a number while exact (same digits), else the
 * bigint (which sends the value holding it down the slower hand-written path).
 */
export function uint64Json(value: bigint): number | bigint {
  return value <= MAX_EXACT ? Number(value) : value;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_GLOBAL = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal as Go writes it. */
export function jsonString(text: string): string {
  const quoted = JSON.stringify(text);
  return HTML_UNSAFE.test(quoted)
    ? quoted.replace(HTML_UNSAFE_GLOBAL, (char) => HTML_ESCAPES[char])
    : quoted;
}

/** Encodes `value` compactly, or indented with 4 spaces and a final newline when `pretty`. */
export function encodeJson(value: JsonValue, pretty: boolean): string {
  // V8's JSON.stringify lays out exactly as Go's Marshal/MarshalIndent("", "    ") and is an
  // order of magnitude faster than walking the value here (a 1,000-instance health answer is
  // ~1 MB), so it serves every value it can: all but those holding a bigint (uint64 Flags).
  let native: string | undefined;
  try {
    native = JSON.stringify(value, refuseNonFinite, pretty ? 4 : undefined);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  if (native !== undefined) {
    const safe = HTML_UNSAFE.test(native)
      ? native.replace(HTML_UNSAFE_GLOBAL, (char) => HTML_ESCAPES[char])
      : native;
    return pretty ? safe + '\n' : safe;
  }
  return pretty ? encodeIndented(value, '') + '\n' : encodeCompact(value);
}

function encodeCompact(value: JsonValue): string {
  if (isJsonRows(value)) value = value.toJSON();
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (value === null) return 'null';
  if (isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += encodeCompact(value[i]);
    }
    return out + ']';
  }
  let out = '{';
  let first = true;
  for (const field in value) {
    const member = value[field];
    if (member === undefined) continue;
    out += (first ? '' : ',') + jsonString(field) + ':' + encodeCompact(member);
    first = false;
  }
  return out + '}';
}

function encodeIndented(value: JsonValue, indent: string): string {
  if (isJsonRows(value)) value = value.toJSON();
  if (value === null || typeof value !== 'object') return encodeCompact(value);
  const inner = indent + '    ';
  if (isArray(value)) {
    if (value.length === 0) return '[]';
    let out = '[\n';
    for (let i = 0; i < value.length; i++) {
      out += inner + encodeIndented(value[i], inner) + (i < value.length - 1 ? ',\n' : '\n');
    }
    return out + indent + ']';
  }
  const parts: string[] = [];
  for (const field in value) {
    const member = value[field];
    if (member === undefined) continue;
    parts.push(inner + jsonString(field) + ': ' + encodeIndented(member, inner));
  }
  return parts.length === 0 ? '{}' : '{\n' + parts.join(',\n') + '\n' + indent + '}';
}

// Go refuses NaN and ±Inf where JSON.stringify would quietly write null.
function refuseNonFinite(_field: string, member: unknown): unknown {
  if (typeof member === 'number' && !Number.isFinite(member)) encodeNumber(member);
  return member;
}

function encodeNumber(value: number): string {
  // Go refuses NaN and ±Inf; nothing we emit should carry them, so fail loudly if one does.
  if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
  return String(value);
}

function isArray(value: unknown): value is readonly JsonValue[] {
  return Array.isArray(value);
}
