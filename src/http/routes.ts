// Which methods each endpoint accepts, collected from the routes the controllers register, so
// that a request the router did not match can be answered as Consul does: 405 + Allow for a
// known path with the wrong method, 200 + Allow for OPTIONS, 404 otherwise.

// Consul lists methods in its handlers' order; OPTIONS always comes first.
const METHOD_ORDER = ['GET', 'PUT', 'POST', 'DELETE'];

interface RoutePattern {
  /** Static segments, with ':' for a one-segment parameter; a trailing '*' matches the rest. */
  segments: string[];
  wildcard: boolean;
  methods: Set<string>;
}

export class RouteTable {
  private readonly patterns = new Map<string, RoutePattern>();

  /** Records a registered route (fed from Fastify's onRoute hook). */
  add(method: string, url: string): void {
    let pattern = this.patterns.get(url);
    if (pattern === undefined) {
      const wildcard = url.endsWith('*');
      const path = wildcard ? url.slice(0, -1) : url;
      const segments = path.split('/').map((segment) => (segment.startsWith(':') ? ':' : segment));
      pattern = { segments, wildcard, methods: new Set() };
      this.patterns.set(url, pattern);
    }
    pattern.methods.add(method.toUpperCase());
  }

  /** The `Allow` header value for `path`, or null when no endpoint serves it. */
  allowFor(path: string): string | null {
    const methods = new Set<string>();
    const segments = path.split('/');
    for (const pattern of this.patterns.values()) {
      if (matches(pattern, segments)) pattern.methods.forEach((method) => methods.add(method));
    }
    if (methods.size === 0) return null;
    const ordered = [...methods].sort(
      (a, b) => orderOf(a) - orderOf(b) || (a < b ? -1 : a > b ? 1 : 0),
    );
    return ['OPTIONS', ...ordered.filter((method) => method !== 'OPTIONS')].join(',');
  }
}

function orderOf(method: string): number {
  const at = METHOD_ORDER.indexOf(method);
  return at === -1 ? METHOD_ORDER.length : at;
}

function matches(pattern: RoutePattern, segments: string[]): boolean {
  const fixed = pattern.segments;
  if (pattern.wildcard) {
    // '/v1/kv/*' splits to ['', 'v1', 'kv', '']: the last element is where the rest starts.
    const head = fixed.length - 1;
    if (segments.length < fixed.length) return false;
    for (let i = 0; i < head; i++) if (!segmentMatches(fixed[i], segments[i])) return false;
    return true;
  }
  if (segments.length !== fixed.length) return false;
  for (let i = 0; i < fixed.length; i++) if (!segmentMatches(fixed[i], segments[i])) return false;
  return true;
}

function segmentMatches(pattern: string, segment: string): boolean {
  return pattern === ':' ? segment !== '' : pattern === segment;
}
