// `consulate acl bootstrap | token | policy | role …`, with `consul acl`'s flags and its pretty
// output (or -format=json).
import type { FlagSpec, FlagValue } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags, readDataArgument } from './output';

const USAGE = `Usage: consulate acl <subcommand> [options] [args]

Subcommands:
    bootstrap    Bootstrap Consulate's ACL system
    policy       Manage ACL policies (create, read, update, delete, list)
    role         Manage ACL roles (create, read, update, delete, list)
    token        Manage ACL tokens (create, read, update, clone, delete, list)`;

type Row = Record<string, unknown>;

const FORMAT: FlagSpec = {
  name: 'format',
  kind: 'string',
  usage: 'Output format: pretty or json.',
  placeholder: 'pretty|json',
};

interface Action {
  flags: FlagSpec[];
  help: string;
  run(
    client: AgentHttpClient,
    values: ReadonlyMap<string, FlagValue>,
  ): Promise<Row | Row[] | string>;
  show: 'token' | 'tokens' | 'policy' | 'policies' | 'role' | 'roles' | 'text';
}

const str = (name: string, usage: string): FlagSpec => ({ name, kind: 'string', usage });
const list = (name: string, usage: string): FlagSpec => ({ name, kind: 'list', usage });
const bool = (name: string, usage: string): FlagSpec => ({ name, kind: 'bool', usage });

function value(values: ReadonlyMap<string, FlagValue>, name: string): string {
  return (values.get(name) as string | undefined) ?? '';
}

function values(map: ReadonlyMap<string, FlagValue>, name: string): string[] {
  return (map.get(name) as string[] | undefined) ?? [];
}

async function call(
  client: AgentHttpClient,
  method: string,
  path: string,
  body?: unknown,
): Promise<Row | Row[]> {
  const response = await client.expectOk(method, path, {
    body: body === undefined ? undefined : JSON.stringify(body),
    read: method === 'GET',
  });
  return JSON.parse(response.body.toString('utf8')) as Row | Row[];
}

function links(ids: string[], names: string[]): Row[] {
  return [...ids.map((ID) => ({ ID })), ...names.map((Name) => ({ Name }))];
}

function serviceIdentities(specs: string[]): Row[] {
  return specs.map((spec) => {
    const [name, dcs] = spec.split(':');
    return { ServiceName: name, Datacenters: dcs === undefined ? [] : dcs.split(',') };
  });
}

function nodeIdentities(specs: string[]): Row[] {
  return specs.map((spec) => {
    const [NodeName, Datacenter] = spec.split(':');
    if (Datacenter === undefined) {
      throw new Error(`Malformed -node-identity argument: "${spec}"`);
    }
    return { NodeName, Datacenter };
  });
}

function rulesArgument(text: string): string {
  return text === '' ? '' : readDataArgument(text).toString('utf8');
}

/** A policy or role named by -id or -name: the ID. */
async function idOf(
  client: AgentHttpClient,
  kind: 'policy' | 'role',
  map: ReadonlyMap<string, FlagValue>,
): Promise<string> {
  const id = value(map, 'id');
  if (id !== '') return id;
  const name = value(map, 'name');
  if (name === '') throw new Error(`Must specify the -id or -name parameter`);
  const found = (await call(
    client,
    'GET',
    `/v1/acl/${kind}/name/${encodeURIComponent(name)}`,
  )) as Row;
  return found.ID as string;
}

const TOKEN_WRITE_FLAGS: FlagSpec[] = [
  str('description', 'A description of the token.'),
  list('policy-id', 'ID of a policy to link (may be repeated).'),
  list('policy-name', 'Name of a policy to link (may be repeated).'),
  list('role-id', 'ID of a role to link (may be repeated).'),
  list('role-name', 'Name of a role to link (may be repeated).'),
  list('service-identity', 'A service identity, NAME[:DC1,DC2] (may be repeated).'),
  list('node-identity', 'A node identity, NODE:DATACENTER (may be repeated).'),
];

function tokenBody(map: ReadonlyMap<string, FlagValue>): Row {
  return {
    Description: value(map, 'description'),
    Policies: links(values(map, 'policy-id'), values(map, 'policy-name')),
    Roles: links(values(map, 'role-id'), values(map, 'role-name')),
    ServiceIdentities: serviceIdentities(values(map, 'service-identity')),
    NodeIdentities: nodeIdentities(values(map, 'node-identity')),
  };
}

