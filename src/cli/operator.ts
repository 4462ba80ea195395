// `consulate operator raft list-peers|remove-peer|transfer-leader`, as `consul operator raft`.
import { columnize } from './catalog';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const USAGE = `Usage: consulate operator <subcommand> [options]

Subcommands:
    raft list-peers        Display the current Raft peer configuration
    raft remove-peer       Remove a Consulate server from the Raft configuration
    raft transfer-leader   Transfer Raft leadership to another server
    autopilot get-config   Display the current Autopilot configuration
    autopilot set-config   Modify the current Autopilot configuration
    autopilot state        Display the current Autopilot state`;

export async function runOperator(argv: readonly string[]): Promise<number> {
  const [area, subcommand, ...rest] = argv;
  if (area === 'raft' && subcommand === 'list-peers') return listPeers(rest);
  if (area === 'raft' && subcommand === 'remove-peer') return removePeer(rest);
  if (area === 'raft' && subcommand === 'transfer-leader') return transferLeader(rest);
  if (area === 'autopilot' && subcommand !== undefined) {
    const code = await (await import('./operator-autopilot')).runAutopilot(subcommand, rest);
    if (code >= 0) return code;
  }
  error(USAGE);
  return 1;
}

interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  ProtocolVersion: string;
  LastIndex: number;
}

async function listPeers(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate operator raft list-peers [options]\n\nDisplays the current Raft peer configuration.',
  );
  if (typeof parsed === 'number') return parsed;
  let servers: RaftServer[];
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'GET',
      '/v1/operator/raft/configuration',
      { read: true },
    );
    servers = (JSON.parse(response.body.toString('utf8')) as { Servers: RaftServer[] }).Servers;
  } catch (err) {
    error(`Error getting peers: ${(err as Error).message}`);
    return 1;
  }
  const leaderIndex = servers.find((server) => server.Leader)?.LastIndex ?? 0;
  const rows = servers.map((server) => [
    server.Node,
    server.ID,
    server.Address,
    server.Leader ? 'leader' : 'follower',
    String(server.Voter),
    server.ProtocolVersion,
    String(server.LastIndex),
    server.Leader ? '-' : `${Math.max(0, leaderIndex - server.LastIndex)} commits`,
  ]);
  info(
    columnize([
      [
        'Node',
        'ID',
        'Address',
        'State',
        'Voter',
        'RaftProtocol',
        'Commit Index',
        'Trails Leader By',
      ],
      ...rows,
    ]),
  );
  return 0;
}

async function removePeer(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      {
        name: 'address',
        kind: 'string',
        usage: 'The address to remove from the Raft configuration.',
        placeholder: 'ip:port',
      },
      {
        name: 'id',
        kind: 'string',
        usage: 'The ID to remove from the Raft configuration.',
        placeholder: 'id',
      },
    ],
    'Usage: consulate operator raft remove-peer [options]\n\nRemoves the Consulate server with the given -address or -id from the Raft configuration.',
  );
  if (typeof parsed === 'number') return parsed;
  const address = (parsed.values.get('address') as string | undefined) ?? '';
  const id = (parsed.values.get('id') as string | undefined) ?? '';
  if ((address === '') === (id === '')) {
    error('Error removing peer: Must specify either -address or -id, and only one of them');
    return 1;
  }
  try {
    await AgentHttpClient.fromFlags(parsed.values).expectOk('DELETE', '/v1/operator/raft/peer', {
      query: id !== '' ? { id } : { address },
    });
  } catch (err) {
    error(`Error removing peer: ${(err as Error).message}`);
    return 1;
  }
  info(id !== '' ? `Removed peer with id "${id}"` : `Removed peer with address "${address}"`);
  return 0;
}

async function transferLeader(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      {
        name: 'id',
        kind: 'string',
        usage: 'The ID of the server to hand leadership to (default: the best candidate).',
        placeholder: 'id',
      },
    ],
    'Usage: consulate operator raft transfer-leader [options]\n\nTransfers Raft leadership to another server.',
  );
  if (typeof parsed === 'number') return parsed;
  const id = (parsed.values.get('id') as string | undefined) ?? '';
  try {
    await AgentHttpClient.fromFlags(parsed.values).expectOk(
      'POST',
      '/v1/operator/raft/transfer-leader',
      { query: id !== '' ? { id } : {} },
    );
  } catch (err) {
    error(`Error transferring leadership: ${(err as Error).message}`);
    return 1;
  }
  info('Success');
  return 0;
}
