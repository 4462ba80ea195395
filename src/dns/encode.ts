// Wire encoding of the responses the resolver builds, in one pass with RFC 1035 §4.1.4 name
// compression (dns-packet writes names whole). The question is copied from the query as it
// came, so the answer echoes its spelling. Names inside NS, CNAME, PTR and SOA data are
// compressed; SRV targets stay whole (RFC 2782). Only the record types the resolver produces
// are written; anything else is a programming error and throws.
import type { Answer, Packet } from 'dns-packet';

import { ipBytes } from './address';

const TYPE_CODES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
};
const QR = 1 << 15;
const CLASS_IN = 1;
const MAX_MESSAGE = 65535;
const POINTER_LIMIT = 0x4000;
const CLIENT_SUBNET = 8;

/** A message with its two-byte length prefix, as DNS over TCP carries it (RFC 1035 §4.2.2). */
export function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** Where the question section of a decoded, one-question query ends. */
export function questionEnd(query: Buffer): number {
  let at = 12;
  for (;;) {
    const length = query[at];
    if (length === 0) return at + 1 + 4;
    // A pointer ends the name (two bytes).
    if ((length & 0xc0) === 0xc0) return at + 2 + 4;
    at += 1 + length;
  }
}

/**
 * Encodes `packet` as a response to `query`, reusing the query's question bytes. With
 * `compress`, names point at earlier occurrences.
 */
export function encodeResponse(packet: Packet, query: Buffer, compress: boolean): Buffer {
  const writer = new MessageWriter(compress);
  const answers = packet.answers ?? [];
  const authorities = packet.authorities ?? [];
  const additionals = packet.additionals ?? [];
  writer.header(packet, answers.length, authorities.length, additionals.length);
  writer.question(query.subarray(12, questionEnd(query)), packet.questions?.[0]?.name);
  for (const record of answers) writer.record(record);
  for (const record of authorities) writer.record(record);
  for (const record of additionals) writer.record(record);
  return writer.done();
}

/** One scratch buffer: responses are encoded one at a time, then copied out. */
const scratch = Buffer.allocUnsafe(MAX_MESSAGE);

class MessageWriter {
  private at = 0;
  /** Name suffixes already written (case kept) → their offset. */
  private readonly names = new Map<string, number>();

  constructor(private readonly compress: boolean) {}

  header(packet: Packet, answers: number, authorities: number, additionals: number): void {
    scratch.writeUInt16BE(packet.id ?? 0, 0);
    scratch.writeUInt16BE(((packet.flags ?? 0) & 0x7fff) | QR, 2);
    scratch.writeUInt16BE(1, 4);
    scratch.writeUInt16BE(answers, 6);
    scratch.writeUInt16BE(authorities, 8);
    scratch.writeUInt16BE(additionals, 10);
    this.at = 12;
  }

  /**
   * Copies the question and remembers its name's suffixes for compression. `name` is the
   * question name as dns-packet decoded it; when its labels do not add up to the bytes (a label
   * holding a dot), the question is left out of compression rather than pointed at wrongly.
   */
  question(bytes: Buffer, name: string | undefined): void {
    this.space(bytes.length);
    bytes.copy(scratch, this.at);
    if (this.compress && name !== undefined && name !== '.') {
      const labels = name.split('.');
      const nameBytes = labels.reduce((n, label) => n + 1 + Buffer.byteLength(label), 1);
      if (nameBytes === bytes.length - 4) {
        let offset = this.at;
        let start = 0;
        for (const label of labels) {
          this.names.set(start === 0 ? name : name.slice(start), offset);
          offset += 1 + Buffer.byteLength(label);
          start += label.length + 1;
        }
      }
    }
    this.at += bytes.length;
  }

  record(record: Answer): void {
    if (record.type === 'OPT') {
      this.opt(record);
      return;
    }
    const type = TYPE_CODES[record.type];
    if (type === undefined) throw new Error(`cannot encode a ${record.type} record`);
    this.name(record.name, this.compress);
    this.space(10);
    scratch.writeUInt16BE(type, this.at);
    scratch.writeUInt16BE(CLASS_IN, this.at + 2);
    scratch.writeUInt32BE((record.ttl ?? 0) >>> 0, this.at + 4);
    const lengthAt = this.at + 8;
    this.at += 10;
    const start = this.at;
    this.data(record);
    scratch.writeUInt16BE(this.at - start, lengthAt);
  }

  done(): Buffer {
    return Buffer.from(scratch.subarray(0, this.at));
  }

