// KV rows as Consul's structs.DirEntry marshals them: LockIndex, Key, Flags, Value (base64, null
// when empty), Session (omitted when empty), CreateIndex, ModifyIndex.
import type { KvEntry, TxnResult } from '../state/types';
import type { JsonValue } from './json';

export function kvEntryJson(entry: KvEntry): JsonValue {
  return {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: entry.flags,
    Value: entry.value.length === 0 ? null : base64(entry.value),
    Session: entry.session === null || entry.session === '' ? undefined : entry.session,
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
  };
}

/** `{"Results":[{"KV":…}],"Errors":null}` or `{"Results":null,"Errors":[{"OpIndex","What"}]}`. */
export function txnResultJson(result: TxnResult): { Results: JsonValue; Errors: JsonValue } {
  return {
    Results:
      result.results === null ? null : result.results.map(({ kv }) => ({ KV: kvEntryJson(kv) })),
    Errors:
      result.errors === null
        ? null
        : result.errors.map(({ opIndex, what }) => ({ OpIndex: opIndex, What: what })),
  };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
