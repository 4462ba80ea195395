// Other datacenters, reached through their servers in the WAN pool: an API request with ?dc=
// naming another datacenter, or a DNS name under `.<dc>.consul`, is carried whole to an alive
// server of that datacenter, which answers it as its own. A server that cannot be reached is
// skipped for the next one of the same datacenter (reads and not-yet-sent writes only).
import { randomInt } from 'node:crypto';

import type { Logger } from 'pino';

import { RpcConnectionError, type ConnPool } from '../rpc';
import { DnsQuery, HttpForward, type ApiReply, type ApiRequest } from './agent-rpc';
import type { RemoteQueryExecutor } from './prepared-query-execute';
import { PreparedQueryExecuteRemote } from './prepared-query-rpc';
import type { KnownServer } from './servers';

/** A forwarded call's deadline beyond a blocking query's wait (rpc_client_timeout). */
const RPC_TIMEOUT_MS = 60_000;
const DNS_TIMEOUT_MS = 5000;

export interface WanView {
  wanServers(): KnownServer[];
  /** Estimated round trip (seconds) from this server to a WAN member; +∞ when unknown. */
  wanDistance(name: string): number;
}

/** Consul's answer for a datacenter no server knows a route to (HTTP 500). */
export class NoPathError extends Error {
  override name = 'NoPathError';
  constructor() {
    super('No path to datacenter');
  }
}

export class RemoteDatacenters {
  constructor(
    private readonly wan: WanView | null,
    private readonly local: string,
    private readonly pool: ConnPool,
    private readonly logger: Logger,
  ) {}

  /**
   * Every datacenter with an alive server: this one first, the others by the median estimated
   * round trip to their servers (WAN coordinates), ties by name.
   */
  datacenters(): string[] {
    const wan = this.wan;
    const servers = this.alive().map((server) => ({
      datacenter: server.datacenter,
      rtt: server.datacenter === this.local || wan === null ? 0 : wan.wanDistance(server.name),
    }));
    return datacentersByDistance(this.local, servers);
  }

  /** Whether `dc` is another datacenter with at least one alive server in the WAN pool. */
  knows(dc: string): boolean {
    return dc !== this.local && this.alive().some((server) => server.datacenter === dc);
  }

  /** Answers `request` by a server of `dc`; `waitMs` is how long it may block there. */
  http(dc: string, request: ApiRequest, waitMs: number, signal: AbortSignal): Promise<ApiReply> {
    const idempotent = request.method === 'GET' || request.method === 'HEAD';
    return this.call(dc, idempotent, (address) =>
      this.pool.call(address, HttpForward, request, {
        signal,
        datacenter: dc,
        timeoutMs: waitMs + RPC_TIMEOUT_MS,
      }),
    );
  }

  /** Answers a DNS question about `dc` by a server of `dc`. */
  async dns(
    dc: string,
    packet: Buffer,
    transport: 'udp' | 'tcp',
    client = '',
  ): Promise<Buffer | null> {
    const reply = await this.call(dc, true, (address) =>
      this.pool.call(
        address,
        DnsQuery,
        { packet, transport, client },
        { timeoutMs: DNS_TIMEOUT_MS, datacenter: dc },
      ),
    );
    return reply.packet === null
      ? null
      : Buffer.from(reply.packet.buffer, reply.packet.byteOffset, reply.packet.length);
  }

  /** Prepared-query failover to other datacenters (ExecuteRemote on one of their servers). */
  queryExecutor(): RemoteQueryExecutor {
    return {
      otherDatacentersByDistance: () =>
        Promise.resolve(this.datacenters().filter((dc) => dc !== this.local)),
      execute: (dc, query, options, signal) =>
        this.call(dc, true, (address) =>
          this.pool.call(
            address,
            PreparedQueryExecuteRemote,
            { query, options },
            { signal, timeoutMs: RPC_TIMEOUT_MS, datacenter: dc },
          ),
        ),
    };
  }

  private alive(): KnownServer[] {
    return (this.wan?.wanServers() ?? []).filter((server) => server.status === 'alive');
  }

  private async call<T>(
    dc: string,
    idempotent: boolean,
    send: (address: string) => Promise<T>,
  ): Promise<T> {
    const servers = shuffle(this.alive().filter((server) => server.datacenter === dc));
    if (servers.length === 0) throw new NoPathError();
    let lastError: unknown = null;
    for (const server of servers) {
      try {
        return await send(server.address);
      } catch (error) {
        if (!(error instanceof RpcConnectionError)) throw error;
        this.logger.warn(
          { datacenter: dc, server: server.name, err: error.message },
          'server of another datacenter unreachable; trying the next',
        );
        lastError = error;
        if (error.mayHaveArrived && !idempotent) throw error;
      }
    }
    throw lastError;
  }
}

/**
 * Consul's GetDatacentersByDistance: the local datacenter counts as zero away; every other is as
 * far as the median (element n/2 of the sorted) round trip to its servers, +∞ for a server
 * without a coordinate; ordered by that, ties by name.
 */
export function datacentersByDistance(
  local: string,
  servers: readonly { datacenter: string; rtt: number }[],
): string[] {
  const rtts = new Map<string, number[]>([[local, [0]]]);
  for (const { datacenter, rtt } of servers) {
    const list = rtts.get(datacenter) ?? [];
    list.push(datacenter === local ? 0 : rtt);
    rtts.set(datacenter, list);
  }
  const median = new Map<string, number>();
  for (const [dc, list] of rtts) {
    const sorted = [...list].sort((a, b) => a - b);
    median.set(dc, sorted[Math.floor(sorted.length / 2)]);
  }
  const byName = [...median.keys()].sort();
  return byName.sort((a, b) => {
    const da = median.get(a) ?? Infinity;
    const db = median.get(b) ?? Infinity;
    return da < db ? -1 : da > db ? 1 : 0;
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
