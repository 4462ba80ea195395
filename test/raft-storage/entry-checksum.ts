// Self-verifying entry payloads for the storage tests: index, term, random filler, then the
// sha256 of all that, so that a torn or misplaced entry cannot pass for a good one.
import { createHash, randomBytes } from 'node:crypto';
import { EntryType, type LogEntry } from '../../src/raft/types';

const digestBytes = 32;

export function checkedEntry(index: number, term: number): LogEntry {
  const body = Buffer.concat([header(index, term), randomBytes(8 + (index % 120))]);
  const data = Buffer.concat([body, createHash('sha256').update(body).digest()]);
  return { index, term, type: EntryType.Command, data };
}

/** Why `entry` is not a payload checkedEntry wrote for its own index and term, or null. */
export function checkedEntryProblem(entry: LogEntry): string | null {
  const data = Buffer.from(entry.data);
  if (data.length < 16 + digestBytes) return `index ${entry.index}: ${data.length} bytes`;
  const body = data.subarray(0, data.length - digestBytes);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(data.subarray(data.length - digestBytes))) {
    return `index ${entry.index}: checksum mismatch`;
  }
  if (!body.subarray(0, 16).equals(header(entry.index, entry.term))) {
    return `index ${entry.index} term ${entry.term}: payload was written for another entry`;
  }
  return null;
}

function header(index: number, term: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64BE(BigInt(index), 0);
  bytes.writeBigUInt64BE(BigInt(term), 8);
  return bytes;
}
