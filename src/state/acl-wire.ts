// ACL rows and commands on the wire (Raft entries and snapshots), checked field by field.
import type {
  AclLink,
  AclNodeIdentity,
  AclPolicyRecord,
  AclRoleRecord,
  AclServiceIdentity,
  AclTokenRecord,
} from './acl';
import type { AclCommand } from './commands';
import {
  readArray,
  readBool,
  readIndex,
  readNullableString,
  readObject,
  readString,
  readStringArray,
  WireError,
  type Fields,
} from './wire';

export function readTokenRow(raw: unknown, field: string): AclTokenRecord {
  const f = readObject(raw, field);
  return {
    accessorId: readString(f.accessorId, `${field}.accessorId`),
    secretId: readString(f.secretId, `${field}.secretId`),
    description: readString(f.description, `${field}.description`),
    policies: readLinks(f.policies, `${field}.policies`),
    roles: readLinks(f.roles, `${field}.roles`),
    serviceIdentities: readServiceIdentities(f.serviceIdentities, `${field}.serviceIdentities`),
    nodeIdentities: readNodeIdentities(f.nodeIdentities, `${field}.nodeIdentities`),
    local: readBool(f.local, `${field}.local`),
    expirationTime: readNullableString(f.expirationTime, `${field}.expirationTime`),
    createTime: readString(f.createTime, `${field}.createTime`),
    hash: readString(f.hash, `${field}.hash`),
    createIndex: readIndex(f.createIndex, `${field}.createIndex`),
    modifyIndex: readIndex(f.modifyIndex, `${field}.modifyIndex`),
  };
}

export function readPolicyRow(raw: unknown, field: string): AclPolicyRecord {
  const f = readObject(raw, field);
  return {
    id: readString(f.id, `${field}.id`),
    name: readString(f.name, `${field}.name`),
    description: readString(f.description, `${field}.description`),
    rules: readString(f.rules, `${field}.rules`),
    datacenters: readStringArray(f.datacenters, `${field}.datacenters`),
    hash: readString(f.hash, `${field}.hash`),
    createIndex: readIndex(f.createIndex, `${field}.createIndex`),
    modifyIndex: readIndex(f.modifyIndex, `${field}.modifyIndex`),
  };
}

export function readRoleRow(raw: unknown, field: string): AclRoleRecord {
  const f = readObject(raw, field);
  return {
    id: readString(f.id, `${field}.id`),
    name: readString(f.name, `${field}.name`),
    description: readString(f.description, `${field}.description`),
    policies: readLinks(f.policies, `${field}.policies`),
    serviceIdentities: readServiceIdentities(f.serviceIdentities, `${field}.serviceIdentities`),
    nodeIdentities: readNodeIdentities(f.nodeIdentities, `${field}.nodeIdentities`),
    hash: readString(f.hash, `${field}.hash`),
    createIndex: readIndex(f.createIndex, `${field}.createIndex`),
    modifyIndex: readIndex(f.modifyIndex, `${field}.modifyIndex`),
  };
}

/** A fresh, checked ACL command, or null when `type` is not one. */
export function parseAclCommand(type: string, fields: Fields): AclCommand | null {
  switch (type) {
    case 'acl-token-set':
      return { type, token: readTokenRow(fields.token, `${type}.token`) };
    case 'acl-token-delete':
      return { type, accessorId: readString(fields.accessorId, `${type}.accessorId`) };
    case 'acl-policy-set':
      return { type, policy: readPolicyRow(fields.policy, `${type}.policy`) };
    case 'acl-policy-delete':
    case 'acl-role-delete':
      return { type, id: readString(fields.id, `${type}.id`) };
    case 'acl-role-set':
      return { type, role: readRoleRow(fields.role, `${type}.role`) };
    case 'acl-bootstrap':
      return {
        type,
        token: readTokenRow(fields.token, `${type}.token`),
        resetIndex: readIndex(fields.resetIndex, `${type}.resetIndex`),
      };
    case 'acl-init':
      return {
        type,
        policies: readArray(fields.policies, `${type}.policies`).map((row, i) =>
          readPolicyRow(row, `${type}.policies[${i}]`),
        ),
        tokens: readArray(fields.tokens, `${type}.tokens`).map((row, i) =>
          readTokenRow(row, `${type}.tokens[${i}]`),
        ),
        bootstrapped: readBool(fields.bootstrapped, `${type}.bootstrapped`),
      };
    default:
      return null;
  }
}

function readLinks(raw: unknown, field: string): AclLink[] {
  return readArray(raw, field).map((item, i) => ({
    id: readString(readObject(item, `${field}[${i}]`).id, `${field}[${i}].id`),
  }));
}

function readServiceIdentities(raw: unknown, field: string): AclServiceIdentity[] {
  return readArray(raw, field).map((item, i) => {
    const f = readObject(item, `${field}[${i}]`);
    return {
      serviceName: readString(f.serviceName, `${field}[${i}].serviceName`),
      datacenters: readStringArray(f.datacenters, `${field}[${i}].datacenters`),
    };
  });
}

function readNodeIdentities(raw: unknown, field: string): AclNodeIdentity[] {
  return readArray(raw, field).map((item, i) => {
    const f = readObject(item, `${field}[${i}]`);
    return {
      nodeName: readString(f.nodeName, `${field}[${i}].nodeName`),
      datacenter: readString(f.datacenter, `${field}[${i}].datacenter`),
    };
  });
}

/** Snapshot section: every token, policy and role (name and secret indexes are rebuilt). */
export interface AclSnapshotSection {
  tokens: AclTokenRecord[];
  policies: AclPolicyRecord[];
  roles: AclRoleRecord[];
}

export function readAclSection(raw: unknown, field: string): AclSnapshotSection {
  if (raw === undefined) return { tokens: [], policies: [], roles: [] };
  const f = readObject(raw, field);
  const section = {
    tokens: readArray(f.tokens, `${field}.tokens`).map((row, i) =>
      readTokenRow(row, `${field}.tokens[${i}]`),
    ),
    policies: readArray(f.policies, `${field}.policies`).map((row, i) =>
      readPolicyRow(row, `${field}.policies[${i}]`),
    ),
    roles: readArray(f.roles, `${field}.roles`).map((row, i) =>
      readRoleRow(row, `${field}.roles[${i}]`),
    ),
  };
  const secrets = new Set(section.tokens.map((token) => token.secretId));
  if (secrets.size !== section.tokens.length) {
    throw new WireError(`${field}.tokens holds a SecretID more than once`);
  }
  return section;
}
