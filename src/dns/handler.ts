// One DNS message in, one out (or none): screening of hostile input, the resolver, the
// recursors for names outside the domain, size limits, EDNS and compression.
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet, PacketOpt } from 'dns-packet';
import type { Logger } from 'pino';

import { encodeResponse } from './encode';
import { sizeLimit, trimResponse, type Transport } from './limits';
import { Forwarder } from './recursor';
import { DnsResolver, RCODE, type DnsBackend } from './resolver';

const QR = 1 << 15;
const TC = 1 << 9;
const RD = 1 << 8;
const OPCODE_MASK = 0x7800;

/** A response to send, or null to drop the message silently. */
export type HandlerResult = Buffer | null;

export class DnsHandler {
  private readonly resolver: DnsResolver;
  private readonly forwarder: Forwarder;

  constructor(
    private readonly backend: DnsBackend,
    private readonly logger: Logger,
  ) {
    this.resolver = new DnsResolver(backend);
    this.forwarder = new Forwarder(logger);
  }

  /**
   * Answers local names synchronously; forwarded names and prepared queries resolve later.
   * `client`: the asker's address (a prepared query's `_ip`). Never throws.
   */
  handle(
    message: Buffer,
    transport: Transport,
    client = '',
  ): HandlerResult | Promise<HandlerResult> {
    // Too short to be a query, or a response (QR=1): dropped, never answered (no reflection).
    if (message.length < 12 || (message.readUInt16BE(2) & QR) !== 0) return null;
    const flags = message.readUInt16BE(2);
    if ((flags & OPCODE_MASK) !== 0) return headerOnly(message, RCODE.NOTIMP);
    // One question; at most one answer, one authority and two additionals (OPT, TSIG) in a
    // query, as miekg/dns accepts them; anything else is refused before decoding.
    const questions = message.readUInt16BE(4);
    const answers = message.readUInt16BE(6);
    const authorities = message.readUInt16BE(8);
    if (questions !== 1 || answers > 1 || authorities > 1 || message.readUInt16BE(10) > 2) {
      return headerOnly(message, RCODE.FORMERR);
    }
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return headerOnly(message, RCODE.FORMERR);
    }
    const opt = optOf(query);
    const remote = this.backend.otherDatacenters;
    const datacenter = remote === undefined ? null : this.resolver.otherDatacenter(query);
    if (remote !== undefined && datacenter !== null && remote.knows(datacenter)) {
      return this.askDatacenter(datacenter, message, query, opt, transport, client);
    }
    let response: Packet | null | Promise<Packet>;
    const failed = (error: unknown): HandlerResult => {
      this.logger.error({ err: error, question: query.questions?.[0] }, 'dns lookup failed');
      const failure = DnsResolver.failure(query, this.backend.config, RCODE.SERVFAIL);
      return this.finish(failure, message, query, opt, transport);
    };
    try {
      response = this.resolver.resolve(query, client);
    } catch (error) {
      return failed(error);
    }
    // Prepared queries answer later (they may ask other datacenters).
    if (response instanceof Promise) {
      return response.then((done) => this.finish(done, message, query, opt, transport), failed);
    }
    if (response !== null) return this.finish(response, message, query, opt, transport);
    return this.recurse(message, query, opt, transport);
  }

  /** A server of `datacenter` answers names under it; SERVFAIL when none can. */
  private async askDatacenter(
    datacenter: string,
    message: Buffer,
    query: DecodedPacket,
    opt: OptAnswer | null,
    transport: Transport,
    client: string,
  ): Promise<HandlerResult> {
    const remote = this.backend.otherDatacenters;
    try {
      if (remote !== undefined) return await remote.dns(datacenter, message, transport, client);
    } catch (error) {
      this.logger.warn({ err: error, datacenter }, 'dns: no server of that datacenter answered');
    }
    const failure = DnsResolver.failure(query, this.backend.config, RCODE.SERVFAIL);
    return this.finish(failure, message, query, opt, transport);
  }

  private async recurse(
    message: Buffer,
    query: DecodedPacket,
    opt: OptAnswer | null,
    transport: Transport,
  ): Promise<HandlerResult> {
    const config = this.backend.config;
    if (config.recursors.length === 0) {
      const refused = DnsResolver.failure(query, config, RCODE.REFUSED);
      return this.finish(refused, message, query, opt, transport);
    }
    const reply = await this.forwarder.forward(message, config.recursors, {
      timeoutMs: config.dnsConfig.recursorTimeoutMs,
      strategy: config.dnsConfig.recursorStrategy,
      transport,
      maxBytes: sizeLimit(transport, opt, config.dnsConfig, '').maxBytes,
    });
    if (reply !== null) return reply;
    const failure = DnsResolver.failure(query, config, RCODE.SERVFAIL);
    return this.finish(failure, message, query, opt, transport);
  }

  /** Size limits, the echoed OPT, wire encoding and compression. */
  private finish(
    response: Packet,
    message: Buffer,
    query: DecodedPacket,
    opt: OptAnswer | null,
    transport: Transport,
  ): HandlerResult {
    const dns = this.backend.config.dnsConfig;
    const trailer: Answer[] = opt === null ? [] : [echoOpt(opt)];
    const qtype = query.questions?.[0]?.type ?? '';
    const trimmed = trimResponse(response, sizeLimit(transport, opt, dns, qtype), trailer);
    if (trimmed && dns.enableTruncate) response.flags = (response.flags ?? 0) | TC;
    response.additionals = [...(response.additionals ?? []), ...trailer];
    try {
      return encodeResponse(response, message, !dns.disableCompression);
    } catch (error) {
      this.logger.error({ err: error, question: query.questions?.[0] }, 'dns encoding failed');
      return headerOnly(message, RCODE.SERVFAIL);
    }
  }
}

function optOf(query: DecodedPacket): OptAnswer | null {
  for (const record of query.additionals ?? []) {
    if (record.type === 'OPT') return record;
  }
  return null;
}

/** The client's buffer size echoed back, with its client-subnet option as a global answer. */
function echoOpt(opt: OptAnswer): OptAnswer {
  const options: PacketOpt[] = [];
  for (const option of opt.options ?? []) {
    if (option.code === 8 && 'ip' in option && option.ip !== undefined) {
      options.push({ ...option, scopePrefixLength: 0 });
    }
  }
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: Math.max(512, opt.udpPayloadSize),
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options,
  };
}

/** A bare header (no sections) answering `message` with `rcode`: FORMERR, NOTIMP, SERVFAIL. */
function headerOnly(message: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(message.readUInt16BE(0), 0);
  const flags = message.readUInt16BE(2);
  out.writeUInt16BE(QR | (flags & (OPCODE_MASK | RD)) | (rcode & 0xf), 2);
  return out;
}
