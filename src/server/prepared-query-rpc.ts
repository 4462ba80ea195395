// Consul's PreparedQuery.ExecuteRemote on the server port: another datacenter's failover sends
// the whole query (it is not in this datacenter's store) and gets this datacenter's answer.
// The caller side (finding a server of the datacenter over the WAN) is the agent's
// RemoteQueryExecutor; this is what such a server answers.
import { defineMethod, type RpcMethod, type RpcServer } from '../rpc';
import {
  readCheckServiceNode,
  readPreparedQueryRow,
  WireError,
  type PreparedQuery,
} from '../state';
import type { PreparedQueryExecution, RemoteExecuteOptions } from './prepared-query-execute';
import type { PreparedQueryService } from './prepared-queries';

export interface ExecuteRemoteArgs {
  query: PreparedQuery;
  options: RemoteExecuteOptions;
}

export const PreparedQueryExecuteRemote: RpcMethod<ExecuteRemoteArgs, PreparedQueryExecution> =
  defineMethod('PreparedQuery.ExecuteRemote', parseArgs, parseReply);

/** Answers ExecuteRemote calls from other datacenters with `service`'s local execution. */
export function serveExecuteRemote(rpc: RpcServer, service: PreparedQueryService): void {
  rpc.methods.register(PreparedQueryExecuteRemote, async ({ query, options }) =>
    service.executeRemote(query, options),
  );
}

function fields(raw: unknown, at: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WireError(`${at} must be a map`);
  }
  return raw as Record<string, unknown>;
}

function parseArgs(raw: unknown): ExecuteRemoteArgs {
  const f = fields(raw, 'PreparedQuery.ExecuteRemote args');
  const options = fields(f.options, 'PreparedQuery.ExecuteRemote args.options');
  const { limit, token, connect } = options;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) {
    throw new WireError('PreparedQuery.ExecuteRemote args.options.limit must be an integer');
  }
  if (token !== null && typeof token !== 'string') {
    throw new WireError('PreparedQuery.ExecuteRemote args.options.token must be a string or nil');
  }
  if (typeof connect !== 'boolean') {
    throw new WireError('PreparedQuery.ExecuteRemote args.options.connect must be a boolean');
  }
  return {
    query: readPreparedQueryRow(f.query, 'PreparedQuery.ExecuteRemote args.query'),
    options: { limit, token, connect },
  };
}

function parseReply(raw: unknown): PreparedQueryExecution {
  const at = 'PreparedQuery.ExecuteRemote reply';
  const f = fields(raw, at);
  const dns = fields(f.dns, `${at}.dns`);
  const text = (value: unknown, field: string): string => {
    if (typeof value !== 'string') throw new WireError(`${at}.${field} must be a string`);
    return value;
  };
  if (!Array.isArray(f.nodes)) throw new WireError(`${at}.nodes must be an array`);
  const failovers = f.failovers;
  if (typeof failovers !== 'number' || !Number.isSafeInteger(failovers) || failovers < 0) {
    throw new WireError(`${at}.failovers must be a non-negative integer`);
  }
  return {
    service: text(f.service, 'service'),
    nodes: f.nodes.map((node, i) => readCheckServiceNode(node, `${at}.nodes[${i}]`)),
    dns: { ttl: text(dns.ttl, 'dns.ttl') },
    datacenter: text(f.datacenter, 'datacenter'),
    failovers,
    filteredByAcls: f.filteredByAcls === true,
  };
}
