// `/v1/health`: checks and service instances with their health.
import { tags } from './catalog';
import type { QueryOptions, QueryResult, Transport } from './transport';
import type { HealthCheck, ServiceEntry } from './types';

export class Health {
  constructor(private readonly transport: Transport) {}

  /** Every check of one node (node and service checks). */
  node(node: string, options?: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    return this.transport.query<HealthCheck[]>({
      method: 'GET',
      path: `/v1/health/node/${encodeURIComponent(node)}`,
      options,
    });
  }

  /** The service checks of every instance of a service. */
  checks(service: string, options?: QueryOptions): Promise<QueryResult<HealthCheck[]>> {
    return this.transport.query<HealthCheck[]>({
      method: 'GET',
      path: `/v1/health/checks/${encodeURIComponent(service)}`,
      options,
    });
  }

  /**
   * Instances of a service with their node and checks. `passing` drops instances with any
   * non-passing check (node checks included); `tag` keeps instances having all given tags.
   */
  service(
    service: string,
    options: QueryOptions & { passing?: boolean; tag?: string | string[] } = {},
  ): Promise<QueryResult<ServiceEntry[]>> {
    return this.transport.query<ServiceEntry[]>({
      method: 'GET',
      path: `/v1/health/service/${encodeURIComponent(service)}`,
      query: { passing: options.passing ? '1' : undefined, tag: tags(options.tag) },
      options,
    });
  }

  /** Checks in a given state (`any` = all). */
  state(
    state: 'any' | 'passing' | 'warning' | 'critical',
    options?: QueryOptions,
  ): Promise<QueryResult<HealthCheck[]>> {
    return this.transport.query<HealthCheck[]>({
      method: 'GET',
      path: `/v1/health/state/${encodeURIComponent(state)}`,
      options,
    });
  }
}
