// Query bookkeeping (serf query.go): parameters and filters, who must process a query, and the
// originator's side that gathers acks and responses until the deadline, once per node.
import { compileGoRegexp } from '../../regexp';
import { decodeFilter, encodeNodeFilter, encodeTagFilter } from './messages';

export interface QueryParams {
  /** Only these nodes process the query. */
  filterNodes?: string[];
  /** Only nodes whose tag matches the Go regexp process the query. */
  filterTags?: Record<string, string>;
  /** Ask every processing node for an ack. */
  requestAck?: boolean;
  /** Extra copies of each response relayed through random members (0–5 in practice). */
  relayFactor?: number;
  /** Defaults to GossipInterval × QueryTimeoutMult × ceil(log10(N+1)). */
  timeoutMs?: number;
}

export interface NodeResponse {
  from: string;
  payload: Uint8Array;
}

export const QUERY_TIMEOUT_MULT = 16;
export const QUERY_BUFFER = 512;
export const QUERY_SIZE_LIMIT = 1024;
export const QUERY_RESPONSE_SIZE_LIMIT = 1024;

export function defaultQueryTimeoutMs(
  gossipIntervalMs: number,
  timeoutMult: number,
  numMembers: number,
): number {
  return gossipIntervalMs * timeoutMult * Math.ceil(Math.log10(numMembers + 1));
}

export function encodeFilters(params: QueryParams): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (params.filterNodes && params.filterNodes.length > 0)
    out.push(encodeNodeFilter(params.filterNodes));
  for (const [tag, expr] of Object.entries(params.filterTags ?? {}))
    out.push(encodeTagFilter(tag, expr));
  return out;
}

/**
 * Whether this node passes every filter (serf shouldProcessQuery). Undecodable or unknown filters
 * and bad regexps mean "no"; `warn` says why.
 */
export function shouldProcessQuery(
  filters: Uint8Array[],
  localName: string,
  tags: Record<string, string>,
  warn: (msg: string) => void,
): boolean {
  for (const raw of filters) {
    let filter;
    try {
      filter = decodeFilter(raw);
    } catch (err) {
      warn(`failed to decode filter: ${(err as Error).message}`);
      return false;
    }
    if (filter === null) {
      warn(`query has unrecognized filter type: ${raw[0]}`);
      return false;
    }
    if (filter.type === 'node') {
      if (!filter.nodes.includes(localName)) return false;
    } else {
      let re;
      try {
        re = compileGoRegexp(filter.expr);
      } catch (err) {
        warn(`failed to compile filter regex (${filter.expr}): ${(err as Error).message}`);
        return false;
      }
      if (!re.test(tags[filter.tag] ?? '')) return false;
    }
  }
  return true;
}

/** The originator's view of one query: acks and responses, each node counted once. */
export class QueryResponse {
  readonly acks = new Set<string>();
  readonly responses = new Map<string, Uint8Array>();
  private closed = false;
  private readonly ackListeners: Array<(from: string) => void> = [];
  private readonly responseListeners: Array<(r: NodeResponse) => void> = [];
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    readonly id: number,
    readonly ltime: number,
    /** Epoch ms. */
    readonly deadline: number,
    readonly ackRequested: boolean,
  ) {}

  finished(now: number): boolean {
    return this.closed || now > this.deadline;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Records an ack or a response; returns false when it is a repeat or too late. */
  record(from: string, ack: boolean, payload: Uint8Array | null, now: number): boolean {
    if (this.finished(now)) return false;
    if (ack) {
      if (!this.ackRequested || this.acks.has(from)) return false;
      this.acks.add(from);
      for (const l of this.ackListeners) l(from);
      return true;
    }
    if (this.responses.has(from)) return false;
    const r = { from, payload: payload ?? new Uint8Array(0) };
    this.responses.set(from, r.payload);
    for (const l of this.responseListeners) l(r);
    return true;
  }

  onAck(listener: (from: string) => void): void {
    this.ackListeners.push(listener);
  }

  onResponse(listener: (r: NodeResponse) => void): void {
    this.responseListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l();
  }

  /** Resolves when the query is closed (its deadline passed, or closed early). */
  done(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeListeners.push(resolve));
  }

  /** Waits for the deadline, then returns every ack and response received. */
  async collect(): Promise<{ acks: string[]; responses: NodeResponse[] }> {
    await this.done();
    return {
      acks: [...this.acks],
      responses: [...this.responses].map(([from, payload]) => ({ from, payload })),
    };
  }
}

/** Up to k distinct random members not excluded (serf kRandomMembers: at most 3n draws). */
export function kRandomMembers<T extends { name: string }>(
  k: number,
  members: T[],
  exclude: (m: T) => boolean,
  random: () => number,
): T[] {
  const n = members.length;
  const out: T[] = [];
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    const m = members[Math.floor(random() * n)];
    if (exclude(m) || out.some((x) => x.name === m.name)) continue;
    out.push(m);
  }
  return out;
}
