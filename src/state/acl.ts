// The ACL tables (Consul's state/acl.go): tokens by AccessorID with a SecretID index, policies
// and roles by ID with a name index, and the bootstrap mark. Rows are checked by the endpoint
// before they are proposed; the apply functions keep the uniqueness invariants (one secret per
// token, one name per policy and role) so that every replica refuses the same writes.
import type { OrderedTable } from './ordered-table';
import { tableIndex, type ReadTxn, type WriteTxn } from './tables';
import type { ReadResult } from './types';

export interface AclLink {
  id: string;
}

export interface AclServiceIdentity {
  serviceName: string;
  datacenters: string[];
}

export interface AclNodeIdentity {
  nodeName: string;
  datacenter: string;
}

export interface AclTokenRecord {
  accessorId: string;
  secretId: string;
  description: string;
  policies: AclLink[];
  roles: AclLink[];
  serviceIdentities: AclServiceIdentity[];
  nodeIdentities: AclNodeIdentity[];
  local: boolean;
  /** RFC 3339, or null when the token never expires. */
  expirationTime: string | null;
  createTime: string;
  hash: string;
  createIndex: number;
  modifyIndex: number;
}

export interface AclPolicyRecord {
  id: string;
  name: string;
  description: string;
  rules: string;
  datacenters: string[];
  hash: string;
  createIndex: number;
  modifyIndex: number;
}

export interface AclRoleRecord {
  id: string;
  name: string;
  description: string;
  policies: AclLink[];
  serviceIdentities: AclServiceIdentity[];
  nodeIdentities: AclNodeIdentity[];
  hash: string;
  createIndex: number;
  modifyIndex: number;
}

export interface AclTables {
  aclTokens: OrderedTable<AclTokenRecord>;
  /** SecretID → AccessorID. */
  aclTokenSecrets: OrderedTable<string>;
  aclPolicies: OrderedTable<AclPolicyRecord>;
  /** Policy name → ID. */
  aclPolicyNames: OrderedTable<string>;
  aclRoles: OrderedTable<AclRoleRecord>;
  /** Role name → ID. */
  aclRoleNames: OrderedTable<string>;
}

/** The outcome of an ACL write: ok, or Consul's error text. */
export type AclResult = { ok: true } | { ok: false; error: string };

/** Bootstrap: allowed once, or again with the reset index Consul printed. */
export type AclBootstrapResult =
  | { ok: true }
  | {
      ok: false;
      error: string;
      /** Set when refused because bootstrap already happened. */ resetIndex?: number;
    };

const OK: AclResult = { ok: true };

