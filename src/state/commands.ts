// The commands the FSM applies. Every state change is one of these inside a Raft log entry.
// Encoded with msgpackr; the `type` tag selects the apply function in fsm.ts.
import type { KvTxnOp } from './types';

export interface KvSetCommand {
  type: 'kv-set';
  key: string;
  value: Uint8Array;
  flags: bigint;
  /** `cas` semantics when present: 0 = only if absent, N = only if ModifyIndex == N. */
  cas?: number;
}

export interface KvDeleteCommand {
  type: 'kv-delete';
  key: string;
  /** `delete-cas` semantics when present. */
  cas?: number;
}

export interface KvDeleteTreeCommand {
  type: 'kv-delete-tree';
  prefix: string;
}

export interface TxnCommand {
  type: 'txn';
  ops: KvTxnOp[];
}

/** Leader duty: drop tombstones whose index is <= `upto` (they outlived tombstone_ttl). */
export interface TombstoneReapCommand {
  type: 'tombstone-reap';
  upto: number;
}

export type Command =
  KvSetCommand | KvDeleteCommand | KvDeleteTreeCommand | TxnCommand | TombstoneReapCommand;