  private data(record: Exclude<Answer, { type: 'OPT' }>): void {
    switch (record.type) {
      case 'A':
        this.ipv4(record.data);
        return;
      case 'AAAA': {
        const bytes = ipBytes(record.data);
        if (bytes === null) throw new Error(`${record.type} record with address ${record.data}`);
        this.bytes(bytes);
        return;
      }
      case 'CNAME':
      case 'NS':
      case 'PTR':
        this.name(record.data, this.compress);
        return;
      case 'SOA': {
        const soa = record.data;
        this.name(soa.mname, this.compress);
        this.name(soa.rname, this.compress);
        this.space(20);
        for (const value of [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum]) {
          scratch.writeUInt32BE((value ?? 0) >>> 0, this.at);
          this.at += 4;
        }
        return;
      }
      case 'SRV': {
        const srv = record.data;
        this.space(6);
        scratch.writeUInt16BE(srv.priority ?? 0, this.at);
        scratch.writeUInt16BE(srv.weight ?? 0, this.at + 2);
        scratch.writeUInt16BE(srv.port, this.at + 4);
        this.at += 6;
        this.name(srv.target, false);
        return;
      }
      case 'TXT': {
        const texts = Array.isArray(record.data) ? record.data : [record.data];
        for (const text of texts) {
          const bytes = typeof text === 'string' ? Buffer.from(text) : text;
          if (bytes.length > 255) throw new Error('TXT character-string over 255 bytes');
          this.space(1);
          scratch[this.at++] = bytes.length;
          this.bytes(bytes);
        }
        return;
      }
      default:
        throw new Error(`cannot encode a ${record.type} record`);
    }
  }

  /** EDNS0 OPT: root name, class = UDP payload size, TTL = extended rcode/version/flags. */
  private opt(record: Extract<Answer, { type: 'OPT' }>): void {
    this.space(11);
    scratch[this.at] = 0;
    scratch.writeUInt16BE(TYPE_CODES.OPT, this.at + 1);
    scratch.writeUInt16BE(record.udpPayloadSize, this.at + 3);
    scratch[this.at + 5] = record.extendedRcode;
    scratch[this.at + 6] = record.ednsVersion;
    scratch.writeUInt16BE(record.flags, this.at + 7);
    const lengthAt = this.at + 9;
    this.at += 11;
    const start = this.at;
    for (const option of record.options ?? []) {
      if (option.code !== CLIENT_SUBNET || !('ip' in option) || option.ip === undefined) continue;
      const address = ipBytes(option.ip) ?? Buffer.alloc(0);
      const source = option.sourcePrefixLength ?? 0;
      const kept = address.subarray(0, Math.ceil(source / 8));
      this.space(8);
      scratch.writeUInt16BE(CLIENT_SUBNET, this.at);
      scratch.writeUInt16BE(4 + kept.length, this.at + 2);
      scratch.writeUInt16BE(option.family ?? (address.length === 16 ? 2 : 1), this.at + 4);
      scratch[this.at + 6] = source;
      scratch[this.at + 7] = option.scopePrefixLength ?? 0;
      this.at += 8;
      this.bytes(kept);
    }
    scratch.writeUInt16BE(this.at - start, lengthAt);
  }

  private name(name: string, compress: boolean): void {
    const bare = name.endsWith('.') ? name.slice(0, -1) : name;
    let start = 0;
    while (start < bare.length) {
      const suffix = start === 0 ? bare : bare.slice(start);
      if (compress) {
        const pointer = this.names.get(suffix);
        if (pointer !== undefined) {
          this.space(2);
          scratch.writeUInt16BE(0xc000 | pointer, this.at);
          this.at += 2;
          return;
        }
        if (this.at < POINTER_LIMIT) this.names.set(suffix, this.at);
      }
      const dot = bare.indexOf('.', start);
      const end = dot === -1 ? bare.length : dot;
      const length = Buffer.byteLength(bare.slice(start, end));
      if (length === 0 || length > 63) throw new Error(`bad label in name "${name}"`);
      this.space(1 + length);
      scratch[this.at] = length;
      scratch.write(bare.slice(start, end), this.at + 1, 'utf8');
      this.at += 1 + length;
      start = end + 1;
    }
    this.space(1);
    scratch[this.at++] = 0;
  }

  /** A dotted quad straight into the message (the hot path of every A answer). */
  private ipv4(text: string): void {
    this.space(4);
    let octet = 0;
    let digits = 0;
    let index = 0;
    for (let i = 0; i <= text.length; i++) {
      const code = i === text.length ? 46 : text.charCodeAt(i);
      if (code === 46 && digits > 0 && octet < 256 && index < 4) {
        scratch[this.at + index++] = octet;
        octet = 0;
        digits = 0;
      } else if (code >= 48 && code <= 57 && digits < 3) {
        octet = octet * 10 + code - 48;
        digits++;
      } else {
        throw new Error(`A record with address ${text}`);
      }
    }
    if (index !== 4) throw new Error(`A record with address ${text}`);
    this.at += 4;
  }

  private bytes(bytes: Buffer): void {
    this.space(bytes.length);
    bytes.copy(scratch, this.at);
    this.at += bytes.length;
  }

  private space(bytes: number): void {
    if (this.at + bytes > MAX_MESSAGE) throw new Error('response over 65535 bytes');
  }
}
