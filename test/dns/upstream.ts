// A small DNS server (dns-packet over node:dgram and node:net) that plays a recursor in tests:
// it answers through a function of the query, or stays silent when that returns null.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';

import { framed } from '../../src/dns';

export type Answerer = (query: DecodedPacket, transport: 'udp' | 'tcp') => Packet | null;

export class FakeUpstream {
  readonly queries: { name: string; transport: 'udp' | 'tcp' }[] = [];

  private constructor(
    readonly port: number,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(answer: Answerer): Promise<FakeUpstream> {
    // UDP picks a free port; TCP may find it taken, then both try again.
    for (;;) {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
      const port = udp.address().port;
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, '127.0.0.1', () => resolve());
        });
      } catch {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        continue;
      }
      return FakeUpstream.serve(answer, new FakeUpstream(port, udp, tcp));
    }
  }

  private static serve(answer: Answerer, upstream: FakeUpstream): FakeUpstream {
    const { udp, tcp } = upstream;
    udp.on('message', (message, remote) => {
      const reply = upstream.respond(answer, message, 'udp');
      if (reply !== null) udp.send(reply, remote.port, remote.address);
    });
    tcp.on('connection', (socket) => {
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        const reply = upstream.respond(answer, chunk.subarray(2), 'tcp');
        if (reply === null) return;
        socket.end(framed(reply));
      });
    });
    return upstream;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.udp.close(() => this.tcp.close(() => resolve()));
    });
  }

  private respond(answer: Answerer, message: Buffer, transport: 'udp' | 'tcp'): Buffer | null {
    const query = dnsPacket.decode(message);
    this.queries.push({ name: query.questions?.[0]?.name ?? '', transport });
    const reply = answer(query, transport);
    return reply === null ? null : dnsPacket.encode(reply);
  }
}

/** A reply to `query` with `rcode`, these answers and any extra flags. */
export function replyTo(
  query: DecodedPacket,
  answers: dnsPacket.Answer[],
  options: { rcode?: number; flags?: number } = {},
): Packet {
  return {
    id: query.id,
    type: 'response',
    flags: dnsPacket.RECURSION_AVAILABLE | (options.flags ?? 0) | (options.rcode ?? 0),
    questions: query.questions,
    answers,
  };
}
