// The DNS listeners: UDP and TCP on every client address, one port (ports.dns; 0 picks a free
// one, shared by all listeners). TCP carries length-prefixed messages (RFC 1035 §4.2.2), several
// per connection, under the deadlines of Consul's DNS server (miekg/dns defaults): each message
// must arrive whole within a deadline (2 s for the first, 8 s of idle time for each next one,
// counted from the previous answer), and a connection serves at most 128 queries. A client that
// trickles a byte now and then cannot pin a socket.
import { createSocket, type SocketOptions, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';

import { framed } from './encode';
import type { HandlerResult } from './handler';
import type { Transport } from './limits';

/** Answers one question packet: a server's resolver, or a client agent asking a server. */
export interface PacketHandler {
  /** `client` is the asker's address (`_ip` lookups answer from it). */
  handle(
    message: Buffer,
    transport: Transport,
    client: string,
  ): HandlerResult | Promise<HandlerResult>;
}

export interface TcpLimits {
  /** The first message must arrive whole within this long after the connection opens. */
  readTimeoutMs: number;
  /** Each next message must arrive whole within this long after the previous one was answered. */
  idleTimeoutMs: number;
  /** Queries served on one connection before it is closed. */
  maxQueries: number;
}

/** miekg/dns's defaults, which Consul's DNS server keeps. */
export const CONSUL_TCP_LIMITS: Readonly<TcpLimits> = {
  readTimeoutMs: 2000,
  idleTimeoutMs: 8000,
  maxQueries: 128,
};
/** Attempts at finding a port free for both UDP and TCP when the config says 0. */
const EPHEMERAL_ATTEMPTS = 10;

export class DnsServer {
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: Server[] = [];
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly handler: PacketHandler,
    private readonly hosts: readonly string[],
    private readonly port: number,
    private readonly logger: Logger,
    private readonly tcpLimits: Readonly<TcpLimits> = CONSUL_TCP_LIMITS,
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
      this.reply(this.handler.handle(message, 'udp', remote.address), (response) => {
        // Without a callback a failed send surfaces as the socket's 'error' event (logged).
        if (response !== null) socket.send(response, remote.port, remote.address);
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
    const { readTimeoutMs, idleTimeoutMs, maxQueries } = this.tcpLimits;
    this.connections.add(connection);
    connection.on('error', (error) => this.logger.debug({ err: error }, 'dns: tcp connection'));
    let received = 0;
    let unanswered = 0;
    // The deadline for the next whole message; time spent answering does not count against it.
    let deadline: NodeJS.Timeout | undefined;
    const awaitMessage = (ms: number): void => {
      clearTimeout(deadline);
      deadline = setTimeout(() => {
        if (unanswered === 0) connection.destroy();
      }, ms);
    };
    awaitMessage(readTimeoutMs);
    connection.on('close', () => {
      clearTimeout(deadline);
      this.connections.delete(connection);
    });
    const answered = (response: Buffer | null): void => {
      unanswered--;
      if (connection.destroyed) return;
      if (response !== null) connection.write(framed(response));
      if (received < maxQueries) awaitMessage(idleTimeoutMs);
      else if (unanswered === 0) connection.destroySoon();
    };
    let pending: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
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
        received++;
        unanswered++;
        clearTimeout(deadline);
        this.reply(this.handler.handle(message, 'tcp', connection.remoteAddress ?? ''), answered);
        if (received === maxQueries) {
          // Whatever else the client sent is not read: the connection ends after the answers.
          connection.off('data', onData);
          connection.pause();
          return;
        }
      }
    };
    connection.on('data', onData);
  }

  /** Hands `send` the response, or null when the handler chose not to answer (or failed). */
  private reply(
    result: HandlerResult | Promise<HandlerResult>,
    send: (response: Buffer | null) => void,
  ): void {
    if (result instanceof Promise) {
      result.then(send, (error: unknown) => {
        this.logger.error({ err: error }, 'dns: request failed');
        send(null);
      });
    } else {
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
