// Building the rows the ACL tables store: fresh IDs, creation times and Consul-style hashes
// (base64 of a digest over the fields that decide what the object grants).
import { createHash, randomUUID } from 'node:crypto';

import type { AclPolicyRecord, AclRoleRecord, AclTokenRecord } from '../state';
import {
  ANONYMOUS_TOKEN_ID,
  ANONYMOUS_TOKEN_SECRET,
  GLOBAL_MANAGEMENT_POLICY_ID,
  GLOBAL_MANAGEMENT_POLICY_NAME,
  GLOBAL_MANAGEMENT_RULES,
  GLOBAL_READ_ONLY_POLICY_ID,
  GLOBAL_READ_ONLY_POLICY_NAME,
  GLOBAL_READ_ONLY_RULES,
} from './builtins';

export function newId(): string {
  return randomUUID();
}

function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64');
}

export function tokenHash(token: Omit<AclTokenRecord, 'hash'>): string {
  return digest([
    token.description,
    token.policies,
    token.roles,
    token.serviceIdentities,
    token.nodeIdentities,
    token.local,
  ]);
}

export function policyHash(policy: Omit<AclPolicyRecord, 'hash'>): string {
  return digest([policy.name, policy.description, policy.rules, policy.datacenters]);
}

export function roleHash(role: Omit<AclRoleRecord, 'hash'>): string {
  return digest([
    role.name,
    role.description,
    role.policies,
    role.serviceIdentities,
    role.nodeIdentities,
  ]);
}

/** A token row with its hash; indexes are stamped by the FSM. */
export function tokenRecord(
  fields: Omit<AclTokenRecord, 'hash' | 'createIndex' | 'modifyIndex' | 'createTime'> & {
    createTime?: string;
  },
): AclTokenRecord {
  const row = {
    ...fields,
    createTime: fields.createTime ?? new Date().toISOString(),
    createIndex: 0,
    modifyIndex: 0,
  };
  return { ...row, hash: tokenHash(row) };
}

export function policyRecord(
  fields: Omit<AclPolicyRecord, 'hash' | 'createIndex' | 'modifyIndex'>,
): AclPolicyRecord {
  const row = { ...fields, createIndex: 0, modifyIndex: 0 };
  return { ...row, hash: policyHash(row) };
}

export function roleRecord(
  fields: Omit<AclRoleRecord, 'hash' | 'createIndex' | 'modifyIndex'>,
): AclRoleRecord {
  const row = { ...fields, createIndex: 0, modifyIndex: 0 };
  return { ...row, hash: roleHash(row) };
}

export function builtinPolicies(): AclPolicyRecord[] {
  return [
    policyRecord({
      id: GLOBAL_MANAGEMENT_POLICY_ID,
      name: GLOBAL_MANAGEMENT_POLICY_NAME,
      description: 'Builtin Policy that grants unlimited access',
      rules: GLOBAL_MANAGEMENT_RULES,
      datacenters: [],
    }),
    policyRecord({
      id: GLOBAL_READ_ONLY_POLICY_ID,
      name: GLOBAL_READ_ONLY_POLICY_NAME,
      description: 'Builtin Policy that grants unlimited read access',
      rules: GLOBAL_READ_ONLY_RULES,
      datacenters: [],
    }),
  ];
}

export function anonymousToken(): AclTokenRecord {
  return tokenRecord({
    accessorId: ANONYMOUS_TOKEN_ID,
    secretId: ANONYMOUS_TOKEN_SECRET,
    description: 'Anonymous Token',
    policies: [],
    roles: [],
    serviceIdentities: [],
    nodeIdentities: [],
    local: false,
    expirationTime: null,
  });
}

/** A token linked to global-management (bootstrap and initial management tokens). */
export function managementToken(
  secretId: string,
  description: string,
  accessorId: string = newId(),
): AclTokenRecord {
  return tokenRecord({
    accessorId,
    secretId,
    description,
    policies: [{ id: GLOBAL_MANAGEMENT_POLICY_ID }],
    roles: [],
    serviceIdentities: [],
    nodeIdentities: [],
    local: false,
    expirationTime: null,
  });
}
