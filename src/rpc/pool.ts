// The client side of the server port: one multiplexed connection per server address, dialed on
// first use, reused by every call, closed when idle and dialed again after a failure. A call
// that was on a connection when it failed is rejected (the caller decides whether to retry: a
// write may or may not have been applied).
import pino, { type Logger } from 'pino';
import { parseAddress } from './address';
import { ClientConnection, type CallOptions } from './client-connection';
import { RpcConnectionError } from './errors';
import { DEFAULT_MAX_FRAME_BYTES } from './frames';
import type { RpcMethod } from './methods';
import type { RpcTls } from './tls';

export interface ConnPoolOptions {
  logger?: Logger;
  /** Consul's pool dials with a 10 s timeout. */
  connectTimeoutMs?: number;
  /** A connection with no call in flight for this long is closed (Consul: 2 min). */
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Calls that may wait per connection while its socket is congested. */
  maxQueuedCalls?: number;
  /** TLS to the servers (RPCTLS) when its settings ask for it (verify_outgoing). */
  tls?: RpcTls;
}

export class ConnPool {
  private readonly connections = new Map<string, ClientConnection>();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: ConnPoolOptions = {}) {
    this.logger = options.logger ?? pino({ name: 'rpc-pool' });
  }

  /** Calls `method` on the server at `address` (`host:port`) and checks its reply. */
  async call<Args, Reply>(
    address: string,
    method: RpcMethod<Args, Reply>,
    args: Args,
    options: CallOptions = {},
  ): Promise<Reply> {
    const raw = await this.connection(address, options.datacenter).call(method.name, args, options);
    try {
      return method.parseReply(raw);
    } catch (err) {
      throw new Error(`rpc ${method.name} to ${address}: unexpected reply: ${String(err)}`, {
        cause: err,
      });
    }
  }

  /** Open connections and the user-space bytes they hold (for tests and stats). */
  stats(): { connections: number; bufferedBytes: number } {
    let bufferedBytes = 0;
    for (const connection of this.connections.values()) bufferedBytes += connection.bufferedBytes;
    return { connections: this.connections.size, bufferedBytes };
  }

  /** Closes every connection; their calls fail with RpcConnectionError. */
  close(): void {
    this.closed = true;
    for (const connection of [...this.connections.values()]) connection.close('pool closed');
  }

  private connection(address: string, datacenter: string | undefined): ClientConnection {
    if (this.closed) throw new RpcConnectionError(address, 'pool closed');
    const existing = this.connections.get(address);
    if (existing !== undefined && !existing.isClosed) return existing;
    const connection = new ClientConnection(
      address,
      parseAddress(address),
      {
        connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
        idleTimeoutMs: this.options.idleTimeoutMs ?? 120_000,
        maxFrameBytes: this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        maxQueuedCalls: this.options.maxQueuedCalls ?? 4096,
        logger: this.logger,
        tls: this.options.tls,
        datacenter,
      },
      (closed) => {
        if (this.connections.get(address) === closed) this.connections.delete(address);
      },
    );
    this.connections.set(address, connection);
    return connection;
  }
}
