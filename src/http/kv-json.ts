// KV rows as Consul's structs.DirEntry marshals them: LockIndex, Key, Flags, Value (base64, null
// when empty), Session (omitted when empty), CreateIndex, ModifyIndex; and /v1/txn answers.
import type { KvEntry, MixedTxnResult, TxnOpResult } from '../state';
import { healthCheckJson, nodeJson, nodeServiceJson } from './catalog-json';
import { encodeJson, jsonRows, uint64Json, type JsonValue } from './json';

/** A listing of rows (`?recurse`), shaped as it is encoded. */
export function kvEntriesJson(entries: readonly KvEntry[]): JsonValue {
  return jsonRows(entries, kvEntryJson);
}

export function kvEntryJson(entry: KvEntry): JsonValue {
  return {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: uint64Json(entry.flags),
    Value: entry.value.length === 0 ? null : base64(entry.value),
    Session: entry.session === null || entry.session === '' ? undefined : entry.session,
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
  };
}

/** Encoded single-entry bodies per entry row; rows are replaced, never changed, on a write. */
interface EncodedEntry {
  modifyIndex: number;
  compact?: Buffer;
  pretty?: Buffer;
}
const encodedEntries = new WeakMap<KvEntry, EncodedEntry>();

/**
 * The body of a single-key GET, `[entry]`, encoded once per row and layout: a write that wakes
 * thousands of blocking queries on one key encodes it once, not once per watcher.
 */
export function kvEntryBody(entry: KvEntry, pretty: boolean): Buffer {
  let encoded = encodedEntries.get(entry);
  if (encoded === undefined || encoded.modifyIndex !== entry.modifyIndex) {
    encoded = { modifyIndex: entry.modifyIndex };
    encodedEntries.set(entry, encoded);
  }
  if (pretty) return (encoded.pretty ??= Buffer.from(encodeJson([kvEntryJson(entry)], true)));
  return (encoded.compact ??= Buffer.from(encodeJson([kvEntryJson(entry)], false)));
}

/**
 * A /v1/txn answer: `{"Results":[{"KV"|"Node"|"Service"|"Check":…}],"Errors":null}` or
 * `{"Results":null,"Errors":[{"OpIndex","What"}]}`.
 */
export function txnResultJson(result: MixedTxnResult): { Results: JsonValue; Errors: JsonValue } {
  return {
    Results: result.results === null ? null : jsonRows(result.results, txnOpResultJson),
    Errors:
      result.errors === null
        ? null
        : result.errors.map(({ opIndex, what }) => ({ OpIndex: opIndex, What: what })),
  };
}

function txnOpResultJson(result: TxnOpResult): JsonValue {
  if ('kv' in result) return { KV: kvEntryJson(result.kv) };
  if ('node' in result) return { Node: nodeJson(result.node) };
  if ('service' in result) return { Service: nodeServiceJson(result.service) };
  return { Check: healthCheckJson(result.check) };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
