// Distributed locks on KV + sessions, laid out as Consul's Go api.Lock (so `consul lock` and this
// SDK contend for the same key): one key held with `?acquire`, Flags 0x2ddccbc058a50c18, a TTL
// session renewed every TTL/2, blocking reads while the key is held, a timed retry while a
// lock-delay refuses us, and a monitor that reports loss as soon as the key's Session is not ours.
import { EventEmitter } from 'node:events';

import { isAbortError } from './errors';
import type { KV } from './kv';
import type { Session, SessionRenewer } from './session';
import type { KVPair } from './types';
import { sleep } from './watch';

/** Go's api.LockFlagValue: marks a key as a lock (a semaphore's keys use another). */
export const LOCK_FLAG_VALUE = 0x2ddccbc058a50c18n;

/** The key holds something other than a lock of this kind (its Flags differ). */
export class LockConflictError extends Error {
  override readonly name = 'LockConflictError';
}

export interface LockOptions {
  /** The KV key to hold. */
  key: string;
  /** Value written when acquiring (identifies the holder). */
  value?: string | Uint8Array;
  /** Use this session instead of creating one (it is then neither renewed nor destroyed). */
  session?: string;
  /** Name of the session created (default `Consul API Lock`). */
  sessionName?: string;
  /** TTL of the session created (default `15s`). */
  sessionTtl?: string;
  /** Lock-delay of the session created (default: the agent's, 15s). */
  lockDelay?: string | number;
  /** Longest blocking read while waiting (default 15 s). */
  waitMs?: number;
  /** Pause before retrying while a lock-delay refuses us (default 5 s). */
  retryMs?: number;
  /** Errors tolerated in a row while monitoring a held lock (default 0, as Go's api). */
  monitorRetries?: number;
  /** Pause between those retries (default 2 s). */
  monitorRetryMs?: number;
}

/** What Lock and Semaphore need of a client. */
export interface LockClient {
  kv: KV;
  session: Session;
}

/** A session made for a lock: created on first use, renewed, destroyed on release. */
export class OwnedSession {
  private renewer: SessionRenewer | null = null;
  private id: string | null;

  constructor(
    private readonly client: LockClient,
    private readonly create: Parameters<Session['create']>[0],
    existing: string | undefined,
  ) {
    this.id = existing ?? null;
  }

  /** The session ID, creating (and starting to renew) the session the first time. */
  async ensure(onExpired: (error: unknown) => void): Promise<string> {
    if (this.id !== null) return this.id;
    const ttl = this.create?.ttl ?? '15s';
    const id = await this.client.session.create({ ...this.create, ttl });
    this.id = id;
    this.renewer = this.client.session.renewPeriodically(id, ttl);
    this.renewer.once('expired', onExpired);
    return id;
  }

  get current(): string | null {
    return this.id;
  }

  /** Stops renewing and destroys a session we created; a given session is left alone. */
  async end(): Promise<void> {
    const renewer = this.renewer;
    if (renewer === null) return;
    this.renewer = null;
    this.id = null;
    await renewer.stop({ destroy: true });
  }
}

/**
 * A mutual-exclusion lock. `acquire()` resolves true once held (false if its signal aborted);
 * `lost` is emitted if the lock is taken away (session invalidated, key deleted or released by
 * someone else); `release()` gives it up and destroys the session it created.
 */
export class Lock extends EventEmitter {
  private readonly session: OwnedSession;
  private heldPair: KVPair | null = null;
  private monitor: AbortController | null = null;

  constructor(
    private readonly client: LockClient,
    readonly options: LockOptions,
  ) {
    super();
    this.session = new OwnedSession(
      client,
      {
        name: options.sessionName ?? 'Consul API Lock',
        ttl: options.sessionTtl ?? '15s',
        lockDelay: options.lockDelay,
      },
      options.session,
    );
  }

  get held(): boolean {
    return this.heldPair !== null;
  }

  /** The session holding (or trying to hold) the lock. */
  get sessionId(): string | null {
    return this.session.current;
  }