export function aclTokenSetTxn(tx: WriteTxn, token: AclTokenRecord): AclResult {
  const { aclTokens, aclTokenSecrets } = tx.tables;
  const owner = aclTokenSecrets.get(token.secretId);
  if (owner !== undefined && owner !== token.accessorId) {
    return { ok: false, error: 'Invalid Token: SecretID is already in use' };
  }
  const previous = aclTokens.get(token.accessorId);
  if (previous !== undefined && previous.secretId !== token.secretId) {
    return { ok: false, error: 'Cannot change the SecretID of an existing token' };
  }
  const row = {
    ...token,
    createIndex: previous?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  tx.put(aclTokens, token.accessorId, row);
  tx.put(aclTokenSecrets, token.secretId, token.accessorId);
  tx.touchIndex('acl-tokens');
  return OK;
}

export function aclTokenDeleteTxn(tx: WriteTxn, accessorId: string): AclResult {
  const previous = tx.tables.aclTokens.get(accessorId);
  if (previous === undefined) return OK;
  tx.remove(tx.tables.aclTokens, accessorId);
  tx.remove(tx.tables.aclTokenSecrets, previous.secretId);
  tx.touchIndex('acl-tokens');
  return OK;
}

export function aclPolicySetTxn(tx: WriteTxn, policy: AclPolicyRecord): AclResult {
  const { aclPolicies, aclPolicyNames } = tx.tables;
  const named = aclPolicyNames.get(policy.name);
  if (named !== undefined && named !== policy.id) {
    return {
      ok: false,
      error: `Invalid Policy: A Policy with Name "${policy.name}" already exists`,
    };
  }
  const previous = aclPolicies.get(policy.id);
  if (previous !== undefined && previous.name !== policy.name) {
    tx.remove(aclPolicyNames, previous.name);
  }
  tx.put(aclPolicies, policy.id, {
    ...policy,
    createIndex: previous?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  });
  tx.put(aclPolicyNames, policy.name, policy.id);
  tx.touchIndex('acl-policies');
  return OK;
}

export function aclPolicyDeleteTxn(tx: WriteTxn, id: string): AclResult {
  const previous = tx.tables.aclPolicies.get(id);
  if (previous === undefined) return OK;
  tx.remove(tx.tables.aclPolicies, id);
  tx.remove(tx.tables.aclPolicyNames, previous.name);
  tx.touchIndex('acl-policies');
  return OK;
}

export function aclRoleSetTxn(tx: WriteTxn, role: AclRoleRecord): AclResult {
  const { aclRoles, aclRoleNames } = tx.tables;
  const named = aclRoleNames.get(role.name);
  if (named !== undefined && named !== role.id) {
    return { ok: false, error: `Invalid Role: A Role with Name "${role.name}" already exists` };
  }
  const previous = aclRoles.get(role.id);
  if (previous !== undefined && previous.name !== role.name) tx.remove(aclRoleNames, previous.name);
  tx.put(aclRoles, role.id, {
    ...role,
    createIndex: previous?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  });
  tx.put(aclRoleNames, role.name, role.id);
  tx.touchIndex('acl-roles');
  return OK;
}

export function aclRoleDeleteTxn(tx: WriteTxn, id: string): AclResult {
  const previous = tx.tables.aclRoles.get(id);
  if (previous === undefined) return OK;
  tx.remove(tx.tables.aclRoles, id);
  tx.remove(tx.tables.aclRoleNames, previous.name);
  tx.touchIndex('acl-roles');
  return OK;
}

/**
 * Consul's ACLBootstrap: only while no bootstrap happened, or when `resetIndex` names the index
 * of the last one (the operator wrote it into acl-bootstrap-reset).
 */
export function aclBootstrapTxn(
  tx: WriteTxn,
  token: AclTokenRecord,
  resetIndex: number,
): AclBootstrapResult {
  const done = tableIndex(tx.tables, 'acl-bootstrap');
  if (done !== 0 && resetIndex !== done) {
    return {
      ok: false,
      error: `ACL bootstrap no longer allowed (reset index: ${done})`,
      resetIndex: done,
    };
  }
  const written = aclTokenSetTxn(tx, token);
  if (!written.ok) return written;
  tx.touchIndex('acl-bootstrap');
  return { ok: true };
}

/**
 * The leader's ACL initialisation: the built-in policies and the anonymous token when absent,
 * and the initial management token from the configuration (which counts as the bootstrap).
 */
export function aclInitTxn(
  tx: WriteTxn,
  policies: readonly AclPolicyRecord[],
  tokens: readonly AclTokenRecord[],
  bootstrapped: boolean,
): AclResult {
  for (const policy of policies) {
    if (tx.tables.aclPolicies.get(policy.id) === undefined) {
      const written = aclPolicySetTxn(tx, policy);
      if (!written.ok) return written;
    }
  }
  for (const token of tokens) {
    const known =
      tx.tables.aclTokens.get(token.accessorId) !== undefined ||
      tx.tables.aclTokenSecrets.get(token.secretId) !== undefined;
    if (!known) {
      const written = aclTokenSetTxn(tx, token);
      if (!written.ok) return written;
    }
  }
  if (bootstrapped && tableIndex(tx.tables, 'acl-bootstrap') === 0) tx.touchIndex('acl-bootstrap');
  return OK;
}

/** Reads of the ACL tables; every answer carries the index of the table it read. */
export class AclReads {
  constructor(private readonly reader: () => ReadTxn) {}

  tokenBySecret(secretId: string): AclTokenRecord | null {
    const { aclTokenSecrets, aclTokens } = this.reader().tables;
    const accessor = aclTokenSecrets.get(secretId);
    return accessor === undefined ? null : (aclTokens.get(accessor) ?? null);
  }

  token(accessorId: string): ReadResult<AclTokenRecord | null> {
    const tables = this.reader().tables;
    return indexed(tables.aclTokens.get(accessorId) ?? null, tableIndex(tables, 'acl-tokens'));
  }

  tokens(): ReadResult<AclTokenRecord[]> {
    const tables = this.reader().tables;
    const rows = [...tables.aclTokens.scanPrefix('')].map(([, row]) => row);
    return indexed(rows, tableIndex(tables, 'acl-tokens'));
  }

  policy(id: string): ReadResult<AclPolicyRecord | null> {
    const tables = this.reader().tables;
    return indexed(tables.aclPolicies.get(id) ?? null, tableIndex(tables, 'acl-policies'));
  }

  policyByName(name: string): ReadResult<AclPolicyRecord | null> {
    const id = this.reader().tables.aclPolicyNames.get(name);
    return id === undefined
      ? indexed(null, tableIndex(this.reader().tables, 'acl-policies'))
      : this.policy(id);
  }

  policies(): ReadResult<AclPolicyRecord[]> {
    const tables = this.reader().tables;
    const rows = [...tables.aclPolicies.scanPrefix('')].map(([, row]) => row);
    return indexed(rows, tableIndex(tables, 'acl-policies'));
  }

  role(id: string): ReadResult<AclRoleRecord | null> {
    const tables = this.reader().tables;
    return indexed(tables.aclRoles.get(id) ?? null, tableIndex(tables, 'acl-roles'));
  }

  roleByName(name: string): ReadResult<AclRoleRecord | null> {
    const id = this.reader().tables.aclRoleNames.get(name);
    return id === undefined
      ? indexed(null, tableIndex(this.reader().tables, 'acl-roles'))
      : this.role(id);
  }

  roles(): ReadResult<AclRoleRecord[]> {
    const tables = this.reader().tables;
    const rows = [...tables.aclRoles.scanPrefix('')].map(([, row]) => row);
    return indexed(rows, tableIndex(tables, 'acl-roles'));
  }

  /** The index of the last bootstrap (0: never bootstrapped). */
  bootstrapIndex(): number {
    return tableIndex(this.reader().tables, 'acl-bootstrap');
  }

  /** Rises whenever a token, policy or role changes: resolved tokens are cached against it. */
  generation(): number {
    const tables = this.reader().tables;
    return Math.max(
      tableIndex(tables, 'acl-tokens'),
      tableIndex(tables, 'acl-policies'),
      tableIndex(tables, 'acl-roles'),
    );
  }
}

function indexed<T>(value: T, index: number): ReadResult<T> {
  return { value, index: index === 0 ? 1 : index };
}
