// The sessions table: rows in `sessions`, with secondary indexes by node, by bound check and (in
// kv.ts) by held key. Invalidating a session releases or deletes what it holds, starts each
// key's lock-delay and deletes the prepared queries bound to it. Semantics follow hashicorp/consul agent/consul/state/session.go.
import { checkKey, nodeKey } from './catalog-keys';
import { kvsDeleteTxn, kvsSetTxn } from './kv';
import { deleteSessionQueriesTxn } from './prepared-query';
import { MAX_LOCK_DELAY_MS, type Session, type SessionWrite } from './session-types';
import { tableIndex, type ReadTxn, type WriteTxn } from './tables';
import type { ReadResult } from './types';

/** Watch key of one session. */
export const sessionIdWatchKey = (id: string): string => `i\0${id}`;
/** Watch prefix of the sessions of one node (each row's key adds its ID). */
export const nodeSessionsWatchPrefix = (node: string): string => `n\0${nodeKey(node)}\0`;
/** Watch prefix of every session row. */
export const allSessionsWatchPrefix = 'n\0';

/** A refused session write whose message is Consul's error text. */
export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionError';
  }
}

const nodeSessionKey = (node: string, id: string): string => `${nodeKey(node)}\0${id}`;
const sessionCheckKey = (node: string, checkID: string, id: string): string =>
  `${checkKey(node, checkID)}\0${id}`;
const sessionCheckPrefix = (node: string, checkID: string): string =>
  `${checkKey(node, checkID)}\0`;

/** Every check ID the session is bound to: legacy Checks, NodeChecks, ServiceChecks. */
export function sessionCheckIDs(session: SessionWrite): string[] {
  return [
    ...(session.checks ?? []),
    ...(session.nodeChecks ?? []),
    ...(session.serviceChecks ?? []).map((check) => check.id),
  ];
}

export function sessionsTableIndex(tx: ReadTxn): number {
  return tableIndex(tx.tables, 'sessions');
}

export function sessionGet(tx: ReadTxn, id: string): ReadResult<Session | null> {
  return { value: tx.tables.sessions.get(id) ?? null, index: sessionsTableIndex(tx) };
}

/** Every session, sorted by ID. */
export function sessionList(tx: ReadTxn): ReadResult<Session[]> {
  const sessions = [...tx.tables.sessions.scanPrefix('')].map(([, session]) => session);
  return { value: sessions, index: sessionsTableIndex(tx) };
}

/** The sessions of one node, sorted by ID. */
export function nodeSessions(tx: ReadTxn, node: string): ReadResult<Session[]> {
  const sessions: Session[] = [];
  for (const [, id] of tx.tables.nodeSessions.scanPrefix(`${nodeKey(node)}\0`)) {
    const session = tx.tables.sessions.get(id);
    if (session !== undefined) sessions.push(session);
  }
  return { value: sessions, index: sessionsTableIndex(tx) };
}

/**
 * Inserts a new session. Its node must be registered and every check it is bound to must exist
 * on that node and not be critical (Consul's error texts).
 */
export function sessionCreateTxn(tx: WriteTxn, write: SessionWrite): Session {
  if (write.id === '') throw new SessionError('Missing Session ID');
  if (tx.tables.sessions.get(write.id) !== undefined) {
    throw new SessionError(`Session ID '${write.id}' is already in use`);
  }
  const host = tx.tables.nodes.get(nodeKey(write.node));
  if (host === undefined) throw new SessionError('Missing node registration');
  const checkIDs = sessionCheckIDs(write);
  for (const checkID of checkIDs) {
    const check = tx.tables.checks.get(checkKey(write.node, checkID));
    if (check === undefined) throw new SessionError(`Missing check '${checkID}' registration`);
    if (check.status === 'critical') {
      throw new SessionError(`Check '${checkID}' is in critical state`);
    }
  }
  const session: Session = { ...write, createIndex: tx.index, modifyIndex: tx.index };
  tx.put(tx.tables.sessions, session.id, session);
  tx.put(tx.tables.nodeSessions, nodeSessionKey(session.node, session.id), session.id);
  for (const checkID of checkIDs) {
    tx.put(tx.tables.sessionChecks, sessionCheckKey(session.node, checkID, session.id), session.id);
  }
  sessionChangedTxn(tx, session);
  tx.sessionEvent({ kind: 'created', session });
  return session;
}

/**
 * Deletes a session (a missing one changes nothing): every key it holds is released (Session
 * cleared, LockIndex kept) or, for behavior `delete`, deleted, and starts its lock-delay.
 */
export function sessionDestroyTxn(tx: WriteTxn, id: string): boolean {
  const session = tx.tables.sessions.get(id);
  if (session === undefined) return false;
  const heldKeys = [...tx.tables.kvSessions.scanPrefix(`${id}\0`)].map(([, key]) => key);
  for (const key of heldKeys) {
    const entry = tx.tables.kvs.get(key);
    if (entry === undefined) continue;
    if (session.behavior === 'delete') kvsDeleteTxn(tx, key);
    else kvsSetTxn(tx, { ...entry, session: null }, true);
  }
  deleteSessionQueriesTxn(tx, id);
  tx.remove(tx.tables.sessions, id);
  tx.remove(tx.tables.nodeSessions, nodeSessionKey(session.node, id));
  for (const checkID of sessionCheckIDs(session)) {
    tx.remove(tx.tables.sessionChecks, sessionCheckKey(session.node, checkID, id));
  }
  sessionChangedTxn(tx, session);
  const lockDelayMs = Math.min(Math.floor(session.lockDelayNs / 1e6), MAX_LOCK_DELAY_MS);
  tx.sessionEvent({ kind: 'invalidated', id, heldKeys, lockDelayMs });
  return true;
}

/** Invalidates every session bound to a check (it turned critical or went away). */
export function invalidateCheckSessionsTxn(tx: WriteTxn, node: string, checkID: string): void {
  const ids = [...tx.tables.sessionChecks.scanPrefix(sessionCheckPrefix(node, checkID))];
  for (const [, id] of ids) sessionDestroyTxn(tx, id);
}

/** Invalidates every session of a node (it is being deregistered). */
export function invalidateNodeSessionsTxn(tx: WriteTxn, node: string): void {
  const ids = [...tx.tables.nodeSessions.scanPrefix(`${nodeKey(node)}\0`)];
  for (const [, id] of ids) sessionDestroyTxn(tx, id);
}

export function sessionExists(tx: ReadTxn, id: string): boolean {
  return tx.tables.sessions.get(id) !== undefined;
}

function sessionChangedTxn(tx: WriteTxn, session: Session): void {
  tx.touchIndex('sessions');
  tx.changed(tx.watches.sessions, sessionIdWatchKey(session.id));
  tx.changed(tx.watches.sessions, `${nodeSessionsWatchPrefix(session.node)}${session.id}`);
}
