// What a template can depend on, each named by a key (`kv:app/config`, `health:web?passing`):
// templates that read the same thing share one key, hence one watch.
import { decodeHealth, decodeKvPairs, decodeNode, decodeNodes, decodeServices } from './decode';

export interface ConsulDependency {
  kind: 'consul';
  key: string;
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** A 404 answers "nothing there" (KV) instead of being an error. */
  allow404: boolean;
  decode(status: number, body: string): unknown;
}

/** A local file (the `file` helper, and template sources): watched on disk. */
export interface FileDependency {
  kind: 'file';
  key: string;
  path: string;
}

export type Dependency = ConsulDependency | FileDependency;

/** `name`, `tag.name`, `name@dc`, `tag.name@dc` as consul-template's service helper takes them. */
export interface ServiceQuery {
  name: string;
  tags: string[];
  dc: string | null;
  /** Ask the agent for passing instances only (`?passing`); other filters apply locally. */
  passingOnly: boolean;
}

const encodePath = (value: string): string => value.split('/').map(encodeURIComponent).join('/');

function consul(
  key: string,
  path: string,
  query: Array<[string, string]>,
  decode: (status: number, body: string) => unknown,
  allow404 = false,
): ConsulDependency {
  return { kind: 'consul', key, path, query, allow404, decode };
}

function dcQuery(dc: string | null): Array<[string, string]> {
  return dc === null ? [] : [['dc', dc]];
}

const dcSuffix = (dc: string | null): string => (dc === null ? '' : `@${dc}`);

export function kvKeyDependency(key: string, dc: string | null = null): ConsulDependency {
  return consul(
    `kv:${key}${dcSuffix(dc)}`,
    `/v1/kv/${encodePath(key)}`,
    dcQuery(dc),
    (status, body) => (status === 404 ? null : (decodeKvPairs(body)[0] ?? null)),
    true,
  );
}

export function kvPrefixDependency(prefix: string, dc: string | null = null): ConsulDependency {
  return consul(
    `kv-list:${prefix}${dcSuffix(dc)}`,
    `/v1/kv/${encodePath(prefix)}`,
    [['recurse', ''], ...dcQuery(dc)],
    (status, body) => (status === 404 ? [] : decodeKvPairs(body)),
    true,
  );
}

export function healthDependency(query: ServiceQuery): ConsulDependency {
  const params: Array<[string, string]> = [];
  if (query.passingOnly) params.push(['passing', '1']);
  for (const tag of query.tags) params.push(['tag', tag]);
  params.push(...dcQuery(query.dc));
  const qs = params.map(([k, v]) => (k === 'passing' ? k : `${k}=${v}`)).join('&');
  return consul(
    `health:${query.name}${qs === '' ? '' : `?${qs}`}`,
    `/v1/health/service/${encodeURIComponent(query.name)}`,
    params,
    (_status, body) => decodeHealth(body),
  );
}

export function catalogServicesDependency(dc: string | null = null): ConsulDependency {
  return consul(
    `catalog-services${dcSuffix(dc)}`,
    '/v1/catalog/services',
    dcQuery(dc),
    (_s, body) => decodeServices(body),
  );
}

export function catalogNodesDependency(dc: string | null = null): ConsulDependency {
  return consul(`catalog-nodes${dcSuffix(dc)}`, '/v1/catalog/nodes', dcQuery(dc), (_s, body) =>
    decodeNodes(body),
  );
}

export function catalogNodeDependency(node: string, dc: string | null = null): ConsulDependency {
  return consul(
    `catalog-node:${node}${dcSuffix(dc)}`,
    `/v1/catalog/node/${encodeURIComponent(node)}`,
    dcQuery(dc),
    (_s, body) => decodeNode(body),
  );
}

/** The local agent's node name (for `node` without a name); answered once, not watched. */
export function agentSelfDependency(): ConsulDependency {
  return consul('agent-self', '/v1/agent/self', [], (_s, body) => {
    const self = JSON.parse(body) as { Config?: { NodeName?: string; Datacenter?: string } };
    return { NodeName: self.Config?.NodeName ?? '', Datacenter: self.Config?.Datacenter ?? '' };
  });
}

export function fileDependency(path: string): FileDependency {
  return { kind: 'file', key: `file:${path}`, path };
}

/** Splits `tag.name@dc`: the tag is everything before the last dot of the part before `@`. */
export function parseServiceSpec(spec: string): {
  name: string;
  tag: string | null;
  dc: string | null;
} {
  const at = spec.lastIndexOf('@');
  const base = at === -1 ? spec : spec.slice(0, at);
  const dc = at === -1 ? null : spec.slice(at + 1);
  const dot = base.lastIndexOf('.');
  return dot === -1
    ? { name: base, tag: null, dc }
    : { name: base.slice(dot + 1), tag: base.slice(0, dot), dc };
}
