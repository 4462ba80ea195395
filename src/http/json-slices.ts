// Encoding large answers without stalling the event loop. `encodeJson` of a 143,000-key
// `?recurse` (24 MB) held the loop for about a second, so every other client waited. Here the
// outer one or two levels of a large value (the listing array, `Results` of a txn, a map of
// services) are walked element by element, each element encoded by `encodeJson` (so the bytes
// are exactly its bytes), and the work is cut into slices of a few milliseconds with a turn of
// the event loop between them. Lazy rows (`jsonRows`) are shaped as they are reached.
import { encodeJson, isJsonRows, jsonString, type JsonValue } from './json';

/** CPU time one slice may take before the event loop gets a turn. */
const SLICE_MS = 4;
/** A sliced answer up to this size is joined into one buffer (a copy of ~0.1 ms per MB). */
const JOIN_BYTES = 1024 * 1024;
/** Text turned into bytes once it reaches this many characters. */
const CHUNK_CHARS = 64 * 1024;
/** How many pieces are written between looks at the clock. */
const PIECES_PER_CLOCK_CHECK = 8;
/** Values with at most this many elements in their outer levels are encoded in one go. */
const SMALL_VALUE_ELEMENTS = 512;
/** Below the top level, only containers with more members than this are walked. */
const WALK_MIN_MEMBERS = 64;
/** Levels walked element by element; anything deeper is encoded whole. */
const WALK_DEPTH = 2;

/**
 * The bytes `encodeJson(value, pretty)` gives, encoded without holding the loop for long: one
 * buffer up to 1 MiB, else the slices' buffers in order (joining 20 MB into one buffer would
 * itself hold the loop for tens of milliseconds).
 */
export async function encodeJsonSliced(
  value: JsonValue,
  pretty: boolean,
): Promise<Buffer | Buffer[]> {
  if (!isLarge(value)) return Buffer.from(encodeJson(value, pretty));
  const pieces = encodePieces(value, pretty ? '' : null, 0);
  const chunks: Buffer[] = [];
  let text = '';
  for (;;) {
    const sliceEnd = performance.now() + SLICE_MS;
    for (let count = 1; ; count++) {
      const next = pieces.next();
      if (next.done === true) {
        if (pretty) text += '\n';
        chunks.push(Buffer.from(text));
        return joinSmall(chunks);
      }
      text += next.value;
      // Text made of many pieces is flattened when it becomes bytes: that cost belongs to the
      // slice too, so it is paid as it grows.
      if (text.length >= CHUNK_CHARS) {
        chunks.push(Buffer.from(text));
        text = '';
      }
      if (count % PIECES_PER_CLOCK_CHECK === 0 && performance.now() > sliceEnd) break;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function joinSmall(chunks: Buffer[]): Buffer | Buffer[] {
  if (chunks.length === 1) return chunks[0];
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return bytes <= JOIN_BYTES ? Buffer.concat(chunks, bytes) : chunks;
}

/**
 * The text of `value` in pieces, in layout `indent` (null: compact; else pretty at this
 * indentation, without the final newline of a whole document).
 */
function* encodePieces(value: JsonValue, indent: string | null, depth: number): Generator<string> {
  if (!walked(value, depth)) {
    yield encodeElement(value, indent);
    return;
  }
  const inner = indent === null ? null : indent + '    ';
  if (isJsonRows(value) || Array.isArray(value)) {
    const length = value.length;
    if (length === 0) {
      yield '[]';
      return;
    }
    const at = isJsonRows(value)
      ? (index: number) => value.element(index)
      : (index: number) => (value as readonly JsonValue[])[index];
    yield inner === null ? '[' : '[\n';
    for (let index = 0; index < length; index++) {
      if (inner !== null) yield inner;
      yield* encodePieces(at(index), inner, depth + 1);
      if (index < length - 1) yield inner === null ? ',' : ',\n';
    }
    yield inner === null ? ']' : '\n' + indent + ']';
    return;
  }
  const object = value as { readonly [field: string]: JsonValue | undefined };
  let first = true;
  for (const field in object) {
    const member = object[field];
    if (member === undefined) continue;
    const key = jsonString(field);
    if (inner === null) yield (first ? '{' : ',') + key + ':';
    else yield (first ? '{\n' : ',\n') + inner + key + ': ';
    first = false;
    yield* encodePieces(member, inner, depth + 1);
  }
  if (first) yield '{}';
  else yield inner === null ? '}' : '\n' + indent + '}';
}

/** One element encoded whole, laid out at `indent` as part of a larger pretty document. */
function encodeElement(value: JsonValue, indent: string | null): string {
  if (indent === null) return encodeJson(value, false);
  const text = encodeJson(value, true).slice(0, -1);
  // JSON strings never hold a raw newline: every newline here is layout.
  return indent === '' ? text : text.replace(/\n/g, '\n' + indent);
}

function walked(value: JsonValue, depth: number): boolean {
  if (depth >= WALK_DEPTH || value === null || typeof value !== 'object') return false;
  return depth === 0 || memberCount(value, WALK_MIN_MEMBERS + 1) > WALK_MIN_MEMBERS;
}

/** Whether the outer levels of `value` hold enough elements to be worth slicing. */
function isLarge(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return false;
  let total = 0;
  for (const member of members(value)) {
    total += 1;
    if (member !== null && typeof member === 'object') {
      total += memberCount(member, SMALL_VALUE_ELEMENTS + 1);
    }
    if (total > SMALL_VALUE_ELEMENTS) return true;
  }
  return false;
}

/** The members of an array, rows or object, without shaping rows. */
function* members(value: object & JsonValue): Generator<JsonValue | undefined> {
  if (isJsonRows(value)) {
    // Shaping every row just to count would defeat the point: rows count as their length.
    for (let index = 0; index < value.length; index++) yield null;
  } else if (Array.isArray(value)) {
    yield* value as readonly JsonValue[];
  } else {
    const object = value as { readonly [field: string]: JsonValue | undefined };
    for (const field in object) yield object[field];
  }
}

/** Members of `value`, counted up to `cap`. */
function memberCount(value: object & JsonValue, cap: number): number {
  if (isJsonRows(value) || Array.isArray(value)) return (value as { length: number }).length;
  let count = 0;
  for (const _field in value) {
    if (++count >= cap) break;
  }
  return count;
}
