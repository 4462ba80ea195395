// Watch sets: a read records what it touched (exact keys, prefixes) so that a blocking query
// sleeps until a committed write changes exactly that. A write to `a/b/c` wakes watchers of
// `a/b/c` and of each of its string prefixes (`a/b/`, …, `""`), found by walking the key's own
// prefixes — the cost follows the key's length, never the number of waiters.
import type { WatchSet } from './types';

/** One changed row: which watch table, which key. */
export interface WatchChange {
  watch: WatchTable;
  key: string;
}

// setTimeout fires at once for delays above 2^31-1 ms; clamp so a long wait stays long.
const MAX_TIMER_MS = 2 ** 31 - 1;
// Commits remembered so a set that read before a commit but waits after it still sees it.
const RECENT_COMMITS = 64;
// Waiters woken per event-loop turn: the commit's own writer answers first, and a wake-up of
// thousands leaves room between batches for other requests' I/O.
const WAKE_BATCH = 1024;

class Waiter {
  constructor(readonly wake: () => void) {}
}

/** Who waits on which keys and prefixes of one table family (e.g. KV). */
export class WatchTable {
  private readonly exact = new Map<string, Set<Waiter>>();
  private readonly prefixes = new Map<string, Set<Waiter>>();

  addExact(key: string, waiter: Waiter): () => void {
    return addTo(this.exact, key, waiter);
  }

  addPrefix(prefix: string, waiter: Waiter): () => void {
    return addTo(this.prefixes, prefix, waiter);
  }

  /**
   * Adds to `into` the waiters of `key` and of every prefix of it. Prefixes already in
   * `seenPrefixes` (and so every shorter one) were collected for an earlier key of the commit.
   */
  collect(key: string, into: Set<Waiter>, seenPrefixes: Set<string>): void {
    this.exact.get(key)?.forEach((waiter) => into.add(waiter));
    if (this.prefixes.size === 0) return;
    for (let length = key.length; length >= 0; length--) {
      const prefix = key.slice(0, length);
      if (seenPrefixes.has(prefix)) return;
      seenPrefixes.add(prefix);
      this.prefixes.get(prefix)?.forEach((waiter) => into.add(waiter));
    }
  }
}

function addTo(map: Map<string, Set<Waiter>>, key: string, waiter: Waiter): () => void {
  let waiters = map.get(key);
  if (waiters === undefined) {
    waiters = new Set();
    map.set(key, waiters);
  }
  waiters.add(waiter);
  const registered = waiters;
  return () => {
    registered.delete(waiter);
    if (registered.size === 0 && map.get(key) === registered) map.delete(key);
  };
}

type RecentCommit = { seq: number; changes: WatchChange[] | 'everything' };

/** Every waiting watch set of one store, and the wake-ups after each commit. */
export class WatchRegistry {
  private readonly waiting = new Set<Waiter>();
  private seq = 0;
  private recent: RecentCommit[] = [];
  /** Woken by a commit, not yet told: they run from the next turn of the event loop on. */
  private wakeQueue: Waiter[] = [];
  private wakeScheduled = false;

  get waiters(): number {
    return this.waiting.size;
  }

  get commitSeq(): number {
    return this.seq;
  }

  /** Wakes, once each, every waiter on what a committed transaction changed. */
  notify(changes: WatchChange[]): void {
    if (changes.length === 0) return;
    this.remember(changes);
    if (this.waiting.size === 0) return;
    const woken = new Set<Waiter>();
    const seenPrefixes = new Map<WatchTable, Set<string>>();
    for (const { watch, key } of changes) {
      let seen = seenPrefixes.get(watch);
      if (seen === undefined) {
        seen = new Set();
        seenPrefixes.set(watch, seen);
      }
      watch.collect(key, woken, seen);
    }
    this.queueWake(woken);
  }

  /** Wakes every waiter (a restore replaced the whole state under them). */
  abandon(): void {
    this.remember('everything');
    this.queueWake(this.waiting);
  }

  /** True when a commit after `seq` touched what `set` watches (or is no longer known). */
  changedSince(seq: number, set: WatchSetBuilder): boolean {
    if (seq === this.seq) return false;
    if (this.recent.length === 0 || this.recent[0].seq > seq + 1) return true;
    return this.recent.some(
      (commit) =>
        commit.seq > seq &&
        (commit.changes === 'everything' || commit.changes.some((change) => set.watches(change))),
    );
  }

