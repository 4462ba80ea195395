// Calls from a client agent to the servers of its datacenter: the head of the server list takes
// the call; a server that cannot be reached is skipped for the next one, as long as the call
// may be repeated (it is idempotent, or it certainly never reached the failed server).
import type { Logger } from 'pino';

import { RpcConnectionError, type ConnPool, type RpcMethod } from '../rpc';
import type { KnownServer } from '../server';
import type { ServerList } from './servers';

/** Consul's answer when a client agent knows no server (HTTP 500). */
export class NoServersError extends Error {
  override name = 'NoServersError';
  constructor() {
    super('No known Consul servers');
  }
}

export interface ServerCallOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** A read, or a write the server would apply the same way twice. */
  idempotent: boolean;
}

export class ServerRpc {
  constructor(
    private readonly pool: ConnPool,
    private readonly list: ServerList,
    private readonly logger: Logger,
  ) {}

  /** Number of servers a call could go to right now. */
  known(): number {
    return this.list.servers().length;
  }

  async call<Args, Reply>(
    method: RpcMethod<Args, Reply>,
    args: Args,
    options: ServerCallOptions,
  ): Promise<Reply> {
    const servers = this.list.servers();
    if (servers.length === 0) throw new NoServersError();
    let lastError: unknown = null;
    for (const server of servers) {
      options.signal?.throwIfAborted();
      try {
        return await this.pool.call(server.address, method, args, {
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        });
      } catch (error) {
        if (!(error instanceof RpcConnectionError)) throw error;
        this.failed(server, error);
        lastError = error;
        if (error.mayHaveArrived && !options.idempotent) throw error;
      }
    }
    throw lastError;
  }

  private failed(server: KnownServer, error: RpcConnectionError): void {
    this.logger.warn(
      { server: server.name, address: server.address, err: error.message },
      'server unreachable; using another',
    );
    this.list.failed(server);
  }
}
