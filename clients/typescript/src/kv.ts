// `/v1/kv`: reads return `{ data, meta }` (missing key or prefix → undefined / [] with the 404's
// index, so a watch can block until it appears); writes return Consul's true/false.
import {
  encodeKeyPath,
  type QueryOptions,
  type QueryResult,
  type RequestOptions,
  type Transport,
} from './transport';
import type { KVPair } from './types';

export interface KVPutOptions extends RequestOptions {
  /** uint64 Flags stored with the value. */
  flags?: bigint | number;
  /** Check-and-set: 0 = only if absent, N = only if ModifyIndex is N. */
  cas?: number;
  /** Acquire the lock for this session. */
  acquire?: string;
  /** Release the lock held by this session. */
  release?: string;
}

export interface KVDeleteOptions extends RequestOptions {
  /** Delete every key with this prefix. */
  recurse?: boolean;
  /** Delete only if ModifyIndex is this. */
  cas?: number;
}

export interface KVKeysOptions extends QueryOptions {
  /** Truncate keys after the first separator following the prefix (folders). */
  separator?: string;
}

export class KV {
  constructor(private readonly transport: Transport) {}

  /** One entry, or `undefined` when the key does not exist. */
  get(key: string, options?: QueryOptions): Promise<QueryResult<KVPair | undefined>> {
    return this.transport
      .query<KVPair[] | undefined>(
        { method: 'GET', path: `/v1/kv/${encodeKeyPath(key)}`, options },
        () => undefined,
      )
      .then(({ data, meta }) => ({ data: data?.[0], meta }));
  }

  /** Every entry whose key starts with `prefix` (plain string prefix), sorted; `[]` if none. */
  list(prefix: string, options?: QueryOptions): Promise<QueryResult<KVPair[]>> {
    return this.transport.query<KVPair[]>(
      {
        method: 'GET',
        path: `/v1/kv/${encodeKeyPath(prefix)}`,
        query: { recurse: true },
        options,
      },
      () => [],
    );
  }

  /** Key names under `prefix` (folders when `separator` is given); `[]` if none. */
  keys(prefix: string, options?: KVKeysOptions): Promise<QueryResult<string[]>> {
    return this.transport.query<string[]>(
      {
        method: 'GET',
        path: `/v1/kv/${encodeKeyPath(prefix)}`,
        query: { keys: true, separator: options?.separator },
        options,
      },
      () => [],
    );
  }

  /** Stores `value`; false when a cas/acquire/release condition did not hold. */
  async put(key: string, value: string | Uint8Array, options: KVPutOptions = {}): Promise<boolean> {
    const result = await this.transport.write<boolean>({
      method: 'PUT',
      path: `/v1/kv/${encodeKeyPath(key)}`,
      query: {
        flags: options.flags,
        cas: options.cas,
        acquire: options.acquire,
        release: options.release,
      },
      body: value,
      options,
    });
    return result === true;
  }

  /** Deletes a key (or a prefix with `recurse`); false when the cas index did not match. */
  async delete(key: string, options: KVDeleteOptions = {}): Promise<boolean> {
    const result = await this.transport.write<boolean>({
      method: 'DELETE',
      path: `/v1/kv/${encodeKeyPath(key)}`,
      query: { recurse: options.recurse, cas: options.cas },
      options,
    });
    return result === true;
  }
}

/** The decoded bytes of an entry's value (`null` for an empty value). */
export function kvValue(pair: KVPair | undefined): Buffer | null {
  return pair?.Value ? Buffer.from(pair.Value, 'base64') : null;
}

/** The entry's value as UTF-8 text (`''` for an empty value, undefined for no entry). */
export function kvText(pair: KVPair | undefined): string | undefined {
  if (pair === undefined) return undefined;
  return kvValue(pair)?.toString('utf8') ?? '';
}
