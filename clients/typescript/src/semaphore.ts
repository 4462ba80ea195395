// A counting semaphore on KV + sessions, laid out as Consul's Go api.Semaphore (so `consul lock
// -n` and this SDK share it): each contender holds `<prefix>/<session>` with its session
// (behavior delete, so a dead contender's key disappears), and `<prefix>/.lock` holds the JSON
// `{"Limit":N,"Holders":{"<session>":true}}`, changed only by check-and-set. Flags
// 0xe0f69a2baa414de0 on both mark them as semaphore keys.
import { EventEmitter } from 'node:events';

import { isAbortError } from './errors';
import { kvText } from './kv';
import { LockConflictError, OwnedSession, type LockClient } from './lock';
import type { KVPair } from './types';

/** Go's api.SemaphoreFlagValue. */
export const SEMAPHORE_FLAG_VALUE = 0xe0f69a2baa414de0n;
/** Go's api.DefaultSemaphoreKey: the coordination key under the prefix. */
export const SEMAPHORE_LOCK_KEY = '.lock';

export interface SemaphoreOptions {
  /** KV prefix of the semaphore (no trailing slash). */
  prefix: string;
  /** How many may hold it at once. */
  limit: number;
  /** Value of this contender's key. */
  value?: string | Uint8Array;
  session?: string;
  /** Default `Consul API Semaphore`. */
  sessionName?: string;
  /** Default `15s`. */
  sessionTtl?: string;
  /** Longest blocking read while waiting (default 15 s). */
  waitMs?: number;
  /** Errors tolerated in a row while monitoring (default 0). */
  monitorRetries?: number;
  monitorRetryMs?: number;
}

interface SemaphoreDocument {
  Limit: number;
  Holders: Record<string, boolean>;
}

/** Holds one of `limit` slots. Events: `lost` once our slot is taken away. */
export class Semaphore extends EventEmitter {
  private readonly session: OwnedSession;
  private holding = false;
  private monitor: AbortController | null = null;

