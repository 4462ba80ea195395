// User events (cluster.md §3.6): `/v1/event/fire` sends a serf LAN event `consul:event:<name>`
// whose payload is Consul's msgpack UserEvent; every agent decodes what it receives, keeps it when
// its node, service and tag filters match, in a ring of the last 256, and wakes
// `/v1/event/list` waiters. The list's index is the last event's ID folded to 64 bits.
import { randomUUID } from 'node:crypto';

import { Packr, Unpackr } from 'msgpackr';
import type { Logger } from 'pino';

import { compileGoRegexp, GoRegexpError } from '../regexp';

export const USER_EVENT_PREFIX = 'consul:event:';
/** Consul keeps the last 256 events an agent received. */
const RING_SIZE = 256;

export interface UserEvent {
  id: string;
  name: string;
  payload: Uint8Array | null;
  nodeFilter: string;
  serviceFilter: string;
  tagFilter: string;
  version: number;
  /** The serf event clock when received; 0 on the firing side. */
  ltime: number;
}

export interface FireRequest {
  name: string;
  payload: Uint8Array | null;
  nodeFilter: string;
  serviceFilter: string;
  tagFilter: string;
}

/** What filtering needs to know about this agent: its name and its services' names and tags. */
export interface LocalIdentity {
  nodeName(): string;
  services(): { service: string; tags: string[] }[];
}

export class UserEventError extends Error {}

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export class UserEvents {
  private readonly ring: UserEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly identity: LocalIdentity,
    private readonly send: (name: string, payload: Uint8Array) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Validates, encodes and sends an event; resolves with it as `/v1/event/fire` answers it. */
  async fire(request: FireRequest): Promise<UserEvent> {
    validate(request);
    const event: UserEvent = { id: randomUUID(), ...request, version: 1, ltime: 0 };
    await this.send(`${USER_EVENT_PREFIX}${event.name}`, encodeUserEvent(event));
    return event;
  }

  /** A serf user event arrived: keep it when it is Consul's and its filters select this agent. */
  receive(serfName: string, payload: Uint8Array, ltime: number): void {
    if (!serfName.startsWith(USER_EVENT_PREFIX)) return;
    let event: UserEvent;
    try {
      event = { ...decodeUserEvent(payload), ltime };
    } catch (error) {
      this.logger.warn({ name: serfName, err: error }, 'dropping an undecodable user event');
      return;
    }
    if (!this.selects(event)) return;
    this.ring.push(event);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    this.logger.debug({ name: event.name, id: event.id }, 'user event received');
    for (const wake of [...this.waiters]) wake();
  }

  /** The kept events, oldest first, optionally only those named `name`. */
  list(name: string): UserEvent[] {
    return name === '' ? [...this.ring] : this.ring.filter((event) => event.name === name);
  }

  /** `/v1/event/list`'s index: the newest event's ID folded to 64 bits (1 when there is none). */
  index(events: readonly UserEvent[]): bigint {
    const last = events.at(-1);
    return last === undefined ? 1n : uuidToUint64(last.id);
  }

  /** Resolves true on the next received event, false after `timeoutMs` or when `signal` aborts. */
  waitForEvent(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (changed: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal.removeEventListener('abort', abort);
        resolve(changed);
      };
      const wake = (): void => finish(true);
      const abort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(wake);
      signal.addEventListener('abort', abort, { once: true });
      if (signal.aborted) finish(false);
    });
  }

  private selects(event: UserEvent): boolean {
    try {
      if (
        event.nodeFilter !== '' &&
        !compileGoRegexp(event.nodeFilter).test(this.identity.nodeName())
      ) {
        return false;
      }
      if (event.serviceFilter === '') return true;
      const service = compileGoRegexp(event.serviceFilter);
      const tag = event.tagFilter === '' ? null : compileGoRegexp(event.tagFilter);
      return this.identity
        .services()
        .some(
          (entry) =>
            service.test(entry.service) &&
            (tag === null || entry.tags.some((candidate) => tag.test(candidate))),
        );
    } catch (error) {
      this.logger.warn({ id: event.id, err: error }, 'user event with an invalid filter dropped');
      return false;
    }
  }
}

function validate(request: FireRequest): void {
  if (request.name === '') throw new UserEventError('User event missing name');
  if (request.tagFilter !== '' && request.serviceFilter === '') {
    throw new UserEventError('Cannot provide tag filter without service filter');
  }
  for (const pattern of [request.nodeFilter, request.serviceFilter, request.tagFilter]) {
    if (pattern === '') continue;
    try {
      compileGoRegexp(pattern);
    } catch (error) {
      if (error instanceof GoRegexpError) throw new UserEventError(error.message);
      throw error;
    }
  }
}

/** Consul's wire form: keys ID, n, p, nf, sf, tf, v; p/nf/sf/tf omitted when empty. */
export function encodeUserEvent(event: UserEvent): Uint8Array {
  const wire: Record<string, unknown> = { ID: event.id, n: event.name };
  if (event.payload !== null && event.payload.length > 0) wire.p = Buffer.from(event.payload);
  if (event.nodeFilter !== '') wire.nf = event.nodeFilter;
  if (event.serviceFilter !== '') wire.sf = event.serviceFilter;
  if (event.tagFilter !== '') wire.tf = event.tagFilter;
  wire.v = event.version;
  return packr.pack(wire);
}

export function decodeUserEvent(bytes: Uint8Array): Omit<UserEvent, 'ltime'> {
  const wire = unpackr.unpack(bytes) as Record<string, unknown>;
  if (wire === null || typeof wire !== 'object') throw new Error('user event is not a map');
  const text = (key: string): string => {
    const value = wire[key];
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    throw new Error(`user event field ${key} is not a string`);
  };
  const payload = wire.p;
  return {
    id: text('ID'),
    name: text('n'),
    payload:
      payload instanceof Uint8Array
        ? payload
        : typeof payload === 'string'
          ? Buffer.from(payload)
          : null,
    nodeFilter: text('nf'),
    serviceFilter: text('sf'),
    tagFilter: text('tf'),
    version: typeof wire.v === 'number' ? wire.v : 1,
  };
}

/** Consul's uuidToUint64: the upper and lower 64 bits of the UUID XORed together. */
export function uuidToUint64(id: string): bigint {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return 1n;
  return BigInt(`0x${hex.slice(0, 16)}`) ^ BigInt(`0x${hex.slice(16)}`);
}
