// ACL objects as Consul's API writes them (structs.ACLToken, ACLPolicy, ACLRole and their list
// stubs): empty link lists and identities are omitted, links carry the current names.
import type {
  AclLink,
  AclNodeIdentity,
  AclPolicyRecord,
  AclReads,
  AclRoleRecord,
  AclServiceIdentity,
  AclTokenRecord,
} from '../state';
import type { JsonValue } from './json';

type JsonObject = Record<string, JsonValue | undefined>;

/** What Consul shows instead of a secret to a token without acl:write. */
export const HIDDEN_SECRET = '<hidden>';

function policyLinks(reads: AclReads, links: readonly AclLink[]): JsonValue | undefined {
  if (links.length === 0) return undefined;
  // A link to a deleted policy disappears from the answer, as in Consul.
  const out: JsonValue[] = [];
  for (const link of links) {
    const policy = reads.policy(link.id).value;
    if (policy !== null) out.push({ ID: policy.id, Name: policy.name });
  }
  return out;
}

function roleLinks(reads: AclReads, links: readonly AclLink[]): JsonValue | undefined {
  if (links.length === 0) return undefined;
  const out: JsonValue[] = [];
  for (const link of links) {
    const role = reads.role(link.id).value;
    if (role !== null) out.push({ ID: role.id, Name: role.name });
  }
  return out;
}

function serviceIdentitiesJson(ids: readonly AclServiceIdentity[]): JsonValue | undefined {
  if (ids.length === 0) return undefined;
  return ids.map((id) => ({
    ServiceName: id.serviceName,
    Datacenters: id.datacenters.length === 0 ? undefined : id.datacenters,
  }));
}

function nodeIdentitiesJson(ids: readonly AclNodeIdentity[]): JsonValue | undefined {
  if (ids.length === 0) return undefined;
  return ids.map((id) => ({ NodeName: id.nodeName, Datacenter: id.datacenter }));
}

export function tokenJson(
  reads: AclReads,
  token: AclTokenRecord,
  showSecret: boolean,
  legacyId = false,
): JsonObject {
  const secret = showSecret ? token.secretId : HIDDEN_SECRET;
  return {
    // The bootstrap answer still carries the pre-1.4 `ID` (the secret).
    ID: legacyId ? secret : undefined,
    AccessorID: token.accessorId,
    SecretID: secret,
    Description: token.description,
    Policies: policyLinks(reads, token.policies),
    Roles: roleLinks(reads, token.roles),
    ServiceIdentities: serviceIdentitiesJson(token.serviceIdentities),
    NodeIdentities: nodeIdentitiesJson(token.nodeIdentities),
    Local: token.local,
    ExpirationTime: token.expirationTime ?? undefined,
    CreateTime: token.createTime,
    Hash: token.hash,
    CreateIndex: token.createIndex,
    ModifyIndex: token.modifyIndex,
  };
}

/** An entry of GET /v1/acl/tokens (ACLTokenListStub). */
export function tokenStubJson(
  reads: AclReads,
  token: AclTokenRecord,
  showSecret: boolean,
): JsonObject {
  return { ...tokenJson(reads, token, showSecret), Legacy: false };
}

export function policyJson(policy: AclPolicyRecord): JsonObject {
  return {
    ID: policy.id,
    Name: policy.name,
    Description: policy.description,
    Rules: policy.rules,
    Datacenters: policy.datacenters.length === 0 ? undefined : policy.datacenters,
    Hash: policy.hash,
    CreateIndex: policy.createIndex,
    ModifyIndex: policy.modifyIndex,
  };
}

/** An entry of GET /v1/acl/policies: without Rules. */
export function policyStubJson(policy: AclPolicyRecord): JsonObject {
  return { ...policyJson(policy), Rules: undefined };
}

export function roleJson(reads: AclReads, role: AclRoleRecord): JsonObject {
  return {
    ID: role.id,
    Name: role.name,
    Description: role.description,
    Policies: policyLinks(reads, role.policies),
    ServiceIdentities: serviceIdentitiesJson(role.serviceIdentities),
    NodeIdentities: nodeIdentitiesJson(role.nodeIdentities),
    Hash: role.hash,
    CreateIndex: role.createIndex,
    ModifyIndex: role.modifyIndex,
  };
}