  constructor(
    private readonly client: LockClient,
    readonly options: SemaphoreOptions,
  ) {
    super();
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`semaphore limit must be a positive integer, got ${options.limit}`);
    }
    this.session = new OwnedSession(
      client,
      {
        name: options.sessionName ?? 'Consul API Semaphore',
        ttl: options.sessionTtl ?? '15s',
        behavior: 'delete',
      },
      options.session,
    );
  }

  get held(): boolean {
    return this.holding;
  }

  get sessionId(): string | null {
    return this.session.current;
  }

  private get lockKey(): string {
    return `${this.options.prefix}/${SEMAPHORE_LOCK_KEY}`;
  }

  /** Waits for a slot; false when `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (this.holding) throw new Error('Semaphore already held');
    const { prefix, limit } = this.options;
    try {
      const session = await this.session.ensure((error) => this.lose(error));
      const contender = `${prefix}/${session}`;
      const made = await this.client.kv.put(contender, this.options.value ?? '', {
        acquire: session,
        flags: SEMAPHORE_FLAG_VALUE,
        signal,
      });
      if (!made) throw new Error('failed to make contender entry');
      let index = 0;
      for (;;) {
        const { data: pairs, meta } = await this.client.kv.list(`${prefix}/`, {
          index,
          wait: this.options.waitMs ?? 15_000,
          signal,
        });
        const lockPair = pairs.find((pair) => pair.Key === this.lockKey);
        const doc = this.decode(lockPair);
        if (doc.Limit !== limit) {
          throw new LockConflictError(
            `semaphore limit conflict (lock: ${doc.Limit}, local: ${limit})`,
          );
        }
        pruneDeadHolders(doc, pairs, prefix);
        if (doc.Holders[session] !== true) {
          if (Object.keys(doc.Holders).length >= limit) {
            index = meta.index;
            continue;
          }
          doc.Holders[session] = true;
        }
        const written = await this.client.kv.put(this.lockKey, JSON.stringify(doc), {
          cas: lockPair?.ModifyIndex ?? 0,
          flags: SEMAPHORE_FLAG_VALUE,
          signal,
        });
        if (!written) {
          index = 0;
          continue;
        }
        this.holding = true;
        this.monitor = new AbortController();
        void this.watchHeld(session, this.monitor.signal);
        return true;
      }
    } catch (error) {
      if (isAbortError(error)) {
        await this.dropContender().catch(() => undefined);
        return false;
      }
      throw error;
    }
  }

  /** Leaves the holders (by CAS, retried), deletes our contender key, ends the session. */
  async release(): Promise<void> {
    this.monitor?.abort();
    this.monitor = null;
    const wasHolding = this.holding;
    this.holding = false;
    const session = this.session.current;
    try {
      if (wasHolding && session !== null) await this.leaveHolders(session);
      await this.dropContender();
    } finally {
      await this.session.end();
    }
  }

  /** Deletes `.lock` when nobody holds a slot any more (Go's Semaphore.Destroy). */
  async destroy(): Promise<boolean> {
    if (this.holding) throw new Error('Semaphore held, cannot destroy');
    const { data: pairs } = await this.client.kv.list(`${this.options.prefix}/`);
    const lockPair = pairs.find((pair) => pair.Key === this.lockKey);
    if (lockPair === undefined) return true;
    const doc = this.decode(lockPair);
    pruneDeadHolders(doc, pairs, this.options.prefix);
    if (Object.keys(doc.Holders).length > 0) return false;
    return this.client.kv.delete(this.lockKey, { cas: lockPair.ModifyIndex });
  }

  private async leaveHolders(session: string): Promise<void> {
    for (;;) {
      const { data: lockPair } = await this.client.kv.get(this.lockKey);
      if (lockPair === undefined) return;
      const doc = this.decode(lockPair);
      if (doc.Holders[session] !== true) return;
      delete doc.Holders[session];
      const written = await this.client.kv.put(this.lockKey, JSON.stringify(doc), {
        cas: lockPair.ModifyIndex,
        flags: SEMAPHORE_FLAG_VALUE,
      });
      if (written) return;
    }
  }

  private async dropContender(): Promise<void> {
    const session = this.session.current;
    if (session !== null) await this.client.kv.delete(`${this.options.prefix}/${session}`);
  }

  private decode(pair: KVPair | undefined): SemaphoreDocument {
    if (pair === undefined) return { Limit: this.options.limit, Holders: {} };
    if (pair.Flags !== SEMAPHORE_FLAG_VALUE) {
      throw new LockConflictError(`Existing key does not match semaphore use: ${pair.Key}`);
    }
    const text = kvText(pair) ?? '';
    let doc: Partial<SemaphoreDocument>;
    try {
      doc = JSON.parse(text) as Partial<SemaphoreDocument>;
    } catch (error) {
      throw new Error(`Failed to decode semaphore document at ${pair.Key}: ${String(error)}`);
    }
    return { Limit: Number(doc.Limit ?? 0), Holders: { ...(doc.Holders ?? {}) } };
  }

  // Blocking reads of the prefix: lost once our session is no longer among the holders.
  private async watchHeld(session: string, signal: AbortSignal): Promise<void> {
    const retries = this.options.monitorRetries ?? 0;
    let failures = 0;
    let index = 0;
    for (;;) {
      try {
        const { data: pairs, meta } = await this.client.kv.list(`${this.options.prefix}/`, {
          index,
          wait: this.options.waitMs ?? 15_000,
          consistency: 'consistent',
          signal,
        });
        failures = 0;
        const doc = this.decode(pairs.find((pair) => pair.Key === this.lockKey));
        pruneDeadHolders(doc, pairs, this.options.prefix);
        if (doc.Holders[session] !== true) {
          this.lose(new Error(`semaphore slot under ${this.options.prefix} was lost`));
          return;
        }
        index = meta.index;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        if (++failures > retries) {
          this.lose(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.monitorRetryMs ?? 2000));
      }
    }
  }

  private lose(error: unknown): void {
    if (!this.holding) return;
    this.holding = false;
    this.monitor?.abort();
    this.monitor = null;
    this.emit('lost', error);
  }
}

// A holder counts only while its contender key is still held by its session.
function pruneDeadHolders(doc: SemaphoreDocument, pairs: KVPair[], prefix: string): void {
  const alive = new Set<string>();
  for (const pair of pairs) {
    if (pair.Session !== undefined && pair.Key === `${prefix}/${pair.Session}`) {
      alive.add(pair.Session);
    }
  }
  for (const holder of Object.keys(doc.Holders)) {
    if (!alive.has(holder)) delete doc.Holders[holder];
  }
}
