// Key/value reads and writes as the pages need them: values decoded from base64 to text (or
// recognised as binary), writes and deletes guarded by check-and-set on the ModifyIndex the
// editor started from.
import { apiRequest, apiUrl, encodePath } from './http';

export interface DecodedValue {
  /** The value as UTF-8 text, or null when its bytes are not UTF-8. */
  text: string | null;
  bytes: number;
}

export function decodeValue(base64: string | null): DecodedValue {
  if (base64 === null || base64 === '') return { text: '', bytes: 0 };
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), bytes: bytes.length };
  } catch {
    return { text: null, bytes: bytes.length };
  }
}

export function kvUrl(
  dc: string,
  key: string,
  params: Record<string, string | undefined> = {},
): string {
  return apiUrl(`kv/${encodePath(key)}`, { dc, ...params });
}

/**
 * Writes `value` at `key` only if the key's ModifyIndex is still `cas` (0: only if it does not
 * exist). Resolves false when the agent refused because the key changed.
 */
export async function putWithCas(
  dc: string,
  key: string,
  value: string,
  cas: number,
  flags: number,
): Promise<boolean> {
  const response = await apiRequest(
    'PUT',
    kvUrl(dc, key, { cas: String(cas), flags: flags === 0 ? undefined : String(flags) }),
    value,
  );
  return (await response.json()) === true;
}

/** Deletes `key` only if its ModifyIndex is still `cas`; false when it changed meanwhile. */
export async function deleteWithCas(dc: string, key: string, cas: number): Promise<boolean> {
  const response = await apiRequest('DELETE', kvUrl(dc, key, { cas: String(cas) }));
  return (await response.json()) === true;
}

/** Deletes every key under `prefix` (a folder). */
export async function deleteTree(dc: string, prefix: string): Promise<void> {
  await apiRequest('DELETE', kvUrl(dc, prefix, { recurse: '' }));
}

/** "a/b/c" → "c", "a/b/" → "b/". */
export function lastSegment(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const cut = trimmed.lastIndexOf('/');
  return key.slice(cut + 1);
}

/** "a/b/c" → "a/b/", "a/b/" → "a/", "a" → "". */
export function parentOf(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const cut = trimmed.lastIndexOf('/');
  return cut < 0 ? '' : trimmed.slice(0, cut + 1);
}
