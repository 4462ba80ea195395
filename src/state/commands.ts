// The commands the FSM applies. Every state change is one of these inside a Raft log entry.
// Encoded with msgpackr; the `type` tag selects the apply function in fsm.ts.
import type { AclPolicyRecord, AclRoleRecord, AclTokenRecord } from './acl';
import type { CatalogSyncOp } from './catalog-register';
import type { MixedTxnOp } from './catalog-txn';
import type { Deregistration, Registration } from './catalog-types';
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

/** A /v1/txn batch that holds Node/Service/Check ops besides (or instead of) KV ops. */
export interface MixedTxnCommand {
  type: 'txn-mixed';
  ops: MixedTxnOp[];
}

/** Leader duty: drop tombstones whose index is <= `upto` (they outlived tombstone_ttl). */
export interface TombstoneReapCommand {
  type: 'tombstone-reap';
  upto: number;
}

/** Consul's RegisterRequest: a node, optionally a service, and checks, all or nothing. */
export interface CatalogRegisterCommand {
  type: 'catalog-register';
  registration: Registration;
}

/** Consul's DeregisterRequest: node + serviceID | node + checkID | node. */
export interface CatalogDeregisterCommand {
  type: 'catalog-deregister';
  deregistration: Deregistration;
}

/**
 * Anti-entropy's repair of one node in one Raft entry: registrations and deregistrations
 * applied in order, all or nothing.
 */
export interface CatalogSyncCommand {
  type: 'catalog-sync';
  node: string;
  ops: CatalogSyncOp[];
}

/** ACL writes (tokens, policies, roles), each checked by the ACL endpoint before proposing. */
export type AclCommand =
  | { type: 'acl-token-set'; token: AclTokenRecord }
  | { type: 'acl-token-delete'; accessorId: string }
  | { type: 'acl-policy-set'; policy: AclPolicyRecord }
  | { type: 'acl-policy-delete'; id: string }
  | { type: 'acl-role-set'; role: AclRoleRecord }
  | { type: 'acl-role-delete'; id: string }
  /** `resetIndex`: 0, or the index the operator wrote into acl-bootstrap-reset. */
  | { type: 'acl-bootstrap'; token: AclTokenRecord; resetIndex: number }
  /** The leader's initialisation: built-ins and configured tokens, each only when absent. */
  | {
      type: 'acl-init';
      policies: AclPolicyRecord[];
      tokens: AclTokenRecord[];
      bootstrapped: boolean;
    };

export type Command =
  | AclCommand
  | KvSetCommand
  | KvDeleteCommand
  | KvDeleteTreeCommand
  | TxnCommand
  | MixedTxnCommand
  | TombstoneReapCommand
  | CatalogRegisterCommand
  | CatalogDeregisterCommand
  | CatalogSyncCommand;
