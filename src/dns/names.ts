// What a question name asks for (consul-api.md §10.1): labels are read right to left up to the
// first of service|connect|ingress|virtual|node|query|addr; what is left of it names the thing,
// what is right of it the datacenter.

/** A question name split against the domains the agent answers for. */
export interface DomainName {
  /** The domain the question used (`consul.` or the alt domain), as configured, with the dot. */
  domain: string;
  /** The labels before the domain, lower-cased. */
  labels: string[];
}

export type DnsQuery =
  | { kind: 'node'; node: string; datacenter: string | null }
  | { kind: 'service'; service: string; tag: string | null; datacenter: string | null }
  | { kind: 'addr'; hex: string; datacenter: string | null }
  /** A prepared query by ID or name (dots in the name kept). */
  | { kind: 'query'; name: string; datacenter: string | null }
  /** connect, ingress and virtual: not served (NXDOMAIN). */
  | { kind: 'unsupported' }
  | { kind: 'invalid' };

const KINDS = new Set(['service', 'connect', 'ingress', 'virtual', 'node', 'query', 'addr']);

/** Splits `name` under whichever of `domains` it ends with, or null when outside all of them. */
export function splitDomain(name: string, domains: readonly string[]): DomainName | null {
  const lower = trimDot(name.toLowerCase());
  for (const domain of domains) {
    const bare = trimDot(domain.toLowerCase());
    if (lower === bare) return { domain, labels: [] };
    if (lower.endsWith(`.${bare}`)) {
      return { domain, labels: lower.slice(0, -bare.length - 1).split('.') };
    }
  }
  return null;
}

/** Reads the labels of a name inside the domain; `srv` makes the `.service` label optional. */
export function parseQuery(labels: string[], srv: boolean): DnsQuery {
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i];
    if (KINDS.has(label)) return queryOf(label, labels.slice(0, i), labels.slice(i + 1));
    // `_web._tcp.consul`: an RFC 2782 SRV name needs no `.service` label.
    if (srv && label.startsWith('_')) {
      return queryOf('service', labels.slice(0, i + 1), labels.slice(i + 1));
    }
  }
  return { kind: 'invalid' };
}

function queryOf(kind: string, parts: string[], suffixes: string[]): DnsQuery {
  const datacenter = datacenterOf(suffixes);
  if (datacenter === undefined || parts.length === 0) return { kind: 'invalid' };
  switch (kind) {
    case 'node':
      return { kind: 'node', node: parts.join('.'), datacenter };
    case 'addr':
      return parts.length === 1 ? { kind: 'addr', hex: parts[0], datacenter } : { kind: 'invalid' };
    case 'service':
      return serviceQuery(parts, datacenter);
    case 'query':
      return { kind: 'query', name: parts.join('.'), datacenter };
    default:
      return { kind: 'unsupported' };
  }
}

function serviceQuery(parts: string[], datacenter: string | null): DnsQuery {
  const n = parts.length;
  if (n === 2 && parts[0].startsWith('_') && parts[1].startsWith('_')) {
    const tag = parts[1].slice(1);
    return {
      kind: 'service',
      service: parts[0].slice(1),
      tag: tag === 'tcp' ? null : tag,
      datacenter,
    };
  }
  const tag = n > 1 ? parts.slice(0, n - 1).join('.') : null;
  return { kind: 'service', service: parts[n - 1], tag, datacenter };
}

/** `[]` → local, `[dc]`, `[dc, "dc"]`; anything else is not a name we answer (undefined). */
function datacenterOf(suffixes: string[]): string | null | undefined {
  if (suffixes.length === 0) return null;
  if (suffixes.length === 1) return suffixes[0];
  if (suffixes.length === 2 && suffixes[1] === 'dc') return suffixes[0];
  return undefined;
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