  startWaiting(waiter: Waiter): void {
    this.waiting.add(waiter);
  }

  stopWaiting(waiter: Waiter): void {
    this.waiting.delete(waiter);
  }

  /**
   * Wakes `waiters` after the current turn (whose callbacks include the committing write's own
   * reply), WAKE_BATCH per turn. A waiter that timed out or was cancelled meanwhile ignores it.
   */
  private queueWake(waiters: Set<Waiter>): void {
    waiters.forEach((waiter) => this.wakeQueue.push(waiter));
    if (this.wakeScheduled || this.wakeQueue.length === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => this.wakeBatch());
  }

  private wakeBatch(): void {
    const queue = this.wakeQueue;
    const batch = queue.length <= WAKE_BATCH ? queue : queue.slice(0, WAKE_BATCH);
    this.wakeQueue = queue.length <= WAKE_BATCH ? [] : queue.slice(WAKE_BATCH);
    for (const waiter of batch) waiter.wake();
    if (this.wakeQueue.length > 0) setImmediate(() => this.wakeBatch());
    else this.wakeScheduled = false;
  }

  private remember(changes: RecentCommit['changes']): void {
    this.seq++;
    this.recent.push({ seq: this.seq, changes });
    if (this.recent.length > RECENT_COMMITS) this.recent.shift();
  }
}

/**
 * What a read touched. Reads add to it; `wait` sleeps until a commit changes any of it —
 * including a commit that landed between the read and the call to `wait`.
 */
export class WatchSetBuilder implements WatchSet {
  private readonly exact = new Map<WatchTable, Set<string>>();
  private readonly prefixes = new Map<WatchTable, Set<string>>();
  private startSeq: number;
  private waiting = false;
  private cancelWait: (() => void) | null = null;

  constructor(private readonly registry: WatchRegistry) {
    this.startSeq = registry.commitSeq;
  }

  addKey(watch: WatchTable, key: string): void {
    addName(this.exact, watch, key);
  }

  addPrefix(watch: WatchTable, prefix: string): void {
    addName(this.prefixes, watch, prefix);
  }

  /** Whether `change` is something this set watches. */
  watches(change: WatchChange): boolean {
    if (this.exact.get(change.watch)?.has(change.key)) return true;
    const prefixes = this.prefixes.get(change.watch);
    if (prefixes === undefined) return false;
    for (let length = change.key.length; length >= 0; length--) {
      if (prefixes.has(change.key.slice(0, length))) return true;
    }
    return false;
  }

  /** Resolves true on a change, false on timeout or abort; always unregisters itself. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.waiting) return Promise.reject(new Error('this watch set is already waiting'));
    if (signal?.aborted) return Promise.resolve(false);
    if (this.registry.changedSince(this.startSeq, this)) {
      this.startSeq = this.registry.commitSeq;
      return Promise.resolve(true);
    }
    this.waiting = true;
    return new Promise<boolean>((resolve) => {
      const unregister: (() => void)[] = [];
      let done = false;
      const finish = (changed: boolean): void => {
        if (done) return;
        done = true;
        this.cancelWait = null;
        for (const undo of unregister) undo();
        this.registry.stopWaiting(waiter);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting = false;
        this.startSeq = this.registry.commitSeq;
        resolve(changed);
      };
      const waiter = new Waiter(() => finish(true));
      const onAbort = (): void => finish(false);
      this.cancelWait = onAbort;
      // Whole milliseconds: timers of equal duration share one of Node's timer lists.
      const delayMs = Math.min(Math.max(Math.ceil(timeoutMs), 0), MAX_TIMER_MS);
      const timer = setTimeout(onAbort, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.exact.forEach((keys, watch) =>
        keys.forEach((key) => unregister.push(watch.addExact(key, waiter))),
      );
      this.prefixes.forEach((prefixes, watch) =>
        prefixes.forEach((prefix) => unregister.push(watch.addPrefix(prefix, waiter))),
      );
      this.registry.startWaiting(waiter);
    });
  }

  /**
   * Ends the current wait, if any, as an abort would (resolves false). Cheaper than an
   * AbortSignal for a caller that already has its own cancellation event (a closed connection).
   */
  cancel(): void {
    this.cancelWait?.();
  }
}

function addName(names: Map<WatchTable, Set<string>>, watch: WatchTable, name: string): void {
  let set = names.get(watch);
  if (set === undefined) {
    set = new Set();
    names.set(watch, set);
  }
  set.add(name);
}