const ACTIONS: Record<string, Action> = {
  bootstrap: {
    flags: [],
    help: 'Usage: consulate acl bootstrap [options]\n\nBootstraps the ACL system and prints the management token.',
    run: async (client) => call(client, 'PUT', '/v1/acl/bootstrap'),
    show: 'token',
  },
  'token create': {
    flags: [
      ...TOKEN_WRITE_FLAGS,
      str('accessor', 'Create the token with this AccessorID.'),
      str('secret', 'Create the token with this SecretID.'),
      bool('local', 'Create a token local to this datacenter.'),
      str('expires-ttl', 'Duration until the token expires (e.g. 1h).'),
    ],
    help: 'Usage: consulate acl token create [options]\n\nCreates a new token.',
    run: async (client, map) =>
      call(client, 'PUT', '/v1/acl/token', {
        ...tokenBody(map),
        AccessorID: value(map, 'accessor'),
        SecretID: value(map, 'secret'),
        Local: map.get('local') === true,
        ExpirationTTL: value(map, 'expires-ttl') === '' ? undefined : value(map, 'expires-ttl'),
      }),
    show: 'token',
  },
  'token read': {
    flags: [
      str('id', 'The AccessorID of the token to read.'),
      bool('self', 'Read the token in use.'),
    ],
    help: 'Usage: consulate acl token read [options]\n\nReads a token.',
    run: async (client, map) =>
      map.get('self') === true
        ? call(client, 'GET', '/v1/acl/token/self')
        : call(client, 'GET', `/v1/acl/token/${encodeURIComponent(required(map, 'id'))}`),
    show: 'token',
  },
  'token update': {
    flags: [str('id', 'The AccessorID of the token to update.'), ...TOKEN_WRITE_FLAGS],
    help: 'Usage: consulate acl token update [options]\n\nReplaces the links and description of a token.',
    run: async (client, map) => {
      const id = required(map, 'id');
      const current = (await call(client, 'GET', `/v1/acl/token/${encodeURIComponent(id)}`)) as Row;
      return call(client, 'PUT', `/v1/acl/token/${encodeURIComponent(id)}`, {
        ...tokenBody(map),
        Description: value(map, 'description') || current.Description,
        Local: current.Local,
      });
    },
    show: 'token',
  },
  'token clone': {
    flags: [
      str('id', 'The AccessorID of the token to clone.'),
      str('description', 'Description of the clone.'),
    ],
    help: 'Usage: consulate acl token clone [options]\n\nClones a token.',
    run: async (client, map) =>
      call(client, 'PUT', `/v1/acl/token/${encodeURIComponent(required(map, 'id'))}/clone`, {
        Description: value(map, 'description'),
      }),
    show: 'token',
  },
  'token delete': {
    flags: [str('id', 'The AccessorID of the token to delete.')],
    help: 'Usage: consulate acl token delete [options]\n\nDeletes a token.',
    run: async (client, map) => {
      const id = required(map, 'id');
      await call(client, 'DELETE', `/v1/acl/token/${encodeURIComponent(id)}`);
      return `Token "${id}" deleted successfully`;
    },
    show: 'text',
  },
  'token list': {
    flags: [],
    help: 'Usage: consulate acl token list [options]\n\nLists every token.',
    run: async (client) => call(client, 'GET', '/v1/acl/tokens'),
    show: 'tokens',
  },
  'policy create': {
    flags: [
      str('name', 'The policy name.'),
      str('description', 'A description of the policy.'),
      str('rules', 'The rules: text, @file or - for stdin.'),
      list('valid-datacenter', 'A datacenter the policy is valid in (may be repeated).'),
    ],
    help: 'Usage: consulate acl policy create -name NAME [options]\n\nCreates a policy.',
    run: async (client, map) =>
      call(client, 'PUT', '/v1/acl/policy', {
        Name: required(map, 'name'),
        Description: value(map, 'description'),
        Rules: rulesArgument(value(map, 'rules')),
        Datacenters: values(map, 'valid-datacenter'),
      }),
    show: 'policy',
  },
  'policy read': {
    flags: [str('id', 'The policy ID.'), str('name', 'The policy name.')],
    help: 'Usage: consulate acl policy read -id ID | -name NAME [options]\n\nReads a policy.',
    run: async (client, map) =>
      call(client, 'GET', `/v1/acl/policy/${await idOf(client, 'policy', map)}`),
    show: 'policy',
  },
  'policy update': {
    flags: [
      str('id', 'The policy ID.'),
      str('name', 'The new name.'),
      str('description', 'The new description.'),
      str('rules', 'The new rules: text, @file or - for stdin.'),
    ],
    help: 'Usage: consulate acl policy update -id ID [options]\n\nUpdates a policy.',
    run: async (client, map) => {
      const id = required(map, 'id');
      const current = (await call(
        client,
        'GET',
        `/v1/acl/policy/${encodeURIComponent(id)}`,
      )) as Row;
      return call(client, 'PUT', `/v1/acl/policy/${encodeURIComponent(id)}`, {
        Name: value(map, 'name') || current.Name,
        Description: value(map, 'description') || current.Description,
        Rules: value(map, 'rules') === '' ? current.Rules : rulesArgument(value(map, 'rules')),
        Datacenters: current.Datacenters ?? [],
      });
    },
    show: 'policy',
  },
  'policy delete': {
    flags: [str('id', 'The policy ID.'), str('name', 'The policy name.')],
    help: 'Usage: consulate acl policy delete -id ID | -name NAME [options]\n\nDeletes a policy.',
    run: async (client, map) => {
      const id = await idOf(client, 'policy', map);
      await call(client, 'DELETE', `/v1/acl/policy/${encodeURIComponent(id)}`);
      return `Policy "${id}" deleted successfully`;
    },
    show: 'text',
  },
  'policy list': {
    flags: [],
    help: 'Usage: consulate acl policy list [options]\n\nLists every policy.',
    run: async (client) => call(client, 'GET', '/v1/acl/policies'),
    show: 'policies',
  },
  'role create': {
    flags: [
      str('name', 'The role name.'),
      str('description', 'A description of the role.'),
      list('policy-id', 'ID of a policy to link (may be repeated).'),
      list('policy-name', 'Name of a policy to link (may be repeated).'),
      list('service-identity', 'A service identity, NAME[:DC1,DC2] (may be repeated).'),
      list('node-identity', 'A node identity, NODE:DATACENTER (may be repeated).'),
    ],
    help: 'Usage: consulate acl role create -name NAME [options]\n\nCreates a role.',
    run: async (client, map) =>
      call(client, 'PUT', '/v1/acl/role', {
        Name: required(map, 'name'),
        Description: value(map, 'description'),
        Policies: links(values(map, 'policy-id'), values(map, 'policy-name')),
        ServiceIdentities: serviceIdentities(values(map, 'service-identity')),
        NodeIdentities: nodeIdentities(values(map, 'node-identity')),
      }),
    show: 'role',
  },
  'role read': {
    flags: [str('id', 'The role ID.'), str('name', 'The role name.')],
    help: 'Usage: consulate acl role read -id ID | -name NAME [options]\n\nReads a role.',
    run: async (client, map) =>
      call(client, 'GET', `/v1/acl/role/${await idOf(client, 'role', map)}`),
    show: 'role',
  },
  'role delete': {
    flags: [str('id', 'The role ID.'), str('name', 'The role name.')],
    help: 'Usage: consulate acl role delete -id ID | -name NAME [options]\n\nDeletes a role.',
    run: async (client, map) => {
      const id = await idOf(client, 'role', map);
      await call(client, 'DELETE', `/v1/acl/role/${encodeURIComponent(id)}`);
      return `Role "${id}" deleted successfully`;
    },
    show: 'text',
  },
  'role list': {
    flags: [],
    help: 'Usage: consulate acl role list [options]\n\nLists every role.',
    run: async (client) => call(client, 'GET', '/v1/acl/roles'),
    show: 'roles',
  },
};

