// The DNS listeners: UDP and TCP on every client address, one port (ports.dns; 0 picks a free
// one, shared by all listeners). TCP carries length-prefixed messages (RFC 1035 §4.2.2), several
// per connection, with an idle timeout so that silent clients cannot pin sockets.
import { createSocket, type SocketOptions, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';

import { framed } from './encode';
import type { DnsHandler, HandlerResult } from './handler';

const TCP_IDLE_MS = 8000;
/** Attempts at finding a port free for both UDP and TCP when the config says 0. */
const EPHEMERAL_ATTEMPTS = 10;

export class DnsServer {
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: Server[] = [];
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly handler: DnsHandler,
    private readonly hosts: readonly string[],
    private readonly port: number,
    private readonly logger: Logger,
  ) {}

  /** Binds every host on UDP and TCP; returns `host:port` of each (the UDP and TCP port agree). */
  async listen(): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bindAll();
      } catch (error) {
        await this.close();
        const retry = this.port === 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!retry || attempt === EPHEMERAL_ATTEMPTS) throw error;
      }
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    const udp = this.udp.splice(0);
    const tcp = this.tcp.splice(0);
    await Promise.all([
      ...udp.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      ...tcp.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    ]);
  }

  private async bindAll(): Promise<string[]> {
    let port = this.port;
    const addresses: string[] = [];
    for (const host of this.hosts) {
      port = await this.bindUdp(host, port);
      await this.bindTcp(host, port);
      addresses.push(isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);
    }
    return addresses;
  }

  private bindUdp(host: string, port: number): Promise<number> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: literalLookup });
    this.udp.push(socket);
    socket.on('message', (message, remote) => {
      this.reply(this.handler.handle(message, 'udp'), (response) => {
        // Without a callback a failed send surfaces as the socket's 'error' event (logged).
        socket.send(response, remote.port, remote.address);
      });
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.logger.warn({ err: error }, 'dns: udp socket error'));
        resolve(socket.address().port);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<void> {
    const server = createServer((connection) => this.serveConnection(connection));
    this.tcp.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.warn({ err: error }, 'dns: tcp server error'));
        resolve();
      });
    });
  }

  private serveConnection(connection: Socket): void {
    this.connections.add(connection);
    connection.setTimeout(TCP_IDLE_MS, () => connection.destroy());
    connection.on('close', () => this.connections.delete(connection));
    connection.on('error', (error) => this.logger.debug({ err: error }, 'dns: tcp connection'));
    let pending: Buffer = Buffer.alloc(0);
    connection.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (size === 0) {
          connection.destroy();
          return;
        }
        if (pending.length < 2 + size) break;
        const message = pending.subarray(2, 2 + size);
        pending = pending.subarray(2 + size);
        this.reply(this.handler.handle(message, 'tcp'), (response) => {
          if (connection.destroyed) return;
          connection.write(framed(response));
        });
      }
    });
  }

  private reply(result: HandlerResult | Promise<HandlerResult>, send: (b: Buffer) => void): void {
    if (result instanceof Promise) {
      result.then(
        (response) => {
          if (response !== null) send(response);
        },
        (error: unknown) => this.logger.error({ err: error }, 'dns: request failed'),
      );
    } else if (result !== null) {
      send(result);
    }
  }
}

/**
 * Replies go to the sender's address, always an IP literal: resolving it through dns.lookup
 * would cost a tick per packet, so literals answer at once (names still go to dns.lookup).
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else lookup(hostname, options, callback);
};
