// A client agent's DNS: every question is answered by a server's resolver over the server port.
// When no server answers, the last good answer to the same question is served for as long as
// dns_config.allow_stale / max_stale allow (★ Consul issues 13243, 1554: a client whose servers
// are briefly unreachable keeps resolving), logged once per outage with its age.
import type { Logger } from 'pino';

import type { DnsConfig } from '../config';
import { DnsQuery } from '../server';
import { RPC_CLIENT_TIMEOUT_MS } from './agent-host';
import type { ServerRpc } from './server-rpc';

/** How many distinct questions keep a last good answer. */
export const DNS_CACHE_ENTRIES = 10_000;
const DNS_RPC_TIMEOUT_MS = 5000;
const SERVFAIL = 2;

interface CachedAnswer {
  packet: Buffer;
  atMs: number;
}

export class ClientDnsHandler {
  private readonly answers = new Map<string, CachedAnswer>();
  private outageLogged = false;

  constructor(
    private readonly rpc: ServerRpc,
    private readonly dnsConfig: () => DnsConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(message: Buffer, transport: 'udp' | 'tcp', client: string): Promise<Buffer | null> {
    if (message.length < 12) return null;
    // The question without its ID: the same question asked again maps to the same entry.
    const key = `${transport}:${message.subarray(2).toString('base64')}`;
    try {
      const { packet } = await this.rpc.call(
        DnsQuery,
        { packet: message, transport, client },
        { timeoutMs: Math.min(DNS_RPC_TIMEOUT_MS, RPC_CLIENT_TIMEOUT_MS), idempotent: true },
      );
      if (packet === null) return null;
      const answer = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
      this.remember(key, answer);
      if (this.outageLogged) {
        this.outageLogged = false;
        this.logger.info('dns: servers answer again; stale answers no longer served');
      }
      return answer;
    } catch (error) {
      return this.stale(key, message, error);
    }
  }

  private remember(key: string, packet: Buffer): void {
    this.answers.delete(key);
    this.answers.set(key, { packet, atMs: this.now() });
    if (this.answers.size > DNS_CACHE_ENTRIES) {
      const oldest = this.answers.keys().next().value as string;
      this.answers.delete(oldest);
    }
  }

  /** The last good answer with this question's ID, or SERVFAIL when there is none fresh enough. */
  private stale(key: string, message: Buffer, error: unknown): Buffer {
    const { allowStale, maxStaleMs } = this.dnsConfig();
    const cached = this.answers.get(key);
    const ageMs = cached === undefined ? Infinity : this.now() - cached.atMs;
    if (cached !== undefined && allowStale && ageMs <= maxStaleMs) {
      if (!this.outageLogged) {
        this.outageLogged = true;
        this.logger.warn(
          { err: (error as Error).message, age_ms: ageMs, max_stale_ms: maxStaleMs },
          'dns: no server answered; serving the last good answers (dns_config.max_stale bounds their age)',
        );
      }
      const answer = Buffer.from(cached.packet);
      message.copy(answer, 0, 0, 2);
      return answer;
    }
    this.logger.warn({ err: (error as Error).message }, 'dns: no server answered the question');
    return servfail(message);
  }
}

/** A SERVFAIL answer to `message`: its header and question, nothing else. */
function servfail(message: Buffer): Buffer {
  const answer = Buffer.from(message.subarray(0, questionEnd(message)));
  const flags = message.readUInt16BE(2);
  // QR set, opcode and RD kept, RA set, rcode SERVFAIL; no answer sections.
  answer.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | SERVFAIL, 2);
  answer.writeUInt16BE(answer.length > 12 ? 1 : 0, 4);
  answer.writeUInt16BE(0, 6);
  answer.writeUInt16BE(0, 8);
  answer.writeUInt16BE(0, 10);
  return answer;
}

/** Where the first question ends (after QTYPE and QCLASS), or 12 when it cannot be read. */
function questionEnd(message: Buffer): number {
  let at = 12;
  while (at < message.length) {
    const length = message[at];
    if (length === 0) return at + 5 <= message.length ? at + 5 : 12;
    if (length > 63) return 12;
    at += length + 1;
  }
  return 12;
}
