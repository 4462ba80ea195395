// The whole store as one byte string: a 5-byte header ("CSNP" + format version) and a msgpack
// map with one section per table family. Decoding checks every field before anything is built,
// so a corrupt snapshot throws and the caller's state is left as it was.
import { OrderedTable } from './ordered-table';
import { newTables, type IndexedTable, type Tables } from './tables';
import type { KvEntry } from './types';
import {
  packr,
  readArray,
  readBytes,
  readIndex,
  readNullableString,
  readObject,
  readString,
  readUint64,
  WireError,
} from './wire';

const MAGIC = [0x43, 0x53, 0x4e, 0x50]; // "CSNP"
const FORMAT_VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 1;
const INDEXED_TABLES: readonly IndexedTable[] = ['kvs', 'tombstones'];

export interface SnapshotContents {
  tables: Tables;
  /** The last Raft index applied to the store when the snapshot was taken. */
  lastIndex: number;
}

type KvRow = [string, Uint8Array, bigint, string | null, number, number, number];

export function encodeSnapshot({ tables, lastIndex }: SnapshotContents): Uint8Array {
  const indexes: Record<string, number> = {};
  for (const table of INDEXED_TABLES) indexes[table] = tables.indexes.get(table) ?? 0;
  const kvs: KvRow[] = [];
  for (const [, e] of tables.kvs.scanPrefix('')) {
    kvs.push([e.key, e.value, e.flags, e.session, e.lockIndex, e.createIndex, e.modifyIndex]);
  }
  const tombstones = [...tables.tombstones.scanPrefix('')];
  const body = packr.pack({ lastIndex, indexes, kvs, tombstones });
  const snapshot = new Uint8Array(HEADER_LENGTH + body.length);
  snapshot.set(MAGIC, 0);
  snapshot[MAGIC.length] = FORMAT_VERSION;
  snapshot.set(body, HEADER_LENGTH);
  return snapshot;
}

export function decodeSnapshot(data: Uint8Array): SnapshotContents {
  if (data.length < HEADER_LENGTH || MAGIC.some((byte, i) => data[i] !== byte)) {
    throw new WireError('not a Consulate state snapshot (bad header)');
  }
  const version = data[MAGIC.length];
  if (version !== FORMAT_VERSION) {
    throw new WireError(`unsupported snapshot format version ${version} (want ${FORMAT_VERSION})`);
  }
  let raw: unknown;
  try {
    raw = packr.unpack(data.subarray(HEADER_LENGTH));
  } catch (error) {
    throw new WireError(`snapshot body is not valid msgpack: ${(error as Error).message}`);
  }
  const body = readObject(raw, 'snapshot');
  const tables = newTables();
  const indexes = readObject(body.indexes, 'snapshot.indexes');
  for (const table of INDEXED_TABLES) {
    tables.indexes.set(table, readIndex(indexes[table], `snapshot.indexes.${table}`));
  }
  tables.kvs = uniqueTable(readArray(body.kvs, 'snapshot.kvs').map(readKvRow), 'snapshot.kvs');
  tables.tombstones = uniqueTable(
    readArray(body.tombstones, 'snapshot.tombstones').map(readTombstone),
    'snapshot.tombstones',
  );
  return { tables, lastIndex: readIndex(body.lastIndex, 'snapshot.lastIndex') };
}

function readKvRow(raw: unknown, i: number): [string, KvEntry] {
  const field = `snapshot.kvs[${i}]`;
  const row = readArray(raw, field);
  if (row.length !== 7) throw new WireError(`${field} must have 7 fields, got ${row.length}`);
  const entry: KvEntry = {
    key: readString(row[0], `${field}.key`),
    value: readBytes(row[1], `${field}.value`),
    flags: readUint64(row[2], `${field}.flags`),
    session: readNullableString(row[3], `${field}.session`),
    lockIndex: readIndex(row[4], `${field}.lockIndex`),
    createIndex: readIndex(row[5], `${field}.createIndex`),
    modifyIndex: readIndex(row[6], `${field}.modifyIndex`),
  };
  return [entry.key, entry];
}

function readTombstone(raw: unknown, i: number): [string, number] {
  const field = `snapshot.tombstones[${i}]`;
  const row = readArray(raw, field);
  if (row.length !== 2) throw new WireError(`${field} must have 2 fields, got ${row.length}`);
  return [readString(row[0], `${field}.key`), readIndex(row[1], `${field}.index`)];
}

function uniqueTable<V>(rows: [string, V][], field: string): OrderedTable<V> {
  const table = OrderedTable.from(rows);
  if (table.size !== rows.length) throw new WireError(`${field} holds a key more than once`);
  return table;
}
