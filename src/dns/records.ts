// Resource records the DNS interface answers with, in dns-packet's shapes.
import type { SoaAnswer, StringAnswer, TxtAnswer } from 'dns-packet';

import type { DnsConfig } from '../config';
import type { Ip } from './address';

/** The question types a record builder may be asked for. */
export type QuestionType = 'A' | 'AAAA' | 'ANY' | 'SRV' | string;

/** An A or AAAA record for `ip` if the question type wants that family, else null. */
export function addressRecord(
  name: string,
  ip: Ip,
  qtype: QuestionType,
  ttl: number,
): StringAnswer | null {
  const v4 = ip.bytes.length === 4;
  const wanted = qtype === 'ANY' || qtype === 'SRV' || (v4 ? qtype === 'A' : qtype === 'AAAA');
  if (!wanted) return null;
  return { name, type: v4 ? 'A' : 'AAAA', class: 'IN', ttl, data: ip.text };
}

export function cnameRecord(name: string, target: string, ttl: number): StringAnswer {
  return { name, type: 'CNAME', class: 'IN', ttl, data: trimDot(target) };
}

/**
 * Node meta as TXT records (one per pair, sorted by key): `key=value` with RFC 1464 escaping of
 * the key, or the bare value for keys prefixed `rfc1035-`.
 */
export function metaRecords(name: string, meta: Record<string, string>, ttl: number): TxtAnswer[] {
  return Object.keys(meta)
    .sort()
    .map((key) => {
      const text = key.toLowerCase().startsWith('rfc1035-')
        ? meta[key]
        : `${escapeRfc1464Key(key)}=${meta[key]}`;
      return { name, type: 'TXT', class: 'IN', ttl, data: characterStrings(text) };
    });
}

/** The domain's SOA (consul-api.md §10.2); serial is the current unix time. */
export function soaRecord(domain: string, soa: DnsConfig['soa']): SoaAnswer {
  const bare = trimDot(domain);
  return {
    name: bare,
    type: 'SOA',
    class: 'IN',
    ttl: soa.minTtl,
    data: {
      mname: `ns.${bare}`,
      rname: `hostmaster.${bare}`,
      serial: Math.floor(Date.now() / 1000) >>> 0,
      refresh: soa.refresh,
      retry: soa.retry,
      expire: soa.expire,
      minimum: soa.minTtl,
    },
  };
}

/** Whole seconds of a TTL in milliseconds. */
export function ttlSeconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

/** TTL for a service: its exact entry, else the longest `prefix*` entry (`*` included), else 0. */
export function serviceTtl(service: string, ttls: Record<string, number>): number {
  const exact = ttls[service];
  if (exact !== undefined) return ttlSeconds(exact);
  let best: string | null = null;
  for (const key of Object.keys(ttls)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (service.startsWith(prefix) && (best === null || prefix.length > best.length - 1)) {
      best = key;
    }
  }
  return best === null ? 0 : ttlSeconds(ttls[best]);
}

/** Whether `name` can be written as a domain name (labels of 1-63 bytes, ≤ 253 in all). */
export function isEncodableName(name: string): boolean {
  const bare = trimDot(name);
  if (Buffer.byteLength(bare) > 253) return false;
  return bare.split('.').every((label) => {
    const size = Buffer.byteLength(label);
    return size > 0 && size <= 63;
  });
}

export function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function escapeRfc1464Key(key: string): string {
  let escaped = key.replace(/`/g, '``').replace(/=/g, '`=');
  // Leading and trailing spaces of a key are significant in RFC 1464: quote them.
  escaped = escaped.replace(/^ +/, (spaces) => '` '.repeat(spaces.length));
  escaped = escaped.replace(/ +$/, (spaces) => '` '.repeat(spaces.length));
  return escaped;
}

/** A TXT value as character-strings of at most 255 bytes each. */
function characterStrings(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  if (bytes.length === 0) return [bytes];
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 255) chunks.push(bytes.subarray(at, at + 255));
  return chunks;
}
