// IP address forms the DNS interface needs: bytes for A/AAAA and `<hex>.addr` names, and the
// address a reverse (PTR) name stands for.
import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as DNS needs it: its bytes (4 or 16) and the text A/AAAA records carry. */
export interface Ip {
  bytes: Buffer;
  text: string;
}

/** The IP an address literal stands for, or null for a hostname. */
export function parseIp(address: string): Ip | null {
  const bytes = ipBytes(address);
  return bytes === null ? null : ipOf(bytes);
}

export function ipOf(bytes: Buffer): Ip {
  return { bytes, text: formatIp(bytes) };
}

/** 4 or 16 bytes for an IPv4/IPv6 literal, else null (a hostname). */
export function ipBytes(address: string): Buffer | null {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) return null;
  const zone = address.indexOf('%');
  let text = zone === -1 ? address : address.slice(0, zone);
  const tail: number[] = [];
  const dotted = text.lastIndexOf(':');
  if (text.includes('.', dotted)) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
    tail.push(
      ...text
        .slice(dotted + 1)
        .split('.')
        .map(Number),
    );
    text = `${text.slice(0, dotted + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, null];
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  const first = groups(head);
  const last = rest === null ? [] : groups(rest);
  const all = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/** The dotted or colon form dns-packet writes into A/AAAA records. */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** The IP a `<hex>.addr` label stands for: 8 hex digits → IPv4, 32 → IPv6, else null. */
export function ipFromHex(label: string): Buffer | null {
  if ((label.length !== 8 && label.length !== 32) || !/^[0-9a-f]+$/i.test(label)) return null;
  return Buffer.from(label, 'hex');
}

/**
 * The address bytes of a reverse name (labels of `4.3.2.1.in-addr.arpa` or of the 32 nibbles of
 * `….ip6.arpa`, without the arpa suffix), or null when they don't spell a whole address.
 */
export function ipFromReverse(labels: string[], family: 'in-addr' | 'ip6'): Buffer | null {
  const reversed = [...labels].reverse();
  if (family === 'in-addr') {
    if (reversed.length !== 4 || !reversed.every((l) => /^\d{1,3}$/.test(l) && Number(l) < 256)) {
      return null;
    }
    return Buffer.from(reversed.map(Number));
  }
  if (reversed.length !== 32 || !reversed.every((l) => /^[0-9a-f]$/i.test(l))) return null;
  return Buffer.from(reversed.join(''), 'hex');
}
