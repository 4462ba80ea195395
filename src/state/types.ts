// Contracts of the state store: what the FSM writes and what readers (HTTP, DNS, renderer) read.

/** A KV row. `flags` is a uint64 kept as bigint so that values above 2^53 round-trip exactly. */
export interface KvEntry {
  key: string;
  value: Uint8Array;
  flags: bigint;
  session: string | null;
  lockIndex: number;
  createIndex: number;
  modifyIndex: number;
}

/**
 * What a read observed. `index` follows Consul's rule: the max ModifyIndex of the rows read
 * (tombstones included for prefixes), else the table index; never 0.
 */
export interface ReadResult<T> {
  value: T;
  index: number;
}

/**
 * Collects what a read touched so a blocking query can wait on exactly that.
 * `wait` resolves true when something it watches changed, false on timeout or abort.
 */
export interface WatchSet {
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

/** KV operations inside a transaction (Consul's /v1/txn KV verbs). */
export const KV_VERBS = [
  'set',
  'cas',
  'lock',
  'unlock',
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
  'delete',
  'delete-tree',
  'delete-cas',
] as const;

export type KvVerb = (typeof KV_VERBS)[number];

export interface KvTxnOp {
  verb: KvVerb;
  key: string;
  value?: Uint8Array;
  flags?: bigint;
  index?: number;
  session?: string;
}

export interface TxnError {
  opIndex: number;
  what: string;
}

export interface TxnResult {
  /** Present when every op succeeded. One entry per result-bearing op, in op order. */
  results: { kv: KvEntry }[] | null;
  errors: TxnError[] | null;
}

/** What a session create answers: ok, or Consul's error text. */
export type SessionResult = { ok: true } | { ok: false; error: string };