function required(map: ReadonlyMap<string, FlagValue>, name: string): string {
  const found = value(map, name);
  if (found === '') throw new Error(`Missing required '-${name}' flag`);
  return found;
}

export async function runAcl(argv: readonly string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  const named = first === 'bootstrap' ? 'bootstrap' : `${first ?? ''} ${second ?? ''}`;
  const action = ACTIONS[named];
  if (action === undefined) {
    error(USAGE);
    return 1;
  }
  const args = first === 'bootstrap' ? argv.slice(1) : rest;
  const parsed = parseCommandFlags(
    args,
    [...action.flags, FORMAT, ...HTTP_CLIENT_FLAGS],
    action.help,
  );
  if (typeof parsed === 'number') return parsed;
  const format = value(parsed.values, 'format') || 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    error(`Invalid format: ${format}`);
    return 1;
  }
  let result: Row | Row[] | string;
  try {
    result = await action.run(AgentHttpClient.fromFlags(parsed.values), parsed.values);
  } catch (err) {
    error(
      `Failed ${named === 'bootstrap' ? 'ACL bootstrapping' : named}: ${(err as Error).message}`,
    );
    return 1;
  }
  if (typeof result === 'string') info(result);
  else if (format === 'json') info(JSON.stringify(result, null, 4));
  else info(pretty(action.show, result));
  return 0;
}

