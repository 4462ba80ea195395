// JSON with uint64 `Flags`: Consul emits Flags as bare numbers up to 2^64-1 (lock clients use
// 0x2ddccbc058a50c18), which JSON.parse would round. We quote those literals before parsing and
// revive them as bigint; on the way out bigints are written back as bare digits.

// A marker no real value carries: random per process (printable, so it may sit inside JSON text).
const sentinel = `@u64:${Math.random().toString(36).slice(2)}:`;

/** Parses a Consul JSON response; every `Flags` number becomes a `bigint`. */
export function parseConsulJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!text.includes('"Flags"')) return value;
  // Fast path: convert the Flags JSON.parse read exactly; only a value past 2^53 (rounded by
  // JSON.parse) sends us back to the text.
  return flagsToBigint(value) ? value : parseExactFlags(text);
}

/** Replaces safe-integer `Flags` by bigints in place; false if one was too large to be exact. */
function flagsToBigint(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(flagsToBigint);
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const field = record[key];
    if (key === 'Flags' && typeof field === 'number') {
      if (!Number.isSafeInteger(field)) return false;
      record[key] = BigInt(field);
    } else if (typeof field === 'object' && field !== null && !flagsToBigint(field)) {
      return false;
    }
  }
  return true;
}

function parseExactFlags(text: string): unknown {
  // In valid JSON a `"Flags":` not preceded by a backslash is always the key Flags: a quote
  // inside a string is escaped, so it directly follows a backslash.
  const marked = text.replace(
    flagsLiteral,
    (_all, space: string, digits: string) => `"Flags":${space}"${sentinel}${digits}"`,
  );
  return JSON.parse(marked, (key, value: unknown) =>
    key === 'Flags' && typeof value === 'string' && value.startsWith(sentinel)
      ? BigInt(value.slice(sentinel.length))
      : value,
  );
}

const flagsLiteral = /(?<!\\)"Flags"\s*:(\s*)(\d+)/g;

/** JSON.stringify that writes `bigint` values as bare integer literals. */
export function stringifyConsulJson(value: unknown): string {
  let sawBigint = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    sawBigint = true;
    return `${sentinel}${v.toString()}`;
  });
  if (!sawBigint) return text;
  return text.split(`"${sentinel}`).reduce((acc, part) => acc + part.replace(/^(-?\d+)"/, '$1'));
}
