// Gossip commands, as Consul's: `members`, `join`, `leave`, `force-leave`, `event`, `keygen`
// and `keyring`, each over the agent's HTTP API.
import { randomBytes } from 'node:crypto';

import type { FlagSpec } from '../config';
import { columnize } from './catalog';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: number;
}

const STATUS_NAMES = ['none', 'alive', 'leaving', 'left', 'failed'];

const flag = (
  name: string,
  kind: FlagSpec['kind'],
  usage: string,
  placeholder?: string,
): FlagSpec => ({
  name,
  kind,
  usage,
  placeholder,
});

export async function runMembers(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      flag('detailed', 'bool', 'Show every tag of each member.'),
      flag('wan', 'bool', 'List the WAN pool (servers of every datacenter).'),
      flag('status', 'string', 'Only members whose status matches this regexp.', 'regexp'),
      flag('segment', 'string', '(Enterprise) network segment to list.', 'name'),
    ],
    "Usage: consulate members [options]\n\nOutputs the members of a running agent's gossip pool.",
  );
  if (typeof parsed === 'number') return parsed;
  const wan = parsed.values.get('wan') === true;
  let members: Member[];
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'GET',
      '/v1/agent/members',
      { query: wan ? { wan: '1', segment: '_all' } : { segment: '_all' } },
    );
    members = JSON.parse(response.body.toString('utf8')) as Member[];
  } catch (err) {
    error(`Error retrieving members: ${(err as Error).message}`);
    return 1;
  }
  const statusPattern = parsed.values.get('status') as string | undefined;
  if (statusPattern !== undefined) {
    let matcher: { test(text: string): boolean };
    try {
      matcher = (await import('../regexp')).compileGoRegexp(statusPattern);
    } catch (err) {
      error(`Failed to compile status regexp: ${(err as Error).message}`);
      return 1;
    }
    members = members.filter((member) => matcher.test(statusName(member.Status)));
  }
  if (members.length === 0) return 2;
  members.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  if (parsed.values.get('detailed') === true) {
    info(
      columnize([
        ['Node', 'Address', 'Status', 'Tags'],
        ...members.map((member) => [
          member.Name,
          `${member.Addr}:${member.Port}`,
          statusName(member.Status),
          Object.keys(member.Tags)
            .sort()
            .map((key) => `${key}=${member.Tags[key]}`)
            .join(','),
        ]),
      ]),
    );
    return 0;
  }
  info(
    columnize([
      ['Node', 'Address', 'Status', 'Type', 'Build', 'Protocol', 'DC', 'Partition', 'Segment'],
      ...members.map((member) => {
        const server = member.Tags.role === 'consul';
        return [
          member.Name,
          `${member.Addr}:${member.Port}`,
          statusName(member.Status),
          server ? 'server' : 'client',
          (member.Tags.build ?? '').split(':')[0],
          member.Tags.vsn ?? '',
          member.Tags.dc ?? '',
          'default',
          server
            ? '<all>'
            : member.Tags.segment === '' || member.Tags.segment === undefined
              ? '<default>'
              : member.Tags.segment,
        ];
      }),
    ]),
  );
  return 0;
}

function statusName(code: number): string {
  return STATUS_NAMES[code] ?? 'unknown';
}

export async function runJoin(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [...HTTP_CLIENT_FLAGS, flag('wan', 'bool', 'Join the WAN pool (servers only).')],
    'Usage: consulate join [options] address ...\n\nTells a running agent to join the cluster by contacting the given addresses.',
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.args.length === 0) {
    error('At least one address to join must be specified.');
    return 1;
  }
  const client = AgentHttpClient.fromFlags(parsed.values);
  const wan = parsed.values.get('wan') === true;
  let joined = 0;
  for (const address of parsed.args) {
    try {
      await client.expectOk('PUT', `/v1/agent/join/${encodeURIComponent(address)}`, {
        query: wan ? { wan: '1' } : {},
      });
      joined++;
    } catch (err) {
      error(`Error joining address '${address}': ${(err as Error).message}`);
    }
  }
  if (joined === 0) {
    error('Failed to join any nodes.');
    return 1;
  }
  info(`Successfully joined cluster by contacting ${joined} nodes.`);
  return 0;
}

export async function runLeave(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate leave [options]\n\nCauses the agent to gracefully leave the cluster and shut down.',
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.args.length > 0) {
    error('This command takes no arguments');
    return 1;
  }
  try {
    await AgentHttpClient.fromFlags(parsed.values).expectOk('PUT', '/v1/agent/leave');
  } catch (err) {
    error(`Error leaving: ${(err as Error).message}`);
    return 1;
  }
  info('Graceful leave complete');
  return 0;
}

