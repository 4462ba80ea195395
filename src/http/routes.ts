// Which endpoint owns a path and which methods it accepts, collected from the routes the
// controllers register. Consul's mux gives a path to the endpoint with the longest matching
// pattern, whatever the method (`/v1/agent/service/deregister/x` belongs to the PUT-only
// deregister endpoint, not to GET `/v1/agent/service/:id`), and that endpoint answers a method
// it does not take with 405 + Allow. Fastify routes per method, so a GET there would land in the
// GET wildcard; `misrouted` finds those requests, `allowFor` answers the ones no route matched.

// Consul lists methods in its handlers' order; OPTIONS always comes first.
const METHOD_ORDER = ['GET', 'PUT', 'POST', 'DELETE'];

interface RoutePattern {
  url: string;
  /** Static segments, with ':' for a one-segment parameter; a trailing '*' matches the rest. */
  segments: string[];
  wildcard: boolean;
  /** Length of the literal text before the first parameter or wildcard: longer wins. */
  specificity: number;
  methods: Set<string>;
}

/** One endpoint as registered: its route URL and the methods it accepts, in Consul's order. */
export interface RouteEntry {
  url: string;
  methods: string[];
}

export class RouteTable {
  private readonly patterns = new Map<string, RoutePattern>();
  /** Route URLs with a more specific route inside their wildcard (computed on first use). */
  private shadowed: Set<string> | null = null;

  /** Records a registered route (fed from Fastify's onRoute hook). */
  add(method: string, url: string): void {
    let pattern = this.patterns.get(url);
    if (pattern === undefined) {
      const wildcard = url.endsWith('*');
      const path = wildcard ? url.slice(0, -1) : url;
      const segments = path.split('/').map((segment) => (segment.startsWith(':') ? ':' : segment));
      const param = path.indexOf('/:');
      const literal = param === -1 ? path : path.slice(0, param + 1);
      // An exact path outranks a wildcard with the same literal prefix (Go: exact match first).
      const specificity = literal.length * 2 + (wildcard || param !== -1 ? 0 : 1);
      pattern = { url, segments, wildcard, specificity, methods: new Set() };
      this.patterns.set(url, pattern);
      this.shadowed = null;
    }
    pattern.methods.add(method.toUpperCase());
  }

  /** Every registered endpoint, in registration order. */
  entries(): RouteEntry[] {
    return [...this.patterns.values()].map((pattern) => ({
      url: pattern.url,
      methods: orderedMethods(pattern.methods),
    }));
  }

  /** The `Allow` header value for `path` (its owning endpoint), or null when none serves it. */
  allowFor(path: string): string | null {
    const owner = this.ownerOf(path);
    return owner === null ? null : allowHeader(owner.methods);
  }

  /**
   * For a request Fastify matched to the route `matchedUrl`: the `Allow` header to answer 405
   * with when `path` belongs to a more specific endpoint that does not take `method`, else null.
   */
  misrouted(method: string, matchedUrl: string, path: string): string | null {
    if (!this.shadowedUrls().has(matchedUrl)) return null;
    const owner = this.ownerOf(path);
    if (owner === null || owner.url === matchedUrl || owner.methods.has(method)) return null;
    return allowHeader(owner.methods);
  }

  private ownerOf(path: string): RoutePattern | null {
    const segments = path.split('/');
    let best: RoutePattern | null = null;
    for (const pattern of this.patterns.values()) {
      if (!matches(pattern, segments)) continue;
      if (best === null || pattern.specificity > best.specificity) best = pattern;
    }
    return best;
  }

  private shadowedUrls(): Set<string> {
    if (this.shadowed !== null) return this.shadowed;
    const shadowed = new Set<string>();
    const all = [...this.patterns.values()];
    for (const outer of all) {
      if (!outer.wildcard) continue;
      const prefix = outer.url.slice(0, -1);
      if (all.some((inner) => inner !== outer && inner.url.startsWith(prefix))) {
        shadowed.add(outer.url);
      }
    }
    this.shadowed = shadowed;
    return shadowed;
  }
}

/** The path of a request URL, without its query string. */
export function requestPath(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}

function orderedMethods(methods: Set<string>): string[] {
  return [...methods].sort((a, b) => orderOf(a) - orderOf(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function allowHeader(methods: Set<string>): string {
  return ['OPTIONS', ...orderedMethods(methods).filter((method) => method !== 'OPTIONS')].join(',');
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
