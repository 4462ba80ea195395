// Consul's PreparedQuery endpoint on a server: Apply (create/update/delete through Raft, with
// the ID chosen here), Explain (which query a name selects, rendered), Execute (the local
// datacenter, then failover) and ExecuteRemote (what another datacenter asks of this one).
// ACL checks on writes and on reads of definitions sit in front of it (HTTP's acl-runtime);
// execution filters its results with the query's token, else the caller's.
import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import type { AclResolver } from '../acl';
import type { AgentConfig } from '../config';
import {
  emptyPreparedQuery,
  PreparedQueryError,
  QueryNotFoundError,
  type CheckServiceNode,
  type Command,
  type PreparedQuery,
  type PreparedQueryOp,
  type PreparedQueryResult,
  type PreparedQueryWrite,
  type StateStore,
} from '../state';
import { metrics } from '../telemetry';
import {
  failover,
  NO_REMOTE_DATACENTERS,
  selectInstances,
  shuffleInPlace,
  sortNearSource,
  type NearSorter,
  type PreparedQueryExecution,
  type RemoteExecuteOptions,
  type RemoteQueryExecutor,
} from './prepared-query-execute';
import { preparedQueryProblem } from './prepared-query-validate';

/** A refused request; its message is Consul's error text (HTTP 500). */
export class PreparedQueryRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreparedQueryRequestError';
  }
}

/** One execution as the HTTP API and DNS ask for it (Consul's PreparedQueryExecuteRequest). */
export interface ExecuteRequest {
  idOrName: string;
  /** `?near`: a node name, `_agent` or `_ip`; beats the query's own Near. "" for none. */
  near: string;
  /** The client's address, for `_ip` (DNS). "" when unknown. */
  sourceIp: string;
  /** Cut the results to this many (0: all). */
  limit: number;
  /** `?connect`: Connect-capable instances only. */
  connect: boolean;
  /** The caller's token (null: the agent's default / anonymous). */
  token: string | null;
  signal?: AbortSignal;
}

export interface PreparedQueryServiceOptions {
  store: StateStore;
  apply: (cmd: Command) => Promise<unknown>;
  /**
   * Resolves once this server's store has what the leader had applied (a follower's checks of
   * existing queries then see the latest writes, as Consul's forwarded RPC does on the leader).
   */
  catchUp: () => Promise<unknown>;
  config: () => AgentConfig;
  acl: AclResolver;
  logger: Logger;
}

export class PreparedQueryService {
  private remote: RemoteQueryExecutor = NO_REMOTE_DATACENTERS;
  private nearSorter: NearSorter | null = null;

  constructor(private readonly options: PreparedQueryServiceOptions) {}

  /** How other datacenters are reached for failover (none until the agent provides one). */
  setRemoteExecutor(remote: RemoteQueryExecutor): void {
    this.remote = remote;
  }

  /** Where `Near` sorting finds coordinates (none: shuffled order). */
  setNearSorter(sorter: NearSorter | null): void {
    this.nearSorter = sorter;
  }

  /**
   * Consul's PreparedQuery.Apply: create (ID chosen here; must come empty), update or delete
   * (the query must exist). Resolves with the query's ID.
   */
  async apply(op: PreparedQueryOp, request: PreparedQueryWrite): Promise<string> {
    const started = performance.now();
    const { store } = this.options;
    const query = structuredClone(request);
    await this.options.catchUp();
    if (op === 'create') {
      if (query.id !== '') {
        throw new PreparedQueryRequestError('ID must be empty when creating a new prepared query');
      }
      query.id = randomUUID();
      while (store.preparedQueryGet(query.id).value !== null) query.id = randomUUID();
    } else if (store.preparedQueryGet(query.id).value === null) {
      throw new PreparedQueryRequestError(
        `Cannot modify non-existent prepared query: '${query.id}'`,
      );
    }
    if (op !== 'delete') {
      const problem = preparedQueryProblem(query);
      if (problem !== null) {
        throw new PreparedQueryRequestError(`Invalid prepared query: ${problem}`);
      }
    }
    const cmd = { type: 'prepared-query-apply', op, query } as const;
    const result = (await this.options.apply(
      op === 'delete' ? { ...cmd, query: emptyPreparedQuery(query.id) } : cmd,
    )) as PreparedQueryResult;
    metrics.measureSince('prepared-query.apply', started);
    if (!result.ok) throw new PreparedQueryRequestError(result.error);
    return query.id;
  }

