// Bodies of the ACL endpoints, decoded as Consul's structs.ACLToken / ACLPolicy / ACLRole
// (unknown fields refused, keys matched case-insensitively).
import {
  fieldSite,
  goBool,
  goString,
  goStringList,
  isObject,
  ROOT,
  structFields,
  typeError,
  type Site,
  type StructSpec,
} from './go-decode';
import { JsonNumber, type ParsedJson } from './json-parse';

/** A link as written: by ID or by Name (resolved by the endpoint). */
export interface LinkInput {
  id: string;
  name: string;
}

export interface ServiceIdentityInput {
  serviceName: string;
  datacenters: string[];
}

export interface NodeIdentityInput {
  nodeName: string;
  datacenter: string;
}

export interface TokenInput {
  accessorId: string;
  secretId: string;
  description: string;
  policies: LinkInput[];
  roles: LinkInput[];
  serviceIdentities: ServiceIdentityInput[];
  nodeIdentities: NodeIdentityInput[];
  local: boolean;
  expirationTime: string;
  expirationTtl: string;
}

export interface PolicyInput {
  id: string;
  name: string;
  description: string;
  rules: string;
  datacenters: string[];
}

export interface RoleInput {
  id: string;
  name: string;
  description: string;
  policies: LinkInput[];
  serviceIdentities: ServiceIdentityInput[];
  nodeIdentities: NodeIdentityInput[];
}

const TOKEN: StructSpec = {
  goType: 'structs.ACLToken',
  fields: [
    'AccessorID',
    'SecretID',
    'Description',
    'Policies',
    'Roles',
    'ServiceIdentities',
    'NodeIdentities',
    'Local',
    'ExpirationTime',
    'ExpirationTTL',
  ],
  ignored: [
    'CreateTime',
    'Hash',
    'CreateIndex',
    'ModifyIndex',
    'Legacy',
    'Namespace',
    'Partition',
    'AuthMethod',
    'TemplatedPolicies',
  ],
};

const POLICY: StructSpec = {
  goType: 'structs.ACLPolicy',
  fields: ['ID', 'Name', 'Description', 'Rules', 'Datacenters'],
  ignored: ['Hash', 'CreateIndex', 'ModifyIndex', 'Namespace', 'Partition'],
};

const ROLE: StructSpec = {
  goType: 'structs.ACLRole',
  fields: ['ID', 'Name', 'Description', 'Policies', 'ServiceIdentities', 'NodeIdentities'],
  ignored: ['Hash', 'CreateIndex', 'ModifyIndex', 'Namespace', 'Partition', 'TemplatedPolicies'],
};

const LINK: StructSpec = { goType: 'structs.ACLTokenPolicyLink', fields: ['ID', 'Name'] };
const SERVICE_IDENTITY: StructSpec = {
  goType: 'structs.ACLServiceIdentity',
  fields: ['ServiceName', 'Datacenters'],
};
const NODE_IDENTITY: StructSpec = {
  goType: 'structs.ACLNodeIdentity',
  fields: ['NodeName', 'Datacenter'],
};

export function decodeToken(body: ParsedJson): TokenInput {
  const f = structFields(body, TOKEN, ROOT) ?? new Map<string, ParsedJson>();
  const site = (field: string): Site => fieldSite(ROOT, 'ACLToken', field);
  const str = (field: string): string => goString(f.get(field) ?? null, site(field));
  const ttl = f.get('ExpirationTTL') ?? null;
  return {
    accessorId: str('AccessorID'),
    secretId: str('SecretID'),
    description: str('Description'),
    policies: links(f.get('Policies') ?? null, site('Policies')),
    roles: links(f.get('Roles') ?? null, site('Roles')),
    serviceIdentities: serviceIdentities(
      f.get('ServiceIdentities') ?? null,
      site('ServiceIdentities'),
    ),
    nodeIdentities: nodeIdentities(f.get('NodeIdentities') ?? null, site('NodeIdentities')),
    local: goBool(f.get('Local') ?? null, site('Local')),
    expirationTime: str('ExpirationTime'),
    // Go's time.Duration: a duration string (or nanoseconds) in Consul's JSON.
    expirationTtl: durationText(ttl, site('ExpirationTTL')),
  };
}

export function decodePolicy(body: ParsedJson): PolicyInput {
  const f = structFields(body, POLICY, ROOT) ?? new Map<string, ParsedJson>();
  const site = (field: string): Site => fieldSite(ROOT, 'ACLPolicy', field);
  const str = (field: string): string => goString(f.get(field) ?? null, site(field));
  return {
    id: str('ID'),
    name: str('Name'),
    description: str('Description'),
    rules: str('Rules'),
    datacenters: goStringList(f.get('Datacenters') ?? null, site('Datacenters')),
  };
}

export function decodeRole(body: ParsedJson): RoleInput {
  const f = structFields(body, ROLE, ROOT) ?? new Map<string, ParsedJson>();
  const site = (field: string): Site => fieldSite(ROOT, 'ACLRole', field);
  const str = (field: string): string => goString(f.get(field) ?? null, site(field));
  return {
    id: str('ID'),
    name: str('Name'),
    description: str('Description'),
    policies: links(f.get('Policies') ?? null, site('Policies')),
    serviceIdentities: serviceIdentities(
      f.get('ServiceIdentities') ?? null,
      site('ServiceIdentities'),
    ),
    nodeIdentities: nodeIdentities(f.get('NodeIdentities') ?? null, site('NodeIdentities')),
  };
}

// Go's time.Duration in Consul's JSON: a duration string, or a number of nanoseconds.
function durationText(value: ParsedJson, site: Site): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof JsonNumber) return `${value.text}ns`;
  throw typeError(value, site, 'time.Duration');
}

function list(value: ParsedJson, site: Site, goType: string): ParsedJson[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw typeError(value, site, goType);
  return value;
}

function links(value: ParsedJson, site: Site): LinkInput[] {
  return list(value, site, '[]structs.ACLTokenPolicyLink').map((item) => {
    if (!isObject(item) && item !== null) throw typeError(item, site, LINK.goType);
    const f = structFields(item, LINK, site) ?? new Map<string, ParsedJson>();
    return {
      id: goString(f.get('ID') ?? null, fieldSite(site, 'ACLTokenPolicyLink', 'ID')),
      name: goString(f.get('Name') ?? null, fieldSite(site, 'ACLTokenPolicyLink', 'Name')),
    };
  });
}

function serviceIdentities(value: ParsedJson, site: Site): ServiceIdentityInput[] {
  return list(value, site, '[]*structs.ACLServiceIdentity').map((item) => {
    const f = structFields(item, SERVICE_IDENTITY, site) ?? new Map<string, ParsedJson>();
    return {
      serviceName: goString(f.get('ServiceName') ?? null, site),
      datacenters: goStringList(f.get('Datacenters') ?? null, site),
    };
  });
}

function nodeIdentities(value: ParsedJson, site: Site): NodeIdentityInput[] {
  return list(value, site, '[]*structs.ACLNodeIdentity').map((item) => {
    const f = structFields(item, NODE_IDENTITY, site) ?? new Map<string, ParsedJson>();
    return {
      nodeName: goString(f.get('NodeName') ?? null, site),
      datacenter: goString(f.get('Datacenter') ?? null, site),
    };
  });
}
