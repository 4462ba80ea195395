// Blocking queries and consistency modes (consul-api.md §1), for every read endpoint:
// parse ?index/?wait/?stale/?consistent/?dc, hold until a leader is known, run the read with a
// fresh watch set, and sleep on exactly what it read until it changes past ?index or the
// (jittered) wait runs out. Sets X-Consul-Index/KnownLeader/LastContact/Effective-Consistency.
import type { FastifyReply, FastifyRequest } from 'fastify';

import { parseDuration } from '../config';
import { NotLeaderError } from '../raft';
import type { AgentCore, AgentRuntime } from '../server';
import type { ReadResult } from '../state';
import { badRequest, serverError } from './errors';
import { queryOf, queryValue, type QueryValues } from './query';

export type Consistency = 'leader' | 'stale' | 'consistent';

export interface QueryOptions {
  consistency: Consistency;
  /** `?index`: 0 means "answer at once". */
  minIndex: number;
  /** `?wait` after default, cap and jitter, in milliseconds. */
  waitMs: number;
  /** `?max_stale`: a stale read further behind the leader than this goes through the leader. */
  maxStaleMs: number | null;
}

/** A watch set as the state store hands it out; reads record into it. */
export type StoreWatchSet = ReturnType<AgentRuntime['store']['newWatchSet']>;

// Consul adds a random stagger of up to wait/16 so that many watchers do not return together.
const JITTER_FRACTION = 16;
// Go's time.Duration is int64 nanoseconds; longer strings fail to parse.
const MAX_DURATION_MS = Number(2n ** 63n - 1n) / 1e6;
const DECIMAL = /^[0-9]+$/;

/**
 * Parses the query options of a read, in Consul's order: consistency conflicts, `wait`, `index`,
 * then the datacenter (which only fails when the RPC is attempted).
 */
export function parseQueryOptions(request: FastifyRequest, runtime: AgentCore): QueryOptions {
  const query = queryOf(request);
  const consistency = parseConsistency(query);
  const waitMs = parseWait(query, runtime);
  const minIndex = parseIndex(query);
  const maxStaleMs = parseMaxStale(query);
  checkDatacenter(query, runtime);
  return { consistency, minIndex, waitMs, maxStaleMs };
}

function parseMaxStale(query: QueryValues): number | null {
  const text = queryValue(query, 'max_stale');
  if (text === '') return null;
  try {
    const ms = parseDuration(text);
    if (ms >= 0 && ms <= MAX_DURATION_MS) return ms;
  } catch {
    // answered below
  }
  throw badRequest('Invalid max_stale value');
}

/** `?stale` / `?consistent`, presence-based; both → 400. */
export function parseConsistency(query: QueryValues): Consistency {
  const stale = query.stale !== undefined;
  const consistent = query.consistent !== undefined;
  if (stale && consistent) {
    throw badRequest('Cannot specify ?stale with ?consistent, conflicting semantics.');
  }
  if (consistent && query.cached !== undefined) {
    throw badRequest('Cannot specify ?cached with ?consistent, conflicting semantics.');
  }
  return stale ? 'stale' : consistent ? 'consistent' : 'leader';
}

/** `?dc` other than ours: Consul has no route to it. */
export function checkDatacenter(query: QueryValues, runtime: AgentCore): void {
  const dc = queryValue(query, 'dc');
  if (dc !== '' && dc !== runtime.config.datacenter) throw serverError('No path to datacenter');
}

function parseWait(query: QueryValues, runtime: AgentCore): number {
  const text = queryValue(query, 'wait');
  let waitMs = 0;
  if (text !== '') {
    try {
      waitMs = parseDuration(text);
    } catch {
      throw badRequest('Invalid wait time');
    }
    if (Math.abs(waitMs) > MAX_DURATION_MS) throw badRequest('Invalid wait time');
  }
  const { defaultQueryTimeMs, maxQueryTimeMs } = runtime.config;
  if (waitMs > maxQueryTimeMs) waitMs = maxQueryTimeMs;
  else if (waitMs <= 0) waitMs = defaultQueryTimeMs;
  return waitMs + Math.random() * (waitMs / JITTER_FRACTION);
}

function parseIndex(query: QueryValues): number {
  const text = queryValue(query, 'index');
  if (text === '') return 0;
  if (!DECIMAL.test(text) || BigInt(text) >= 1n << 64n) throw badRequest('Invalid index');
  // Raft indexes stay far below 2^53; a larger requested index simply blocks (as in Consul).
  return Number(text);
}

/**
 * Makes sure the read may be served in `consistency` mode: stale always; default mode once this
 * server has applied what the leader had (waiting up to rpc_hold_timeout for a leader);
 * consistent after the leader confirmed its leadership with a quorum.
 */
