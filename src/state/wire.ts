// Reading values decoded from msgpack (Raft entries, snapshots) without trusting them: each
// reader checks one field and names it, with the offending value, when it is wrong.
import { Packr } from 'msgpackr';

/**
 * Plain maps (no msgpackr records) so the bytes do not depend on encoder state; 64-bit integers
 * decode as bigint, which only our bigint fields (KV flags) produce.
 */
export const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export type Fields = Record<string, unknown>;

const MAX_UINT64 = 2n ** 64n - 1n;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  return typeof value === 'object' ? 'object' : String(value);
}

export function readObject(value: unknown, field: string): Fields {
  const prototype = typeof value === 'object' && value !== null && Object.getPrototypeOf(value);
  // Only a plain object is a decoded map (arrays, bytes and extension types are not).
  if (prototype !== Object.prototype && prototype !== null) {
    throw new WireError(`${field} must be a map, got ${describe(value)}`);
  }
  return value as Fields;
}

export function readArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value))
    throw new WireError(`${field} must be an array, got ${describe(value)}`);
  return value;
}

export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new WireError(`${field} must be a string, got ${describe(value)}`);
  }
  return value;
}

/** A Raft index or counter: a non-negative safe integer. */
export function readIndex(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WireError(`${field} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/** A uint64 kept exactly as bigint (small values may arrive as numbers). */
export function readUint64(value: unknown, field: string): bigint {
  const big =
    typeof value === 'number' && Number.isSafeInteger(value)
      ? BigInt(value)
      : typeof value === 'bigint'
        ? value
        : null;
  if (big === null || big < 0n || big > MAX_UINT64) {
    throw new WireError(`${field} must be a uint64, got ${describe(value)}`);
  }
  return big;
}

/** Bytes as a plain Uint8Array we own (decoders hand out Buffers over their input). */
export function readBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new WireError(`${field} must be bytes, got ${describe(value)}`);
  }
  return new Uint8Array(value);
}

export function readOptional<T>(
  value: unknown,
  field: string,
  read: (value: unknown, field: string) => T,
): T | undefined {
  return value === undefined || value === null ? undefined : read(value, field);
}

export function readNullableString(value: unknown, field: string): string | null {
  return value === undefined || value === null ? null : readString(value, field);
}

export function readBool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') {
    throw new WireError(`${field} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** A signed integer that fits a JS number exactly (ports, weights). */
export function readInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new WireError(`${field} must be an integer, got ${describe(value)}`);
  }
  return value;
}

export function readStringArray(value: unknown, field: string): string[] {
  return readArray(value, field).map((item, i) => readString(item, `${field}[${i}]`));
}

/** A map with string keys as a fresh plain object; each value checked by `read`. */
export function readMap<V>(
  value: unknown,
  field: string,
  read: (value: unknown, field: string) => V,
): Record<string, V> {
  const map: Record<string, V> = {};
  for (const [key, item] of Object.entries(readObject(value, field))) {
    // defineProperty: a key named __proto__ stays an ordinary key.
    Object.defineProperty(map, key, {
      value: read(item, `${field}.${key}`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return map;
}
