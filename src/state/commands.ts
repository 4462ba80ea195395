// The commands the FSM applies. Every state change is one of these inside a Raft log entry.
// Encoded with msgpackr; the `type` tag selects the apply function in fsm.ts.
import type { CoordinateUpdate } from '../coordinate';
import type { AclPolicyRecord, AclRoleRecord, AclTokenRecord } from './acl';
import type { CatalogSyncOp } from './catalog-register';
import type { MixedTxnOp } from './catalog-txn';
import type { Deregistration, Registration } from './catalog-types';
import type { PreparedQueryOp, PreparedQueryWrite } from './prepared-query-types';
import type { SessionWrite } from './session-types';
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
/** One piece of a snapshot being restored (state.bin bytes at `offset`); see restore.ts. */
export interface SnapshotChunkCommand {
  type: 'snapshot-chunk';
  /** Names the restore: chunks of another one are refused. */
  restore: string;
  offset: number;
  data: Uint8Array;
}

/** Replaces the whole state with the staged snapshot when it has `size` bytes and `sha256`. */
export interface SnapshotRestoreCommand {
  type: 'snapshot-restore';
  restore: string;
  size: number;
  /** Hex SHA-256 of the staged state.bin, as the archive's SHA256SUMS listed it. */
  sha256: string;
}

/** Autopilot's settings as Consul stores them (durations in milliseconds here). */
export interface AutopilotValues {
  cleanupDeadServers: boolean;
  lastContactThresholdMs: number;
  maxTrailingLogs: number;
  minQuorum: number;
  serverStabilizationTimeMs: number;
}

/** Autopilot's configuration (Consul's AutopilotSetConfig / AutopilotCASConfig). */
export interface AutopilotSetCommand {
  type: 'autopilot-set';
  config: AutopilotValues;
  /** Only if the stored ModifyIndex equals it. */
  cas?: number;
  /** Only if none is stored yet (the leader seeding it from the agent's `autopilot {}`). */
  seed?: boolean;
}

/** Consul's SessionRequest with Op create: the ID was chosen by the server that proposed it. */
export interface SessionCreateCommand {
  type: 'session-create';
  session: SessionWrite;
}

/** Consul's SessionRequest with Op destroy (explicit, or the leader's TTL timer). */
export interface SessionDestroyCommand {
  type: 'session-destroy';
  id: string;
}

/**
 * Consul's PreparedQueryRequest: create and update store `query` (its ID chosen by the server
 * that proposed a create), delete removes the query with `query.id`.
 */
export interface PreparedQueryApplyCommand {
  type: 'prepared-query-apply';
  op: PreparedQueryOp;
  query: PreparedQueryWrite;
}

/** Consul's Coordinate.BatchUpdate: a server's flush of the coordinates agents sent. */
export interface CoordinateBatchUpdateCommand {
  type: 'coordinate-batch-update';
  updates: CoordinateUpdate[];
}

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
  | CatalogSyncCommand
  | SnapshotChunkCommand
  | SnapshotRestoreCommand
  | AutopilotSetCommand
  | SessionCreateCommand
  | SessionDestroyCommand
  | PreparedQueryApplyCommand
  | CoordinateBatchUpdateCommand;
