// Consul's Session endpoint on a server: validate a create (behavior, TTL), choose the ID, apply
// creates and destroys through Raft, renew on the leader (a timer reset, not a Raft write: a
// follower forwards it), and keep the leader's TTL timers in step with the state store.
import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import { formatDuration, parseDuration } from '../config';
import { NotLeaderError, type RaftHandle } from '../raft';
import { defineMethod, type RpcMethod, type RpcServer } from '../rpc';
import {
  readSessionRow,
  type Command,
  type Session,
  type SessionEvent,
  type SessionResult,
  type SessionWrite,
  type StateStore,
} from '../state';
import type { LeaderForwarder } from './forward';
import { SessionTimers } from './session-timers';

/** Consul's session_ttl_min default and structs.SessionTTLMax. */
export const SESSION_TTL_MIN_MS = 10_000;
export const SESSION_TTL_MAX_MS = 86_400_000;

/** A refused session request; its message is Consul's error text (HTTP 500). */
export class SessionRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionRequestError';
  }
}

interface RenewArgs {
  id: string;
}

interface RenewReply {
  session: Session | null;
}

export const SessionRenew: RpcMethod<RenewArgs, RenewReply> = defineMethod(
  'Session.Renew',
  (raw) => {
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new TypeError('Session.Renew: field id must be a string');
    return { id };
  },
  (raw) => {
    const session = (raw as { session?: unknown } | null)?.session;
    return {
      session:
        session === null || session === undefined
          ? null
          : readSessionRow(session, 'Session.Renew reply.session'),
    };
  },
);

/** The TTL in milliseconds (0: none), or Consul's error for a bad or out-of-range TTL. */
export function sessionTtlMs(ttl: string, minMs = SESSION_TTL_MIN_MS): number {
  if (ttl === '') return 0;
  let ms: number;
  try {
    ms = parseDuration(ttl);
  } catch (error) {
    throw new SessionRequestError(`Session TTL '${ttl}' invalid: ${(error as Error).message}`);
  }
  if (ms !== 0 && (ms < minMs || ms > SESSION_TTL_MAX_MS)) {
    throw new SessionRequestError(
      `Invalid Session TTL '${Math.round(ms * 1e6)}', must be between [${formatDuration(minMs)}=${formatDuration(SESSION_TTL_MAX_MS)}]`,
    );
  }
  return ms;
}

/** The TTL of a stored session in ms (it was validated on create). */
function storedTtlMs(session: Session): number {
  try {
    return session.ttl === '' ? 0 : parseDuration(session.ttl);
  } catch {
    return 0;
  }
}

export class SessionService {
  private readonly timers: SessionTimers;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly raft: RaftHandle,
    private readonly forwarder: LeaderForwarder,
    private readonly store: StateStore,
    private readonly apply: (cmd: Command) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly ttlMinMs = SESSION_TTL_MIN_MS,
  ) {
    this.timers = new SessionTimers({
      expire: async (id) => {
        await this.apply({ type: 'session-destroy', id });
        this.logger.debug({ session: id }, 'session TTL expired: destroyed');
      },
      onExpireFailed: (id, error) =>
        this.logger.error({ err: error, session: id }, 'failed to destroy an expired session'),
    });
  }

  /** Follows leadership and the store; answers followers' renewals on the server port. */
  start(rpc: RpcServer, nodeId: string): void {
    rpc.methods.register(SessionRenew, async ({ id }) => {
      if (!this.raft.isLeader()) {
        const status = this.raft.status();
        throw new NotLeaderError(status.leaderId, status.leaderAddress);
      }
      return { session: this.renewHere(id) };
    });
    const follow = (leaderId: string | null): void => {
      const leading = leaderId === nodeId;
      if (leading === this.timers.leading) return;
      this.timers.setEnabled(leading, leading ? this.ttlSessions() : []);
    };
    this.unsubscribe.push(this.raft.onLeaderChange(follow));
    this.unsubscribe.push(
      this.store.onSessionEvents({
        committed: (events) => this.followEvents(events),
        restored: () => {
          if (this.timers.leading) this.timers.setEnabled(true, this.ttlSessions());
        },
      }),
    );
    follow(this.raft.status().leaderId);
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.timers.stop();
  }

  /** Number of TTL timers armed on this server (nonzero only on the leader). */
  get armedTimers(): number {
    return this.timers.armed;
  }

  /** Validates, chooses an unused ID, applies; resolves with the new session's ID. */
  async create(request: Omit<SessionWrite, 'id'>): Promise<string> {
    if (request.node === '') throw new SessionRequestError('Must provide Node');
    sessionTtlMs(request.ttl, this.ttlMinMs);
    let id = randomUUID();
    while (this.store.sessionGet(id).value !== null) id = randomUUID();
    const result = (await this.apply({
      type: 'session-create',
      session: { ...request, id },
    })) as SessionResult;
    if (!result.ok) throw new SessionRequestError(result.error);
    return id;
  }

  /** Destroys the session (releasing or deleting its locks); unknown IDs are fine. */
  async destroy(id: string): Promise<void> {
    if (id === '') throw new SessionRequestError('Must provide ID');
    await this.apply({ type: 'session-destroy', id });
  }

  /** Restarts the session's TTL on the leader; null when no such session exists. */
  renew(id: string): Promise<Session | null> {
    return this.forwarder
      .onLeader(SessionRenew, { id }, async () => ({ session: this.renewHere(id) }))
      .then((reply) => reply.session);
  }

  private renewHere(id: string): Session | null {
    const session = this.store.sessionGet(id).value;
    if (session !== null) this.timers.reset(id, storedTtlMs(session));
    return session;
  }

  private followEvents(events: readonly SessionEvent[]): void {
    if (!this.timers.leading) return;
    for (const event of events) {
      if (event.kind === 'created') this.timers.reset(event.session.id, storedTtlMs(event.session));
      else this.timers.clear(event.id);
    }
  }

  private *ttlSessions(): Iterable<[string, number]> {
    for (const session of this.store.sessionList().value) {
      const ttlMs = storedTtlMs(session);
      if (ttlMs > 0) yield [session.id, ttlMs];
    }
  }
}
