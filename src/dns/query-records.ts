// Prepared-query lookups (`<name-or-id>.query[.<dc>].consul`): the query runs as over HTTP (the
// agent as its source, failover included) and its instances answer as a service lookup's do,
// with the query's DNS TTL when it has one.
import { parseDuration } from '../config';
import { QueryNotFoundError, type CheckServiceNode } from '../state';
import { prepare } from './instance-cache';
import { serviceTtl, ttlSeconds } from './records';
import type { LookupContext, Sections } from './resolver';
import { instanceAnswers } from './service-records';

/** What DNS needs of the agent's prepared queries (its PreparedQueryService). */
export interface DnsQueryExecutor {
  execute(request: {
    idOrName: string;
    near: string;
    sourceIp: string;
    limit: number;
    connect: boolean;
    token: string | null;
  }): Promise<{
    service: string;
    nodes: CheckServiceNode[];
    dns: { ttl: string };
    datacenter: string;
  }>;
}

/**
 * The answer for a prepared query, or null (NXDOMAIN) when there is no such query or it found no
 * instance. Rejects with any other failure (SERVFAIL).
 */
export async function preparedQueryAnswers(
  ctx: LookupContext,
  executor: DnsQueryExecutor,
  name: string,
  token: string | null,
): Promise<Sections | null> {
  let answer;
  try {
    answer = await executor.execute({
      idOrName: name,
      near: '',
      sourceIp: unmapped(ctx.client ?? ''),
      limit: 0,
      connect: false,
      token,
    });
  } catch (error) {
    if (error instanceof QueryNotFoundError) return null;
    throw error;
  }
  if (answer.nodes.length === 0) return null;
  const ttl =
    answer.dns.ttl !== ''
      ? ttlSeconds(parseDuration(answer.dns.ttl))
      : serviceTtl(answer.service, ctx.config.dnsConfig.serviceTtlMs);
  // Already shuffled and sorted by the query: the order is kept.
  return instanceAnswers(ctx, answer.nodes.map(prepare), ttl, answer.datacenter);
}

// A dual-stack socket reports IPv4 askers as ::ffff:a.b.c.d; catalog addresses are plain IPv4.
function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.')
    ? address.slice(7)
    : address;
}
