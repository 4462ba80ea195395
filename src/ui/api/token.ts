// The ACL token the UI acts with, kept in localStorage under Consul UI's key (consul:token, a
// JSON object with the token's AccessorID and SecretID) so that it survives reloads. Every
// request sends its SecretID in X-Consul-Token; pages re-read their data when it changes.
import { useSyncExternalStore } from 'react';

export interface StoredToken {
  AccessorID: string;
  SecretID: string;
  Description?: string;
}

const KEY = 'consul:token';
const listeners = new Set<() => void>();
let cached: { raw: string | null; token: StoredToken | null } = { raw: null, token: null };

function read(): StoredToken | null {
  let raw: string | null = null;
  try {
    raw = window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
  if (raw === cached.raw) return cached.token;
  let token: StoredToken | null = null;
  try {
    const parsed = raw === null ? null : (JSON.parse(raw) as Partial<StoredToken> | null);
    if (parsed !== null && typeof parsed?.SecretID === 'string' && parsed.SecretID !== '') {
      token = {
        AccessorID: String(parsed.AccessorID ?? ''),
        SecretID: parsed.SecretID,
        Description: parsed.Description,
      };
    }
  } catch {
    token = null;
  }
  cached = { raw, token };
  return token;
}

export function currentToken(): StoredToken | null {
  return read();
}

/** The SecretID to send, or undefined when logged out. */
export function currentSecret(): string | undefined {
  return read()?.SecretID;
}

/** Logs in (a token) or out (null); every page reading data asks again with it. */
export function storeToken(token: StoredToken | null): void {
  try {
    if (token === null) window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, JSON.stringify(token));
  } catch {
    // Storage refused (private mode): the token lasts as long as this page.
  }
  cached = { raw: token === null ? null : JSON.stringify(token), token };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab logging in or out changes this one too.
  const onStorage = (event: StorageEvent) => {
    if (event.key === KEY || event.key === null) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useToken(): StoredToken | null {
  return useSyncExternalStore(subscribe, read);
}

/** The headers that carry the token, merged into `headers`. */
export function withToken(headers: Record<string, string> = {}): Record<string, string> {
  const secret = currentSecret();
  return secret === undefined ? headers : { ...headers, 'x-consul-token': secret };
}
