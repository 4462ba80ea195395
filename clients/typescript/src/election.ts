// Leader election on one KV key (Consul's documented recipe): campaign with a Lock, report
// `elected` when it is ours and `lost` when it is taken away, campaign again, and give the key
// up on close() — also on SIGTERM/SIGINT, so that a stopped process hands leadership over at
// once instead of after its session's TTL and lock-delay.
import { EventEmitter } from 'node:events';

import { isAbortError } from './errors';
import { kvText } from './kv';
import { Lock, type LockClient, type LockOptions } from './lock';
import { sleep } from './watch';

export interface LeaderElectionOptions extends Omit<LockOptions, 'session'> {
  /** Release on SIGTERM and SIGINT (then let the signal take its course). Default true. */
  releaseOnSignals?: boolean;
  /** Pause before campaigning again after an error (default 1 s). */
  errorRetryMs?: number;
}

/** Who leads: the holder's session and the value it wrote. */
export interface Leader {
  session: string;
  value: string;
}

/**
 * Events: `elected` (this process now leads), `lost` (error: it no longer does), `error`
 * (error: a campaign round failed; it is retried) — listened to or not, it never throws.
 */
export class LeaderElection extends EventEmitter {
  private readonly controller = new AbortController();
  private running: Promise<void> | null = null;
  private leading = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.close().finally(() => {
      this.removeSignalHandlers();
      // Nobody else handles it: let it end the process as it would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };

  constructor(
    private readonly client: LockClient,
    readonly options: LeaderElectionOptions,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning in the background; resolves at once. */
  start(): this {
    if (this.running !== null) return this;
    if (this.options.releaseOnSignals ?? true) {
      process.on('SIGTERM', this.onSignal);
      process.on('SIGINT', this.onSignal);
    }
    this.running = this.campaign();
    return this;
  }

  /** The current leader, or undefined when nobody holds the key. */
  async leader(): Promise<Leader | undefined> {
    const { data } = await this.client.kv.get(this.options.key);
    if (data?.Session === undefined) return undefined;
    return { session: data.Session, value: kvText(data) ?? '' };
  }

  /** Stops campaigning and releases the key if held (destroying our session). */
  async close(): Promise<void> {
    this.controller.abort();
    this.removeSignalHandlers();
    await this.running;
    this.running = null;
  }

  private removeSignalHandlers(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }

  private async campaign(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      const lock = new Lock(this.client, this.options);
      try {
        if (await lock.acquire(signal)) {
          this.leading = true;
          this.emit('elected');
          const lost = await untilLostOrClosed(lock, signal);
          this.leading = false;
          if (lost !== null) this.emit('lost', lost);
        }
      } catch (error) {
        if (!isAbortError(error)) {
          if (this.listenerCount('error') > 0) this.emit('error', error);
          await sleep(this.options.errorRetryMs ?? 1000, signal).catch(() => undefined);
        }
      } finally {
        this.leading = false;
        await lock.release().catch((error: unknown) => {
          if (this.listenerCount('error') > 0) this.emit('error', error);
        });
      }
    }
  }
}

/** Resolves with the loss error, or null when `signal` aborted first. */
function untilLostOrClosed(lock: Lock, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    const onLost = (error: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      resolve(error ?? new Error('leadership lost'));
    };
    const onAbort = (): void => {
      lock.off('lost', onLost);
      resolve(null);
    };
    lock.once('lost', onLost);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
