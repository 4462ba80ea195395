// Contracts of the sessions table (Consul's structs.Session). Field names are Consul's,
// camel-cased; the HTTP layer shapes the JSON.

export type SessionBehavior = 'release' | 'delete';

/** A service check a session is bound to (Consul's structs.ServiceCheck). */
export interface ServiceCheckRef {
  id: string;
  namespace: string;
}

/** A session row. */
export interface Session {
  id: string;
  name: string;
  node: string;
  /** Go time.Duration, nanoseconds, as given (capped at 60 s only when applied). */
  lockDelayNs: number;
  behavior: SessionBehavior;
  /** A Go duration string as given ("" for none). */
  ttl: string;
  /** Node-level check IDs; null when none were given (JSON null). */
  nodeChecks: string[] | null;
  serviceChecks: ServiceCheckRef[] | null;
  /** Legacy `Checks`; null once folded into NodeChecks (omitted from JSON). */
  checks: string[] | null;
  createIndex: number;
  modifyIndex: number;
}

/** What a create supplies; the indexes come from the transaction. */
export type SessionWrite = Omit<Session, 'createIndex' | 'modifyIndex'>;

/** Consul's structs.MaxLockDelay: lock-delay windows never exceed it. */
export const MAX_LOCK_DELAY_MS = 60_000;