function pretty(show: Action['show'], result: Row | Row[]): string {
  const many = Array.isArray(result) ? result : [result];
  switch (show) {
    case 'token':
    case 'tokens':
      return many.map(formatToken).join('\n\n');
    case 'policy':
      return many.map(formatPolicy).join('\n\n');
    case 'policies':
      return many.map(formatPolicyStub).join('\n');
    default:
      return many.map(formatRole).join('\n\n');
  }
}

function linkLines(title: string, rows: unknown): string[] {
  if (!Array.isArray(rows) || rows.length === 0) return [];
  return [
    `${title}:`,
    ...(rows as Row[]).map((row) => `   ${String(row.ID)} - ${String(row.Name)}`),
  ];
}

function identityLines(token: Row): string[] {
  const lines: string[] = [];
  const services = token.ServiceIdentities as Row[] | undefined;
  if (services !== undefined && services.length > 0) {
    lines.push('Service Identities:');
    for (const id of services) {
      const dcs = id.Datacenters as string[] | undefined;
      lines.push(
        `   ${String(id.ServiceName)} (Datacenters: ${dcs?.length ? dcs.join(', ') : 'all'})`,
      );
    }
  }
  const nodes = token.NodeIdentities as Row[] | undefined;
  if (nodes !== undefined && nodes.length > 0) {
    lines.push('Node Identities:');
    for (const id of nodes)
      lines.push(`   ${String(id.NodeName)} (Datacenter: ${String(id.Datacenter)})`);
  }
  return lines;
}

/** Go's time.Time String(): `2006-01-02 15:04:05.999999999 +0000 UTC`. */
function goTime(iso: unknown): string {
  const date = new Date(String(iso));
  if (Number.isNaN(date.getTime())) return String(iso);
  const [day, time] = date.toISOString().replace('Z', '').split('T');
  return `${day} ${time.replace(/\.?0+$/, '')} +0000 UTC`;
}

function formatToken(token: Row): string {
  const lines = [
    `AccessorID:       ${String(token.AccessorID)}`,
    `SecretID:         ${String(token.SecretID)}`,
    `Description:      ${String(token.Description ?? '')}`,
    `Local:            ${String(token.Local)}`,
    `Create Time:      ${goTime(token.CreateTime)}`,
  ];
  if (token.ExpirationTime !== undefined) {
    lines.push(`Expiration Time:  ${goTime(token.ExpirationTime)}`);
  }
  lines.push(...linkLines('Policies', token.Policies), ...linkLines('Roles', token.Roles));
  lines.push(...identityLines(token));
  return lines.join('\n');
}

function formatPolicy(policy: Row): string {
  return [
    `ID:           ${String(policy.ID)}`,
    `Name:         ${String(policy.Name)}`,
    `Description:  ${String(policy.Description ?? '')}`,
    `Datacenters:  ${((policy.Datacenters as string[] | undefined) ?? []).join(', ')}`,
    'Rules:',
    String(policy.Rules ?? ''),
  ].join('\n');
}

function formatPolicyStub(policy: Row): string {
  return [
    `${String(policy.Name)}:`,
    `   ID:           ${String(policy.ID)}`,
    `   Description:  ${String(policy.Description ?? '')}`,
    `   Datacenters:  ${((policy.Datacenters as string[] | undefined) ?? []).join(', ')}`,
  ].join('\n');
}

function formatRole(role: Row): string {
  return [
    `ID:           ${String(role.ID)}`,
    `Name:         ${String(role.Name)}`,
    `Description:  ${String(role.Description ?? '')}`,
    ...linkLines('Policies', role.Policies),
    ...identityLines(role),
  ].join('\n');
}
