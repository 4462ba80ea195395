// IP text <-> the raw bytes memberlist puts on the wire (4 bytes for IPv4, 16 for IPv6).
import { isIPv4, isIPv6 } from 'node:net';

export interface Address {
  ip: string;
  port: number;
  /** The node name when known ('' otherwise). */
  name: string;
}

export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map((p) => Number(p)));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return ipToBytes(mapped[1]);
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const headParts = parse(head);
  const tailParts = parse(tail);
  const groups = ip.includes('::')
    ? [
        ...headParts,
        ...new Array<number>(8 - headParts.length - tailParts.length).fill(0),
        ...tailParts,
      ]
    : headParts;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

export function bytesToIp(b: Uint8Array | null): string {
  if (b === null || b.length === 0) return '<nil>';
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const isMapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    if (isMapped) return Array.from(b.subarray(12)).join('.');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    // Compress the longest run of zero groups, as Go prints it.
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestStart < 0) return groups.join(':');
    return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
  }
  return `?${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** host:port text, with brackets for IPv6 (Go's net.JoinHostPort). */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