  /**
   * Waits until the lock is ours. Resolves false when `signal` aborts first (nothing is held
   * then). Throws LockConflictError when the key is not a lock.
   */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (this.heldPair !== null) throw new Error('Lock already held');
    const { key } = this.options;
    const waitMs = this.options.waitMs ?? 15_000;
    try {
      const session = await this.session.ensure((error) => this.lose(error));
      let index = 0;
      for (;;) {
        const { data: pair, meta } = await this.client.kv.get(key, {
          index,
          wait: waitMs,
          signal,
        });
        if (pair !== undefined && pair.Flags !== LOCK_FLAG_VALUE) {
          throw new LockConflictError(`Existing key does not match lock use: ${key}`);
        }
        if (pair?.Session === session) return this.hold(pair);
        if (pair?.Session !== undefined) {
          index = meta.index;
          continue;
        }
        const acquired = await this.client.kv.put(key, this.options.value ?? '', {
          acquire: session,
          flags: LOCK_FLAG_VALUE,
          signal,
        });
        if (acquired) {
          const { data: mine } = await this.client.kv.get(key, { signal });
          if (mine?.Session === session) return this.hold(mine);
          index = 0;
          continue;
        }
        // Refused with nobody holding it: a lock-delay is running; a timed wait is needed.
        const { data: now, meta: nowMeta } = await this.client.kv.get(key, { signal });
        if (now?.Session !== undefined) {
          index = nowMeta.index;
          continue;
        }
        await sleep(this.options.retryMs ?? 5000, signal);
        index = 0;
      }
    } catch (error) {
      if (isAbortError(error)) return false;
      throw error;
    }
  }

  /** Gives the lock up (`?release`) and destroys the session it created. */
  async release(): Promise<void> {
    this.monitor?.abort();
    this.monitor = null;
    const pair = this.heldPair;
    this.heldPair = null;
    const session = this.session.current;
    try {
      if (pair !== null && session !== null) {
        await this.client.kv.put(this.options.key, '', {
          release: session,
          flags: LOCK_FLAG_VALUE,
        });
      }
    } finally {
      await this.session.end();
    }
  }

  /** Deletes the lock key if nobody holds it (Go's Lock.Destroy). */
  async destroy(): Promise<boolean> {
    if (this.heldPair !== null) throw new Error('Lock held, cannot destroy');
    const { data: pair } = await this.client.kv.get(this.options.key);
    if (pair === undefined) return true;
    if (pair.Flags !== LOCK_FLAG_VALUE) {
      throw new LockConflictError(`Existing key does not match lock use: ${pair.Key}`);
    }
    if (pair.Session !== undefined) return false;
    return this.client.kv.delete(this.options.key, { cas: pair.ModifyIndex });
  }

  private hold(pair: KVPair): true {
    this.heldPair = pair;
    this.monitor = new AbortController();
    void this.watchHeld(pair, this.monitor.signal);
    return true;
  }

  // Blocking consistent reads of the key: lost once its Session is not ours any more.
  private async watchHeld(pair: KVPair, signal: AbortSignal): Promise<void> {
    const retries = this.options.monitorRetries ?? 0;
    const pause = this.options.monitorRetryMs ?? 2000;
    let index = pair.ModifyIndex;
    let failures = 0;
    for (;;) {
      try {
        const { data, meta } = await this.client.kv.get(this.options.key, {
          index,
          wait: this.options.waitMs ?? 15_000,
          consistency: 'consistent',
          signal,
        });
        failures = 0;
        if (data?.Session !== pair.Session) {
          this.lose(new Error(`lock on ${this.options.key} was lost`));
          return;
        }
        index = meta.index;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        if (++failures > retries) {
          this.lose(error);
          return;
        }
        try {
          await sleep(pause, signal);
        } catch {
          return;
        }
      }
    }
  }

  private lose(error: unknown): void {
    if (this.heldPair === null) return;
    this.heldPair = null;
    this.monitor?.abort();
    this.monitor = null;
    this.emit('lost', error);
  }
}
