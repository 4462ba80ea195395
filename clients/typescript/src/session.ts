// `/v1/session`: create, destroy, renew, info, node, list; and a renewer that keeps a TTL session
// alive in the background (Go's Session.RenewPeriodic: every TTL/2, retrying errors until the TTL
// has run out, stopping at once when the agent says the session is gone).
import { EventEmitter } from 'node:events';

import { ConsulError, isAbortError } from './errors';
import {
  durationMs,
  type QueryOptions,
  type QueryResult,
  type RequestOptions,
  type Transport,
} from './transport';
import { sleep } from './watch';

/** A session as Consul shows it. `LockDelay` is in nanoseconds. */
export interface SessionEntry {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: 'release' | 'delete';
  TTL: string;
  NodeChecks: string[] | null;
  ServiceChecks: { ID: string; Namespace: string }[] | null;
  Checks?: string[];
  CreateIndex: number;
  ModifyIndex: number;
}

export interface SessionCreateOptions extends RequestOptions {
  name?: string;
  /** Node the session belongs to (default: the agent's). */
  node?: string;
  /** Lock-delay after invalidation: ms, or a Go duration string (default 15s). */
  lockDelay?: number | string;
  /** What invalidation does to held keys (default `release`). */
  behavior?: 'release' | 'delete';
  /** Session TTL: ms, or a Go duration string (10s–24h); none by default. */
  ttl?: number | string;
  /** Node check IDs (default `['serfHealth']`; `[]` for none). */
  nodeChecks?: string[];
  serviceChecks?: { id: string; namespace?: string }[];
  /** Legacy check list (`[]` removes the default serfHealth binding). */
  checks?: string[];
}

export class Session {
  constructor(private readonly transport: Transport) {}

  /** Creates a session; resolves with its ID. */
  async create(options: SessionCreateOptions = {}): Promise<string> {
    const body: Record<string, unknown> = {};
    if (options.name !== undefined) body.Name = options.name;
    if (options.node !== undefined) body.Node = options.node;
    if (options.lockDelay !== undefined) body.LockDelay = goDuration(options.lockDelay);
    if (options.behavior !== undefined) body.Behavior = options.behavior;
    if (options.ttl !== undefined) body.TTL = goDuration(options.ttl);
    if (options.nodeChecks !== undefined) body.NodeChecks = options.nodeChecks;
    if (options.checks !== undefined) body.Checks = options.checks;
    if (options.serviceChecks !== undefined) {
      body.ServiceChecks = options.serviceChecks.map((c) => ({
        ID: c.id,
        Namespace: c.namespace ?? '',
      }));
    }
    const created = await this.transport.write<{ ID: string }>(
      { method: 'PUT', path: '/v1/session/create', options },
      body,
    );
    if (created?.ID === undefined) throw new Error('session create answered without an ID');
    return created.ID;
  }

  /** Destroys a session, releasing (or deleting) what it holds; unknown IDs are fine. */
  async destroy(id: string, options?: RequestOptions): Promise<void> {
    await this.transport.write({
      method: 'PUT',
      path: `/v1/session/destroy/${encodeURIComponent(id)}`,
      options,
    });
  }

  /** Restarts the session's TTL; undefined when the session no longer exists. */
  async renew(id: string, options?: RequestOptions): Promise<SessionEntry | undefined> {
    const response = await this.transport.send({
      method: 'PUT',
      path: `/v1/session/renew/${encodeURIComponent(id)}`,
      options,
      accept: [404],
    });
    if (response.status === 404) {
      // An unknown endpoint is an error, not an expired session.
      if (!response.body.toString().startsWith('Session id')) {
        throw new ConsulError(404, response.body.toString(), 'PUT', '/v1/session/renew/');
      }
      return undefined;
    }
    const sessions = JSON.parse(response.body.toString()) as SessionEntry[];
    return sessions[0];
  }

  /** One session, or undefined. */
  info(id: string, options?: QueryOptions): Promise<QueryResult<SessionEntry | undefined>> {
    return this.transport
      .query<SessionEntry[]>({
        method: 'GET',
        path: `/v1/session/info/${encodeURIComponent(id)}`,
        options,
      })
      .then(({ data, meta }) => ({ data: data[0], meta }));
  }

  /** The sessions of one node. */
  node(node: string, options?: QueryOptions): Promise<QueryResult<SessionEntry[]>> {
    return this.transport.query<SessionEntry[]>({
      method: 'GET',
      path: `/v1/session/node/${encodeURIComponent(node)}`,
      options,
    });
  }

  /** Every session. */
  list(options?: QueryOptions): Promise<QueryResult<SessionEntry[]>> {
    return this.transport.query<SessionEntry[]>({
      method: 'GET',
      path: '/v1/session/list',
      options,
    });
  }

  /**
   * Renews `id` every TTL/2 until `stop()`; emits `expired` once the session is gone (or could
   * not be renewed for a whole TTL). `stop({ destroy: true })` destroys the session too.
   */
  renewPeriodically(id: string, ttl: number | string): SessionRenewer {
    return new SessionRenewer(this, id, durationMs(ttl));
  }
}

/** Keeps one session alive; see Session.renewPeriodically. Events: `expired` (error). */
export class SessionRenewer extends EventEmitter {
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly sessions: Session,
    readonly id: string,
    private readonly ttlMs: number,
  ) {
    super();
    this.done = this.run();
  }

  /** Stops renewing; with `destroy`, destroys the session (releasing its locks). */
  async stop(options: { destroy?: boolean } = {}): Promise<void> {
    this.controller.abort();
    await this.done;
    if (options.destroy === true) await this.sessions.destroy(this.id);
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let lastRenewed = Date.now();
    let waitMs = this.ttlMs / 2;
    try {
      for (;;) {
        await sleep(waitMs, signal);
        try {
          const session = await this.sessions.renew(this.id, { signal });
          if (session === undefined) {
            this.emit('expired', new Error(`session ${this.id} expired`));
            return;
          }
          lastRenewed = Date.now();
          waitMs = this.ttlMs / 2;
        } catch (error) {
          if (isAbortError(error)) return;
          if (Date.now() - lastRenewed > this.ttlMs) {
            this.emit('expired', error);
            return;
          }
          // Go retries every second (capped by what is left of the TTL).
          waitMs = Math.min(1000, this.ttlMs / 2);
        }
      }
    } catch (error) {
      if (!isAbortError(error)) throw error;
    }
  }
}

/** A duration as Consul's session API reads it: a Go duration string. */
function goDuration(value: number | string): string {
  return typeof value === 'string' ? value : `${value}ms`;
}
