// Cluster-wide keyring operations (serf keymanager.go): a keyring query to every member, and the
// answers tallied. Failures are reported in the result (error) and not thrown, because callers
// (the keyring endpoint) show the per-node messages either way.
import { decodeKey } from './keyring-file';
import { decodeKeyResponse, encodeKeyRequest, MessageType } from './messages';
import {
  INSTALL_KEY_QUERY,
  LIST_KEYS_QUERY,
  REMOVE_KEY_QUERY,
  USE_KEY_QUERY,
} from './internal-queries';
import type { Serf } from './serf';

export interface KeyResponse {
  /** node → message (errors, and warnings such as a truncated key list) */
  messages: Record<string, string>;
  /** base64 key → number of nodes holding it */
  keys: Record<string, number>;
  /** base64 key → number of nodes using it as primary */
  primaryKeys: Record<string, number>;
  numNodes: number;
  numResp: number;
  numErr: number;
  /** serf's error text (`%d/%d nodes reported failure` …), null when every node succeeded. */
  error: string | null;
}

export interface KeyRequestOptions {
  relayFactor?: number;
}

export class KeyManager {
  // serf serialises keyring changes (and lets lists run together); one at a time is enough here.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly serf: Serf) {}

  installKey(key: string, opts: KeyRequestOptions = {}): Promise<KeyResponse> {
    return this.serialised(() => this.request(key, INSTALL_KEY_QUERY, opts));
  }

  useKey(key: string, opts: KeyRequestOptions = {}): Promise<KeyResponse> {
    return this.serialised(() => this.request(key, USE_KEY_QUERY, opts));
  }

  removeKey(key: string, opts: KeyRequestOptions = {}): Promise<KeyResponse> {
    return this.serialised(() => this.request(key, REMOVE_KEY_QUERY, opts));
  }

  listKeys(opts: KeyRequestOptions = {}): Promise<KeyResponse> {
    return this.serialised(() => this.request(null, LIST_KEYS_QUERY, opts));
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async request(
    key: string | null,
    query: string,
    opts: KeyRequestOptions,
  ): Promise<KeyResponse> {
    const resp: KeyResponse = {
      messages: {},
      keys: {},
      primaryKeys: {},
      numNodes: 0,
      numResp: 0,
      numErr: 0,
      error: null,
    };
    const raw = key === null ? null : decodeKeyLenient(key);
    const q = await this.serf.query(query, encodeKeyRequest(raw), {
      relayFactor: opts.relayFactor ?? 0,
    });
    resp.numNodes = this.serf.numMembers();
    await new Promise<void>((resolve) => {
      q.onResponse((r) => {
        resp.numResp++;
        if (r.payload.length < 1 || r.payload[0] !== MessageType.KeyResponse) {
          resp.messages[r.from] =
            `Invalid key query response type: ${Array.from(r.payload).join(' ')}`;
          resp.numErr++;
        } else {
          try {
            const nr = decodeKeyResponse(r.payload.subarray(1));
            if (!nr.result) {
              resp.messages[r.from] = nr.message;
              resp.numErr++;
            } else if (nr.message.length > 0) resp.messages[r.from] = nr.message;
            for (const k of nr.keys) resp.keys[k] = (resp.keys[k] ?? 0) + 1;
            resp.primaryKeys[nr.primaryKey] = (resp.primaryKeys[nr.primaryKey] ?? 0) + 1;
          } catch {
            resp.messages[r.from] =
              `Failed to decode key query response: ${Array.from(r.payload).join(' ')}`;
            resp.numErr++;
          }
        }
        if (resp.numResp === resp.numNodes) resolve();
      });
      void q.done().then(resolve);
    });
    if (resp.numErr !== 0) resp.error = `${resp.numErr}/${resp.numNodes} nodes reported failure`;
    else if (resp.numResp !== resp.numNodes)
      resp.error = `${resp.numResp}/${resp.numNodes} nodes reported success`;
    return resp;
  }
}

/** The key as the query carries it: serf sends whatever base64 decodes to; nodes judge the size. */
function decodeKeyLenient(key: string): Uint8Array {
  try {
    return decodeKey(key);
  } catch (err) {
    if ((err as Error).message.includes('key size'))
      return new Uint8Array(Buffer.from(key, 'base64'));
    throw err;
  }
}
