// A table of rows keyed by string, with exact lookup (a Map) and ordered prefix scans (the keys
// kept sorted in chunks, so an insert moves at most one chunk instead of the whole key array).

// Units from 0xD800 up: surrogates and E000–FFFF, the only ones UTF-16 order puts out of
// code point order.
const HIGH_UNIT = /[\uD800-\uFFFF]/;

/** Keys are ordered by Unicode code point, i.e. by their UTF-8 bytes, as Consul's radix tree. */
export function compareKeys(a: string, b: string): number {
  // The orders disagree only where both strings hold a high unit: take the native fast path.
  if (!HIGH_UNIT.test(a) || !HIGH_UNIT.test(b)) return a < b ? -1 : a === b ? 0 : 1;
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

// UTF-16 order differs from code point order only where surrogates (D800–DFFF) meet E000–FFFF:
// lifting surrogates above that range makes unit-by-unit comparison follow code points.
function codeUnitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

const MAX_CHUNK = 1024;

/** Sorted, duplicate-free keys split into chunks of at most MAX_CHUNK keys. */
class SortedKeys {
  // Invariant: every chunk is non-empty and sorted; the last key of chunk i sorts before the
  // first key of chunk i+1; lastKeys[i] is the last key of chunks[i].
  private chunks: string[][] = [];
  private lastKeys: string[] = [];

  static fromSorted(keys: string[]): SortedKeys {
    const sorted = new SortedKeys();
    for (let start = 0; start < keys.length; start += MAX_CHUNK / 2) {
      const chunk = keys.slice(start, start + MAX_CHUNK / 2);
      sorted.chunks.push(chunk);
      sorted.lastKeys.push(chunk[chunk.length - 1]);
    }
    return sorted;
  }

  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.lastKeys.push(key);
      return;
    }
    const c = Math.min(this.chunkFor(key), this.chunks.length - 1);
    const chunk = this.chunks[c];
    const at = lowerBound(chunk, key);
    if (at < chunk.length && chunk[at] === key) return;
    chunk.splice(at, 0, key);
    if (at === chunk.length - 1) this.lastKeys[c] = key;
    if (chunk.length > MAX_CHUNK) this.split(c);
  }

  remove(key: string): void {
    const c = this.chunkFor(key);
    if (c === this.chunks.length) return;
    const chunk = this.chunks[c];
    const at = lowerBound(chunk, key);
    if (chunk[at] !== key) return;
    chunk.splice(at, 1);
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.lastKeys.splice(c, 1);
    } else if (at === chunk.length) {
      this.lastKeys[c] = chunk[chunk.length - 1];
    }
  }

  /** Keys starting with `prefix`, in order. */
  *withPrefix(prefix: string): Generator<string> {
    for (let c = this.chunkFor(prefix); c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      for (let i = lowerBound(chunk, prefix); i < chunk.length; i++) {
        if (!chunk[i].startsWith(prefix)) return;
        yield chunk[i];
      }
    }
  }

  /** Index of the first chunk whose last key is >= key (chunks.length when none is). */
  private chunkFor(key: string): number {
    return lowerBound(this.lastKeys, key);
  }

  private split(c: number): void {
    const chunk = this.chunks[c];
    const upper = chunk.splice(chunk.length >> 1);
    this.chunks.splice(c + 1, 0, upper);
    this.lastKeys.splice(c, 1, chunk[chunk.length - 1], upper[upper.length - 1]);
  }
}

/** Position of the first element of `sorted` that is >= key. */
function lowerBound(sorted: string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(sorted[mid], key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

export class OrderedTable<V> {
  private readonly rows = new Map<string, V>();
  private order = new SortedKeys();

  /** Builds a table from rows in any order; duplicate keys keep the last row. */
  static from<V>(rows: Iterable<[string, V]>): OrderedTable<V> {
    const table = new OrderedTable<V>();
    for (const [key, row] of rows) table.rows.set(key, row);
    table.order = SortedKeys.fromSorted([...table.rows.keys()].sort(compareKeys));
    return table;
  }

  get size(): number {
    return this.rows.size;
  }

  get(key: string): V | undefined {
    return this.rows.get(key);
  }

  set(key: string, row: V): void {
    if (!this.rows.has(key)) this.order.insert(key);
    this.rows.set(key, row);
  }

  delete(key: string): void {
    if (this.rows.delete(key)) this.order.remove(key);
  }

  /** Rows whose key starts with `prefix`, ordered by key ("" = every row). */
  *scanPrefix(prefix: string): Generator<[string, V]> {
    for (const key of this.order.withPrefix(prefix)) yield [key, this.rows.get(key) as V];
  }
}
