// `consulate catalog datacenters|nodes|services`: the catalog as Consul's CLI prints it,
// columns aligned with two spaces as ryanuber/columnize does.
import type { FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const HELP = `Usage: consulate catalog <subcommand> [options] [args]

  Lists datacenters, nodes and services of the catalog.`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  datacenters,
  nodes,
  services,
};

export async function runCatalog(argv: readonly string[]): Promise<number> {
  const run = argv.length > 0 ? SUBCOMMANDS[argv[0]] : undefined;
  if (run === undefined) {
    const stream = argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' ? info : error;
    stream(`${HELP}\n\nSubcommands:\n    datacenters\n    nodes\n    services`);
    return stream === info ? 0 : 1;
  }
  return run(argv.slice(1));
}

interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string> | null;
  Meta: Record<string, string> | null;
}

const NODE_META: FlagSpec = {
  name: 'node-meta',
  kind: 'list',
  usage: 'Only nodes with this key:value metadata; may be repeated.',
};
const FILTER: FlagSpec = { name: 'filter', kind: 'string', usage: 'Filter expression.' };

async function datacenters(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate catalog datacenters [options]',
  );
  if (typeof parsed === 'number') return parsed;
  try {
    const client = AgentHttpClient.fromFlags(parsed.values);
    const list = await getJson<string[]>(client, '/v1/catalog/datacenters', {});
    if (list.length === 0) {
      error('No datacenters found');
      return 1;
    }
    for (const dc of list) info(dc);
    return 0;
  } catch (err) {
    error(`Error listing datacenters: ${(err as Error).message}`);
    return 1;
  }
}

async function nodes(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      { name: 'detailed', kind: 'bool', usage: 'Show full node IDs, tagged addresses and meta.' },
      { name: 'service', kind: 'string', usage: 'Only nodes running this service.' },
      { name: 'near', kind: 'string', usage: 'Sort by round-trip time from this node.' },
      NODE_META,
      FILTER,
    ],
    'Usage: consulate catalog nodes [options]',
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  const query = commonQuery(values);
  const near = values.get('near') as string | undefined;
  if (near !== undefined) query.near = near;
  let list: CatalogNode[];
  try {
    const client = AgentHttpClient.fromFlags(values);
    const service = values.get('service') as string | undefined;
    if (service !== undefined && service !== '') {
      const instances = await getJson<
        (CatalogNode & { Node: string; NodeMeta?: Record<string, string> })[]
      >(client, `/v1/catalog/service/${encodeURIComponent(service)}`, query, nodeMetaOf(values));
      const seen = new Set<string>();
      list = [];
      for (const instance of instances) {
        if (seen.has(instance.Node)) continue;
        seen.add(instance.Node);
        list.push({ ...instance, Meta: instance.NodeMeta ?? null });
      }
    } else {
      list = await getJson<CatalogNode[]>(client, '/v1/catalog/nodes', query, nodeMetaOf(values));
    }
  } catch (err) {
    error(`Error listing nodes: ${(err as Error).message}`);
    return 1;
  }
  if (list.length === 0) {
    error('No nodes match the given query.');
    return 1;
  }
  const detailed = values.get('detailed') === true;
  const header = detailed
    ? ['Node', 'ID', 'Address', 'DC', 'TaggedAddresses', 'Meta']
    : ['Node', 'ID', 'Address', 'DC'];
  const rows = list.map((node) => {
    const row = [
      node.Node,
      detailed ? node.ID : node.ID.slice(0, 8),
      node.Address,
      node.Datacenter,
    ];
    if (detailed) row.push(pairs(node.TaggedAddresses), pairs(node.Meta));
    return row;
  });
  info(columnize([header, ...rows]));
  return 0;
}

async function services(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      { name: 'tags', kind: 'bool', usage: 'Show the tags of each service.' },
      { name: 'node', kind: 'string', usage: 'Only services registered on this node.' },
      NODE_META,
      FILTER,
    ],
    'Usage: consulate catalog services [options]',
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  const query = commonQuery(values);
  let byName: Map<string, string[]>;
  try {
    const client = AgentHttpClient.fromFlags(values);
    const node = values.get('node') as string | undefined;
    if (node !== undefined && node !== '') {
      const found = await getJson<{
        Services: { Service: string; Tags: string[] | null }[];
      } | null>(
        client,
        `/v1/catalog/node-services/${encodeURIComponent(node)}`,
        query,
        nodeMetaOf(values),
      );
      byName = new Map();
      for (const service of found?.Services ?? []) {
        const tags = new Set([...(byName.get(service.Service) ?? []), ...(service.Tags ?? [])]);
        byName.set(service.Service, [...tags].sort());
      }
    } else {
      const map = await getJson<Record<string, string[] | null>>(
        client,
        '/v1/catalog/services',
        query,
        nodeMetaOf(values),
      );
      byName = new Map(Object.entries(map).map(([name, tags]) => [name, [...(tags ?? [])].sort()]));
    }
  } catch (err) {
    error(`Error listing services: ${(err as Error).message}`);
    return 1;
  }
  if (byName.size === 0) {
    error('No services match the given query.');
    return 1;
  }
  const names = [...byName.keys()].sort();
  if (values.get('tags') === true) {
    info(columnize(names.map((name) => [name, (byName.get(name) ?? []).join(',')])));
  } else {
    for (const name of names) info(name);
  }
  return 0;
}

function nodeMetaOf(values: ReadonlyMap<string, unknown>): string[] {
  const pairs = values.get('node-meta');
  return Array.isArray(pairs) ? pairs.map(String) : [];
}

function commonQuery(values: ReadonlyMap<string, unknown>): Record<string, string> {
  const query: Record<string, string> = {};
  const filter = values.get('filter');
  if (typeof filter === 'string' && filter !== '') query.filter = filter;
  return query;
}

/** GET with ?node-meta pairs appended (repeatable, so not through the query record). */
async function getJson<T>(
  client: AgentHttpClient,
  path: string,
  query: Record<string, string>,
  nodeMeta: readonly string[] = [],
): Promise<T> {
  const suffix = nodeMeta.map((pair) => `node-meta=${encodeURIComponent(pair)}`).join('&');
  const response = await client.expectOk('GET', suffix === '' ? path : `${path}?${suffix}`, {
    query,
    read: true,
  });
  return JSON.parse(response.body.toString('utf8')) as T;
}

function pairs(map: Record<string, string> | null): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${(map ?? {})[key]}`)
    .join(', ');
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function columnize(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