export async function prepareRead(
  runtime: AgentRuntime,
  consistency: Consistency,
  maxStaleMs: number | null = null,
): Promise<Consistency> {
  if (consistency === 'stale' && !tooStale(runtime, maxStaleMs)) return 'stale';
  const effective = consistency === 'stale' ? 'leader' : consistency;
  await runtime.readIndex(effective === 'consistent');
  return effective;
}

/**
 * A stale read allowed at most `maxStaleMs` behind: a follower that has not heard from a leader
 * for longer serves it through the leader instead, as Consul retries it there.
 */
function tooStale(runtime: AgentRuntime, maxStaleMs: number | null): boolean {
  if (maxStaleMs === null || runtime.raft.isLeader()) return false;
  const { lastContactMs } = runtime.raft.status();
  // -1: never heard from a leader since it started, so nothing bounds how stale it is.
  return lastContactMs < 0 || lastContactMs > maxStaleMs;
}

/** Resolves once a leader is known; after rpc_hold_timeout without one, `No cluster leader`. */
export async function requireLeader(runtime: AgentRuntime): Promise<void> {
  if (runtime.raft.isLeader() || runtime.raft.status().leaderId !== null) return;
  await awaitLeader(runtime, runtime.config.rpcHoldTimeoutMs);
}

function awaitLeader(runtime: AgentRuntime, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const subscription: { off?: () => void } = {};
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscription.off?.();
      if (error === null) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => settle(new NotLeaderError(null, null)), timeoutMs);
    subscription.off = runtime.raft.onLeaderChange((leaderId) => {
      if (leaderId !== null) settle(null);
    });
    // The listener may have fired during registration, before `off` was known.
    if (settled) subscription.off();
  });
}

/** X-Consul-KnownLeader and X-Consul-LastContact, as every server-backed read sends them. */
export function setLeaderHeaders(reply: FastifyReply, runtime: AgentCore): void {
  // A client agent answers these reads from its own memory: it has no leader to speak of.
  if (runtime.raft === null) return;
  if (runtime.raft.isLeader()) {
    reply.header('x-consul-knownleader', 'true').header('x-consul-lastcontact', '0');
    return;
  }
  const status = runtime.raft.status();
  reply
    .header('x-consul-knownleader', status.leaderId !== null ? 'true' : 'false')
    .header('x-consul-lastcontact', String(Math.max(0, Math.round(status.lastContactMs))));
}

/**
 * Runs `read` as a blocking query and sets the query-meta headers on `reply` (404s included).
 * Returns when the result's index passes `options.minIndex`, when the wait expires (with the
 * current result), or when the client goes away.
 */
export async function blockingRead<T>(
  runtime: AgentRuntime,
  reply: FastifyReply,
  options: QueryOptions,
  read: (watchSet: StoreWatchSet) => ReadResult<T>,
): Promise<ReadResult<T>> {
  const consistency = await prepareRead(runtime, options.consistency, options.maxStaleMs);
  const first = runOnce(runtime, read);
  const result =
    options.minIndex > 0 && first.index <= options.minIndex
      ? await waitForChange(runtime, reply, options, read, first)
      : first;
  reply.header('x-consul-index', String(result.index));
  setLeaderHeaders(reply, runtime);
  reply.header('x-consul-effective-consistency', consistency);
  return result;
}

function runOnce<T>(
  runtime: AgentRuntime,
  read: (watchSet: StoreWatchSet) => ReadResult<T>,
  watchSet: StoreWatchSet = runtime.store.newWatchSet(),
): ReadResult<T> & { watchSet: StoreWatchSet } {
  const result = read(watchSet);
  // Consul never reports index 0: clients would loop on it.
  return { value: result.value, index: Math.max(result.index, 1), watchSet };
}

async function waitForChange<T>(
  runtime: AgentRuntime,
  reply: FastifyReply,
  options: QueryOptions,
  read: (watchSet: StoreWatchSet) => ReadResult<T>,
  first: ReadResult<T> & { watchSet: StoreWatchSet },
): Promise<ReadResult<T>> {
  const deadline = Date.now() + options.waitMs;
  let result = first;
  let disconnected = false;
  const onClose = (): void => {
    if (reply.raw.writableEnded) return;
    disconnected = true;
    result.watchSet.cancel();
  };
  reply.raw.once('close', onClose);
  // A snapshot restore abandons the store: answer at once, even if the index went backwards.
  const epoch = runtime.store.abandonEpoch();
  try {
    while (result.index <= options.minIndex) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || disconnected) break;
      const changed = await result.watchSet.wait(remaining);
      if (!changed) break;
      if (options.consistency === 'consistent') await runtime.readIndex(true);
      result = runOnce(runtime, read);
      if (runtime.store.abandonEpoch() !== epoch) break;
    }
    return result;
  } finally {
    reply.raw.removeListener('close', onClose);
  }
}
