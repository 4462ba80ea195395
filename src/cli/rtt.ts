// `consulate rtt [-wan] node1 [node2]`: the estimated round trip between two nodes from their
// network coordinates (Consul's command/rtt). node2 defaults to the agent's own node; with
// -wan, nodes are servers named `<node>.<datacenter>`.
import { distanceSeconds, isCompatible, type Coordinate } from '../coordinate';
import type { FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const HELP = `Usage: consulate rtt [options] node1 [node2]

  Estimates the network round trip time between two nodes using their network
  coordinates. If node2 is not given, the agent's own node is used. With -wan,
  nodes are servers given as <node>.<datacenter>.`;

const FLAGS: readonly FlagSpec[] = [
  ...HTTP_CLIENT_FLAGS,
  { name: 'wan', kind: 'bool', usage: 'Use WAN coordinates instead of LAN coordinates.' },
];

interface CoordinateEntry {
  Node: string;
  Segment?: string;
  Coord: Coordinate;
}

interface DatacenterMap {
  Datacenter: string;
  Coordinates: CoordinateEntry[];
}

interface AgentSelf {
  Config: { NodeName: string; Datacenter: string };
}

class RttError extends Error {}

export async function runRtt(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FLAGS, HELP);
  if (typeof parsed === 'number') return parsed;
  const nodes = [...parsed.args];
  if (nodes.length < 1 || nodes.length > 2) {
    error('One or two node names must be specified');
    process.stderr.write(`${HELP}\n`);
    return 1;
  }
  const client = AgentHttpClient.fromFlags(parsed.values);
  const wan = parsed.values.get('wan') === true;
  try {
    if (nodes.length === 1) {
      const self = await getJson<AgentSelf>(client, '/v1/agent/self');
      nodes.push(wan ? `${self.Config.NodeName}.${self.Config.Datacenter}` : self.Config.NodeName);
    }
    const [a, b] = wan ? await wanCoordinates(client, nodes) : await lanCoordinates(client, nodes);
    const ms = (distanceSeconds(a, b) * 1000).toFixed(3);
    info(
      `Estimated ${nodes[0]} <-> ${nodes[1]} rtt: ${ms} ms (using ${wan ? 'WAN' : 'LAN'} coordinates)`,
    );
    return 0;
  } catch (err) {
    error(
      err instanceof RttError
        ? err.message
        : `Error getting coordinates: ${(err as Error).message}`,
    );
    return 1;
  }
}

async function getJson<T>(client: AgentHttpClient, path: string): Promise<T> {
  const response = await client.expectOk('GET', path, { read: true });
  return JSON.parse(response.body.toString('utf8')) as T;
}

async function lanCoordinates(
  client: AgentHttpClient,
  nodes: string[],
): Promise<[Coordinate, Coordinate]> {
  const entries = await getJson<CoordinateEntry[]>(client, '/v1/coordinate/nodes');
  const first = entries.find((entry) => entry.Node === nodes[0]);
  if (first === undefined) throw new RttError(`Could not find a coordinate for node "${nodes[0]}"`);
  // Both nodes' coordinates must come from the same network segment.
  const second = entries.find(
    (entry) => entry.Node === nodes[1] && (entry.Segment ?? '') === (first.Segment ?? ''),
  );
  if (second === undefined) {
    throw new RttError(`Could not find a coordinate for node "${nodes[1]}"`);
  }
  return compatible(first.Coord, second.Coord);
}

async function wanCoordinates(
  client: AgentHttpClient,
  nodes: string[],
): Promise<[Coordinate, Coordinate]> {
  const names = nodes.map((node) => {
    const parts = node.split('.');
    if (parts.length !== 2) {
      throw new RttError('Node names must be specified as <node name>.<datacenter>');
    }
    return { node: parts[0], dc: parts[1] };
  });
  const maps = await getJson<DatacenterMap[]>(client, '/v1/coordinate/datacenters');
  const find = (i: number): Coordinate => {
    const { node, dc } = names[i];
    const entry = maps
      .find((map) => map.Datacenter === dc)
      ?.Coordinates.find((coordinate) => coordinate.Node === node);
    if (entry === undefined)
      throw new RttError(`Could not find a coordinate for node "${nodes[i]}"`);
    return entry.Coord;
  };
  return compatible(find(0), find(1));
}

function compatible(a: Coordinate, b: Coordinate): [Coordinate, Coordinate] {
  if (!isCompatible(a, b)) throw new RttError('Coordinates are not compatible');
  return [a, b];
}
