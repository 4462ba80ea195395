// Forwarding names outside the domain to `recursors` (consul-api.md §10.3): in order (or in a
// random order), each with `recursor_timeout`; UDP first, TCP when the UDP reply is truncated.
// The first NOERROR/NXDOMAIN reply is returned as the upstream wrote it, under the client's ID.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect, isIPv6 } from 'node:net';
import type { Logger } from 'pino';

import { framed } from './encode';
import type { Transport } from './limits';
import { shuffle } from './shuffle';

export interface ForwardOptions {
  timeoutMs: number;
  strategy: 'sequential' | 'random';
  /** How the client asked: a TCP client may get a reply of any size. */
  transport: Transport;
  /** The largest reply the client can take over UDP. */
  maxBytes: number;
}

interface Upstream {
  host: string;
  port: number;
}

const TC = 1 << 9;
const QR = 1 << 15;

export class Forwarder {
  constructor(private readonly logger: Logger) {}

  /** The upstream reply for `message`, or null when every recursor failed. Never throws. */
  async forward(
    message: Buffer,
    recursors: readonly string[],
    options: ForwardOptions,
  ): Promise<Buffer | null> {
    const order = recursors.map((_, i) => i);
    if (options.strategy === 'random') shuffle(order);
    const clientId = message.readUInt16BE(0);
    for (const index of order) {
      const recursor = recursors[index];
      try {
        const reply = await this.exchange(parseUpstream(recursor), message, options);
        const rcode = reply.readUInt16BE(2) & 0xf;
        if (rcode !== 0 && rcode !== 3) {
          this.logger.warn({ recursor, rcode }, 'recursor answered with an error, trying the next');
          continue;
        }
        reply.writeUInt16BE(clientId, 0);
        return reply;
      } catch (error) {
        this.logger.warn({ recursor, err: error }, 'recursor failed, trying the next');
      }
    }
    return null;
  }

  private async exchange(
    upstream: Upstream,
    message: Buffer,
    options: ForwardOptions,
  ): Promise<Buffer> {
    const query = Buffer.from(message);
    const id = randomInt(0x10000);
    query.writeUInt16BE(id, 0);
    if (options.transport === 'tcp') return exchangeTcp(upstream, query, id, options.timeoutMs);
    const reply = await exchangeUdp(upstream, query, id, options.timeoutMs);
    if ((reply.readUInt16BE(2) & TC) === 0) return reply;
    const full = await exchangeTcp(upstream, query, id, options.timeoutMs);
    // A UDP client that cannot take the whole reply gets the truncated one and retries on TCP.
    return full.length <= options.maxBytes ? full : reply;
  }
}

/** `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]:53`. */
export function parseUpstream(recursor: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(recursor);
  if (bracketed !== null) return { host: bracketed[1], port: Number(bracketed[2] ?? 53) };
  if (isIPv6(recursor)) return { host: recursor, port: 53 };
  const at = recursor.lastIndexOf(':');
  if (at === -1) return { host: recursor, port: 53 };
  return { host: recursor.slice(0, at), port: Number(recursor.slice(at + 1)) };
}

function checkReply(reply: Buffer, id: number): boolean {
  return reply.length >= 12 && reply.readUInt16BE(0) === id && (reply.readUInt16BE(2) & QR) !== 0;
}

/**
 * Runs one exchange: `start` sends and reports the reply through `done`; a timeout or an error
 * ends it too, and `cleanup` closes the socket exactly once.
 */
function exchange(
  timeoutMs: number,
  start: (done: (error: Error | null, reply?: Buffer) => void) => () => void,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let cleanup: () => void = () => undefined;
    const done = (error: Error | null, reply?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      if (error !== null) reject(error);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs}ms`)), timeoutMs);
    cleanup = start(done);
  });
}

function exchangeUdp(
  upstream: Upstream,
  query: Buffer,
  id: number,
  timeoutMs: number,
): Promise<Buffer> {
  return exchange(timeoutMs, (done) => {
    const socket = createSocket(isIPv6(upstream.host) ? 'udp6' : 'udp4');
    socket.on('error', (error) => done(error));
    socket.on('message', (reply) => {
      // Anything but the reply to this query (spoofed or late) is ignored.
      if (checkReply(reply, id)) done(null, reply);
    });
    socket.connect(upstream.port, upstream.host, () => socket.send(query));
    return () => socket.close();
  });
}

function exchangeTcp(
  upstream: Upstream,
  query: Buffer,
  id: number,
  timeoutMs: number,
): Promise<Buffer> {
  return exchange(timeoutMs, (done) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let received = Buffer.alloc(0);
    socket.on('error', (error) => done(error));
    socket.on('end', () => done(new Error('connection closed before the reply')));
    socket.on('connect', () => socket.write(framed(query)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const reply = received.subarray(2, 2 + received.readUInt16BE(0));
      if (checkReply(reply, id)) done(null, Buffer.from(reply));
      else done(new Error('reply does not match the query'));
    });
    return () => socket.destroy();
  });
}