export async function runForceLeave(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      flag('prune', 'bool', 'Remove the node from the member list at once.'),
      flag('wan', 'bool', 'The node is in the WAN pool (name.datacenter).'),
    ],
    'Usage: consulate force-leave [options] name\n\nForces a failed member of the cluster into the left state.',
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.args.length !== 1) {
    error('A single node name must be specified to force leave.');
    return 1;
  }
  const query: Record<string, string> = {};
  if (parsed.values.get('prune') === true) query.prune = '1';
  if (parsed.values.get('wan') === true) query.wan = '1';
  try {
    await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'PUT',
      `/v1/agent/force-leave/${encodeURIComponent(parsed.args[0])}`,
      { query },
    );
  } catch (err) {
    error(`Error force leaving: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}

export async function runEvent(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      flag('name', 'string', 'Name of the event.', 'name'),
      flag('node', 'string', 'Regexp of the node names that should handle it.', 'regexp'),
      flag('service', 'string', 'Regexp of the services whose agents should handle it.', 'regexp'),
      flag('tag', 'string', 'Regexp of the service tags to match (needs -service).', 'regexp'),
    ],
    'Usage: consulate event [options] [payload]\n\nDispatches a custom user event across the datacenter.',
  );
  if (typeof parsed === 'number') return parsed;
  const name = (parsed.values.get('name') as string | undefined) ?? '';
  if (name === '') {
    error('Event name must be specified');
    return 1;
  }
  if (parsed.args.length > 1) {
    error('Too many command line arguments.');
    return 1;
  }
  const query: Record<string, string> = {};
  for (const key of ['node', 'service', 'tag']) {
    const value = parsed.values.get(key) as string | undefined;
    if (value !== undefined && value !== '') query[key] = value;
  }
  if (query.tag !== undefined && query.service === undefined) {
    error('Cannot provide tag filter without service filter.');
    return 1;
  }
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'PUT',
      `/v1/event/fire/${encodeURIComponent(name)}`,
      { query, body: parsed.args[0] ?? '' },
    );
    const event = JSON.parse(response.body.toString('utf8')) as { ID: string };
    info(`Event ID: ${event.ID}`);
  } catch (err) {
    error(`Error firing event: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}

export function runKeygen(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [],
    'Usage: consulate keygen\n\nGenerates a new encryption key for gossip traffic (32 random bytes, base64).',
  );
  if (typeof parsed === 'number') return Promise.resolve(parsed);
  info(randomBytes(32).toString('base64'));
  return Promise.resolve(0);
}

interface KeyringResponse {
  WAN: boolean;
  Datacenter: string;
  Segment: string;
  Keys: Record<string, number>;
  PrimaryKeys: Record<string, number>;
  NumNodes: number;
}

export async function runKeyring(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      flag('list', 'bool', 'List the keys installed across the cluster.'),
      flag('list-primary', 'bool', 'List only the primary keys.'),
      flag('install', 'string', 'Install a new key (base64).', 'key'),
      flag('use', 'string', 'Make an installed key the primary key.', 'key'),
      flag('remove', 'string', 'Remove a key (not the primary one).', 'key'),
      flag('local-only', 'bool', "With -list: only this agent's pool (LAN)."),
    ],
    'Usage: consulate keyring [options]\n\nManages the gossip encryption keys of every member of the cluster.',
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  const actions = ['list', 'list-primary', 'install', 'use', 'remove'].filter(
    (name) => values.get(name) !== undefined && values.get(name) !== false,
  );
  if (actions.length !== 1) {
    error('Exactly one of -list, -list-primary, -install, -use, or -remove must be provided');
    return 1;
  }
  const client = AgentHttpClient.fromFlags(values);
  const action = actions[0];
  try {
    if (action === 'list' || action === 'list-primary') {
      info('==> Gathering installed encryption keys...');
      const response = await client.expectOk('GET', '/v1/operator/keyring', {
        query: values.get('local-only') === true ? { 'local-only': '1' } : {},
      });
      const pools = JSON.parse(response.body.toString('utf8')) as KeyringResponse[];
      for (const pool of pools) {
        info('');
        info(pool.WAN ? 'WAN:' : `${pool.Datacenter} (LAN):`);
        const keys = action === 'list' ? pool.Keys : pool.PrimaryKeys;
        for (const [key, count] of Object.entries(keys)) {
          info(`  ${key} [${count}/${pool.NumNodes}]`);
        }
      }
      return 0;
    }
    const key = values.get(action) as string;
    const [method, banner] =
      action === 'install'
        ? ['POST', '==> Installing new gossip encryption key...']
        : action === 'use'
          ? ['PUT', '==> Changing primary gossip encryption key...']
          : ['DELETE', '==> Removing gossip encryption key...'];
    info(banner);
    await client.expectOk(method, '/v1/operator/keyring', { body: JSON.stringify({ Key: key }) });
    return 0;
  } catch (err) {
    error(`error: ${(err as Error).message}`);
    return 1;
  }
}
