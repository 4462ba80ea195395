// Structural comparison of decoded JSON values (plus bigint and bytes), and the list of paths
// where two such values differ.

/** Deep equality of JSON-like values; bigint and Uint8Array compare by value. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const aKeys = Object.keys(aRecord).filter((k) => aRecord[k] !== undefined);
  const bKeys = Object.keys(bRecord).filter((k) => bRecord[k] !== undefined);
  return (
    aKeys.length === bKeys.length &&
    aKeys.every((key) => Object.hasOwn(bRecord, key) && deepEqual(aRecord[key], bRecord[key]))
  );
}

/**
 * Paths where `a` and `b` differ, as `a.b[2].c`; a whole subtree added or removed is one path.
 * Equal values give `[]`; different roots that are not both objects give `['']`.
 */
export function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  if (deepEqual(a, b)) return [];
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return [path];
  const out: string[] = [];
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const sub = `${path}[${i}]`;
      if (i >= a.length || i >= b.length) out.push(sub);
      else out.push(...changedPaths(a[i], b[i], sub));
    }
    return out;
  }
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(aRecord), ...Object.keys(bRecord)])].sort();
  for (const key of keys) {
    out.push(...changedPaths(aRecord[key], bRecord[key], path ? `${path}.${key}` : key));
  }
  return out;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array);
}
