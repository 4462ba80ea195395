// The on-disk form of one snapshot: the data, then a JSON trailer with its metadata and sha256,
// then the trailer's length and a magic. Data first so that a receiving follower writes chunks
// at their offsets and only appends the trailer once the checksum is known.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { SnapshotMeta } from '../types';
import { isIndex, isRecord, membershipFrom } from './codec';

export interface SnapshotTrailer extends SnapshotMeta {
  sha256: string;
}

const magic = Buffer.from('CSNAPv1\n');
const footerBytes = 4 + magic.length;
const fileNamePattern = /^snapshot-(\d{16})-(\d{16})\.snap$/;

export function snapshotFileName(index: number, term: number): string {
  return `snapshot-${String(index).padStart(16, '0')}-${String(term).padStart(16, '0')}.snap`;
}

export function parseSnapshotFileName(name: string): { index: number; term: number } | null {
  const match = fileNamePattern.exec(name);
  return match === null ? null : { index: Number(match[1]), term: Number(match[2]) };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function encodeTrailer(trailer: SnapshotTrailer): Buffer {
  const { index, term, membership, size, sha256 } = trailer;
  const json = Buffer.from(JSON.stringify({ index, term, membership, size, sha256 }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([json, length, magic]);
}

/** Decodes and checks the trailer of a whole snapshot file; throws saying what is wrong. */
export function verifySnapshotFile(file: Buffer): { trailer: SnapshotTrailer; data: Buffer } {
  const trailer = decodeTrailerAt(file, file.length);
  const data = file.subarray(0, trailer.size);
  const actual = sha256Hex(data);
  if (actual !== trailer.sha256) {
    throw new Error(`sha256 mismatch: trailer says ${trailer.sha256}, data hashes to ${actual}`);
  }
  return { trailer, data };
}

/** Reads only the trailer of a stored snapshot (to serve chunks without hashing everything). */
export async function readTrailer(path: string): Promise<SnapshotTrailer> {
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const tail = Buffer.alloc(Math.min(fileSize, 64 * 1024));
    await handle.read(tail, 0, tail.length, fileSize - tail.length);
    return decodeTrailerAt(tail, fileSize);
  } finally {
    await handle.close();
  }
}

/** `tail` holds the last bytes of a file whose total length is `fileSize`. */
function decodeTrailerAt(tail: Buffer, fileSize: number): SnapshotTrailer {
  if (tail.length < footerBytes || !tail.subarray(tail.length - magic.length).equals(magic)) {
    throw new Error('no snapshot trailer magic at the end of the file');
  }
  const jsonLength = tail.readUInt32BE(tail.length - footerBytes);
  const jsonStart = tail.length - footerBytes - jsonLength;
  if (jsonStart < 0) throw new Error(`trailer length ${jsonLength} exceeds the file`);
  const value: unknown = JSON.parse(tail.subarray(jsonStart, tail.length - footerBytes).toString());
  if (!isRecord(value)) throw new Error('trailer is not a JSON object');
  const { index, term, membership, size, sha256 } = value;
  if (!isIndex(index) || !isIndex(term) || !isIndex(size) || typeof sha256 !== 'string') {
    throw new Error(
      `trailer fields index=${String(index)} term=${String(term)} size=${String(size)}`,
    );
  }
  const expectedSize = fileSize - footerBytes - jsonLength;
  if (size !== expectedSize) throw new Error(`trailer size ${size}, file holds ${expectedSize}`);
  return { index, term, membership: membershipFrom(membership), size, sha256 };
}

/** sha256 of the first `length` bytes of a file, read in slices to bound memory. */
export async function sha256OfFile(path: string, length: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const slice = Buffer.alloc(1 << 20);
    for (let offset = 0; offset < length;) {
      const { bytesRead } = await handle.read(
        slice,
        0,
        Math.min(slice.length, length - offset),
        offset,
      );
      if (bytesRead === 0) throw new Error(`${path} ends at ${offset}, want ${length} bytes`);
      hash.update(slice.subarray(0, bytesRead));
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Makes a rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
