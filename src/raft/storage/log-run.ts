// The blob format of one row of raft_log_runs: a run of consecutive entries stored together, so
// that a 128-entry append costs SQLite one row instead of 128.
//
//   byte 0        format version (runFormat)
//   then per entry, in index order:
//     index  float64 LE   term  float64 LE   (float64 holds every safe integer exactly)
//     type   uint8        length uint32 LE   data (length bytes)
//
// The row's checksum column is the CRC-32 of the whole blob. Entries carry their own index so
// that a row whose first_index column was damaged cannot pass for another part of the log.
import { crc32 } from 'node:zlib';
import { EntryType, type LogEntry } from '../types';

/** Bumped when the layout above changes; rows of another version are reported, never guessed. */
export const runFormat = 1;

const frameHeaderBytes = 8 + 8 + 1 + 4;
const entryTypes = new Set<number>([EntryType.Command, EntryType.Membership, EntryType.Noop]);

/** One row of raft_log_runs as SQLite hands it back (columns untrusted until decoded). */
export interface RunRow {
  first_index: number;
  last_index: unknown;
  checksum: unknown;
  entries: unknown;
}

/** An encoded run, ready for INSERT. */
export interface EncodedRun {
  firstIndex: number;
  lastIndex: number;
  checksum: number;
  blob: Buffer;
}

/** Encodes consecutive entries (the caller checked them: non-empty, consecutive indexes). */
export function encodeRun(entries: readonly LogEntry[]): EncodedRun {
  let size = 1;
  for (const e of entries) size += frameHeaderBytes + e.data.byteLength;
  const blob = Buffer.allocUnsafe(size);
  blob[0] = runFormat;
  let at = 1;
  for (const e of entries) {
    at = blob.writeDoubleLE(e.index, at);
    at = blob.writeDoubleLE(e.term, at);
    at = blob.writeUInt8(e.type, at);
    at = blob.writeUInt32LE(e.data.byteLength, at);
    blob.set(e.data, at);
    at += e.data.byteLength;
  }
  const firstIndex = entries[0].index;
  return { firstIndex, lastIndex: entries[entries.length - 1].index, checksum: crc32(blob), blob };
}

/** Where each entry of a verified run starts in its blob, and the entries themselves. */
export interface DecodedRun {
  entries: LogEntry[];
  /** offsets[i] is where entries[i]'s frame starts; offsets[entries.length] is the blob's end. */
  offsets: number[];
  blob: Buffer;
  /** Why decoding stopped before the end of the row, or null when the whole row is sound. */
  problem: string | null;
}

/**
 * Decodes a row, verifying its checksum and every frame. On damage it returns the sound entries
 * before it (none when the checksum or format fails) and the problem. `minTerm` is the term of
 * the entry before this row: terms never go down along the log. Entry data shares the blob.
 */
export function decodeRun(row: RunRow, minTerm: number): DecodedRun {
  const first = row.first_index;
  const torn = (what: string): DecodedRun => ({
    entries: [],
    offsets: [],
    blob: Buffer.alloc(0),
    problem: `torn raft log row at index ${first}: ${what}`,
  });
  const blob = row.entries;
  if (!Buffer.isBuffer(blob)) return torn(`entries is ${typeof blob}, not a blob`);
  if (typeof row.last_index !== 'number' || row.last_index < first) {
    return torn(`last_index = ${String(row.last_index)}`);
  }
  if (blob[0] !== runFormat) return torn(`format ${String(blob[0])}, want ${runFormat}`);
  if (row.checksum !== crc32(blob)) return torn('checksum mismatch');

  const entries: LogEntry[] = [];
  const offsets: number[] = [];
  const stop = (problem: string): DecodedRun => ({ entries, offsets, blob, problem });
  let at = 1;
  let previousTerm = minTerm;
  while (at < blob.length) {
    const index = first + entries.length;
    if (at + frameHeaderBytes > blob.length) return stop(`torn raft log entry at index ${index}`);
    const frameIndex = blob.readDoubleLE(at);
    const term = blob.readDoubleLE(at + 8);
    const type = blob.readUInt8(at + 16);
    const length = blob.readUInt32LE(at + 17);
    const dataAt = at + frameHeaderBytes;
    if (frameIndex !== index) {
      return stop(`torn raft log row at index ${index}: entry says index ${frameIndex}`);
    }
    if (!Number.isSafeInteger(term) || term < previousTerm) {
      return stop(`torn raft log row at index ${index}: term = ${term}`);
    }
    if (!entryTypes.has(type)) return stop(`torn raft log row at index ${index}: type = ${type}`);
    if (dataAt + length > blob.length) return stop(`torn raft log entry at index ${index}`);
    offsets.push(at);
    entries.push({ index, term, type, data: blob.subarray(dataAt, dataAt + length) });
    previousTerm = term;
    at = dataAt + length;
  }
  offsets.push(at);
  const last = first + entries.length - 1;
  if (last !== row.last_index) {
    return stop(
      `torn raft log row at index ${first}: last_index = ${row.last_index}, holds ${last}`,
    );
  }
  return { entries, offsets, blob, problem: null };
}

/** The entries [from, to] of a sound decoded run, re-encoded as a run of their own. */
export function sliceRun(run: DecodedRun, from: number, to: number): EncodedRun {
  const first = run.entries[0].index;
  const start = run.offsets[from - first];
  const end = run.offsets[to - first + 1];
  const blob = Buffer.allocUnsafe(1 + end - start);
  blob[0] = runFormat;
  run.blob.copy(blob, 1, start, end);
  return { firstIndex: from, lastIndex: to, checksum: crc32(blob), blob };
}
