// Response size limits (consul-api.md §10.4): UDP without EDNS is cut to min(udp_answer_limit, 8)
// answers and to 512 bytes; EDNS raises the byte limit to the advertised buffer; TCP allows
// 64 KiB. Sizes are measured uncompressed, as Consul does, so a response fits even if a
// downstream server decompresses it. ADDITIONAL follows what is left of ANSWER.
import * as dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Packet } from 'dns-packet';

import type { DnsConfig } from '../config';

export type Transport = 'udp' | 'tcp';

export interface SizeLimit {
  maxBytes: number;
  /** Answer count cut applied before the byte limit, or null. */
  maxAnswers: number | null;
}

const PLAIN_UDP_SIZE = 512;
const MAX_UDP_SIZE = 65467;
const MAX_TCP_SIZE = 65523;
const MAX_UDP_ANSWERS = 8;

export function sizeLimit(
  transport: Transport,
  opt: OptAnswer | null,
  config: DnsConfig,
  qtype: string,
): SizeLimit {
  if (transport === 'tcp') {
    return { maxBytes: MAX_TCP_SIZE, maxAnswers: qtype === 'SRV' ? 1024 : 4096 };
  }
  const advertised = opt === null ? 0 : opt.udpPayloadSize;
  const maxBytes = Math.min(MAX_UDP_SIZE, Math.max(PLAIN_UDP_SIZE, advertised));
  return {
    maxBytes,
    maxAnswers:
      maxBytes === PLAIN_UDP_SIZE ? Math.min(config.udpAnswerLimit, MAX_UDP_ANSWERS) : null,
  };
}

/**
 * Trims `response` (in place) to the limit; returns whether answers were dropped. One answer is
 * always kept, even if alone it does not fit, as Consul does. `trailer` (the OPT record) is
 * counted but not touched.
 */
export function trimResponse(response: Packet, limit: SizeLimit, trailer: Answer[]): boolean {
  const answers = response.answers ?? [];
  const original = answers.length;
  if (limit.maxAnswers !== null && answers.length > limit.maxAnswers) {
    answers.length = limit.maxAnswers;
  }
  const extras = response.additionals ?? [];
  const measure = new Sizer(response, trailer);
  if (answers.length > 1 && measure.total(answers.length, extras) > limit.maxBytes) {
    // AUTHORITY goes first, as Consul drops it before any answer.
    measure.dropAuthorities();
    response.authorities = [];
    // The largest count that fits, by binary search over prefixes of ANSWER.
    let low = 1;
    let high = answers.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (measure.total(mid, extras) <= limit.maxBytes) low = mid;
      else high = mid - 1;
    }
    answers.length = low;
  }
  response.answers = answers;
  response.additionals = keptExtras([...answers, ...(response.authorities ?? [])], extras);
  return answers.length < original;
}

/** Uncompressed size of a response with the first `n` answers and the extras they keep. */
class Sizer {
  private readonly answers: Answer[];
  private readonly authorities: Answer[];
  private readonly prefix: number[] = [0];
  private readonly base: number;
  private authoritiesSize: number;

  constructor(response: Packet, trailer: Answer[]) {
    this.answers = response.answers ?? [];
    this.authorities = response.authorities ?? [];
    for (const answer of this.answers) {
      this.prefix.push(this.prefix[this.prefix.length - 1] + recordSize(answer));
    }
    this.base =
      12 +
      (response.questions ?? []).reduce((n, q) => n + nameSize(q.name) + 4, 0) +
      trailer.reduce((n, r) => n + recordSize(r), 0);
    this.authoritiesSize = this.authorities.reduce((n, r) => n + recordSize(r), 0);
  }

  dropAuthorities(): void {
    this.authorities.length = 0;
    this.authoritiesSize = 0;
  }

  total(n: number, extras: Answer[]): number {
    const kept = keptExtras([...this.answers.slice(0, n), ...this.authorities], extras);
    const extraSize = kept.reduce((sum, record) => sum + recordSize(record), 0);
    return this.base + this.prefix[n] + this.authoritiesSize + extraSize;
  }
}

/** ADDITIONAL records still referred to: by a record's name, SRV, CNAME or NS target. */
function keptExtras(records: Answer[], extras: Answer[]): Answer[] {
  if (extras.length === 0) return extras;
  const names = new Set<string>();
  for (const record of records) {
    names.add(record.name.toLowerCase());
    if (record.type === 'SRV') names.add(record.data.target.toLowerCase());
    if (record.type === 'CNAME' || record.type === 'NS') names.add(record.data.toLowerCase());
  }
  return extras.filter((extra) => names.has(extra.name.toLowerCase()));
}

/** Uncompressed wire size of a record; the resolver's types by hand, others by dns-packet. */
function recordSize(record: Answer): number {
  switch (record.type) {
    case 'A':
      return nameSize(record.name) + 14;
    case 'AAAA':
      return nameSize(record.name) + 26;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return nameSize(record.name) + 10 + nameSize(record.data);
    case 'SRV':
      return nameSize(record.name) + 16 + nameSize(record.data.target);
    default:
      return dnsPacket.encodingLength({ answers: [record] }) - 12;
  }
}

function nameSize(name: string): number {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare === '' ? 1 : Buffer.byteLength(bare) + 2;
}