  /** The query `idOrName` selects, rendered for it when a template (Consul's Explain). */
  resolve(idOrName: string): { query: PreparedQuery; index: number } {
    let resolved;
    try {
      resolved = this.options.store.preparedQueryResolve(idOrName, '');
    } catch (error) {
      if (error instanceof PreparedQueryError) throw new PreparedQueryRequestError(error.message);
      throw error;
    }
    if (resolved.value === null) throw new QueryNotFoundError();
    return { query: resolved.value, index: resolved.index };
  }

  /**
   * Consul's PreparedQuery.Execute: the query's healthy instances here, ACL-filtered, shuffled,
   * sorted near the source, cut to the limit; when none is left, the failover datacenters.
   */
  async execute(request: ExecuteRequest): Promise<PreparedQueryExecution> {
    const started = performance.now();
    const { query } = this.resolve(request.idOrName);
    const { nodeName } = this.options.config();
    const local = this.executeHere(query, request.token, request.connect);
    shuffleInPlace(local.nodes);
    const source = this.sourceNode(request.near !== '' ? request.near : query.service.near, {
      agent: nodeName,
      ip: request.sourceIp,
    });
    sortNearSource(local.nodes, source, this.nearSorter);
    if (request.limit > 0) local.nodes = local.nodes.slice(0, request.limit);
    metrics.measureSince('prepared-query.execute', started);
    if (local.nodes.length > 0) return local;
    const remoteOptions: RemoteExecuteOptions = {
      limit: request.limit,
      token: request.token,
      connect: request.connect,
    };
    return failover(
      query,
      local,
      this.remote,
      remoteOptions,
      (dc, error) =>
        this.options.logger.warn(
          { err: error, service: query.service.service, datacenter: dc },
          'Failed querying for service in datacenter',
        ),
      request.signal,
    );
  }

  /**
   * Consul's PreparedQuery.ExecuteRemote: another datacenter's failover runs `query` here, with
   * no failover of its own; results shuffled and cut to the limit.
   */
  executeRemote(query: PreparedQuery, options: RemoteExecuteOptions): PreparedQueryExecution {
    const started = performance.now();
    const answer = this.executeHere(query, options.token, options.connect);
    shuffleInPlace(answer.nodes);
    if (options.limit > 0) answer.nodes = answer.nodes.slice(0, options.limit);
    metrics.measureSince('prepared-query.execute_remote', started);
    return answer;
  }

  /** The selected instances in this datacenter, filtered by the query's token or the caller's. */
  private executeHere(
    query: PreparedQuery,
    callerToken: string | null,
    connect: boolean,
  ): PreparedQueryExecution {
    const { store, acl } = this.options;
    // Consulate registers no Connect-capable instances: a Connect query finds none.
    const instances =
      query.service.connect || connect
        ? []
        : selectInstances(store.healthServiceNodes(query.service.service).value, query.service);
    let nodes: CheckServiceNode[] = instances;
    if (acl.enabled()) {
      const permissions = acl.resolve(query.token !== '' ? query.token : callerToken);
      nodes = instances.filter(
        (entry) =>
          permissions.allows('node', entry.node.node, 'read') &&
          permissions.allows('service', entry.service.service, 'read'),
      );
    }
    return {
      service: query.service.service,
      nodes,
      dns: { ...query.dns },
      datacenter: this.options.config().datacenter,
      failovers: 0,
      filteredByAcls: nodes.length !== instances.length,
    };
  }

  /** `_agent` → this agent's node; `_ip` → the node with the client's address, else none. */
  private sourceNode(near: string, { agent, ip }: { agent: string; ip: string }): string {
    if (near === '_agent') return agent;
    if (near !== '_ip') return near;
    if (ip === '') return '';
    const node = this.options.store.catalogNodes().value.find((row) => row.address === ip);
    return node?.node ?? '';
  }
}
