// `/v1/catalog`: the cluster-wide registry of nodes and service instances.
import type { QueryOptions, QueryResult, RequestOptions, Transport } from './transport';
import type {
  CatalogDeregistration,
  CatalogNode,
  CatalogRegistration,
  Node,
  ServiceNode,
} from './types';

export class Catalog {
  constructor(private readonly transport: Transport) {}

  /** Known datacenters, nearest first. */
  async datacenters(options?: RequestOptions): Promise<string[]> {
    return (
      await this.transport.query<string[]>({
        method: 'GET',
        path: '/v1/catalog/datacenters',
        options,
      })
    ).data;
  }

  nodes(options?: QueryOptions): Promise<QueryResult<Node[]>> {
    return this.transport.query<Node[]>({ method: 'GET', path: '/v1/catalog/nodes', options });
  }

  /** Service name → union of its instances' tags. */
  services(options?: QueryOptions): Promise<QueryResult<Record<string, string[]>>> {
    return this.transport.query<Record<string, string[]>>({
      method: 'GET',
      path: '/v1/catalog/services',
      options,
    });
  }

  /** Instances of one service; `tag` keeps those having all given tags. */
  service(
    name: string,
    options: QueryOptions & { tag?: string | string[] } = {},
  ): Promise<QueryResult<ServiceNode[]>> {
    return this.transport.query<ServiceNode[]>({
      method: 'GET',
      path: `/v1/catalog/service/${encodeURIComponent(name)}`,
      query: { tag: tags(options.tag) },
      options,
    });
  }

  /** A node with its services; `null` when the node is unknown. */
  node(name: string, options?: QueryOptions): Promise<QueryResult<CatalogNode | null>> {
    return this.transport.query<CatalogNode | null>({
      method: 'GET',
      path: `/v1/catalog/node/${encodeURIComponent(name)}`,
      options,
    });
  }

  async register(registration: CatalogRegistration, options?: RequestOptions): Promise<boolean> {
    const result = await this.transport.write<boolean>(
      { method: 'PUT', path: '/v1/catalog/register', options },
      registration,
    );
    return result === true;
  }

  async deregister(
    deregistration: CatalogDeregistration,
    options?: RequestOptions,
  ): Promise<boolean> {
    const result = await this.transport.write<boolean>(
      { method: 'PUT', path: '/v1/catalog/deregister', options },
      deregistration,
    );
    return result === true;
  }
}

export function tags(tag: string | string[] | undefined): string[] | undefined {
  if (tag === undefined) return undefined;
  return Array.isArray(tag) ? tag : [tag];
}
