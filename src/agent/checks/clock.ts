// The time source of the check scheduler: real timers by default, a manual clock in tests.

/** A pending timer; cancel() is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/** Milliseconds and one-shot timers. `now()` must be monotonic. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

/**
 * Real time: monotonic milliseconds on the epoch scale (timeOrigin + performance.now()), so that
 * values such as `criticalSince` read like Date.now() but never jump backwards with NTP.
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ManualTimer {
  dueAt: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. advance() fires due timers in due order, each seeing
 * now() equal to its due time, so that code driven by it behaves as under a perfect real clock.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: ManualTimer = {
      dueAt: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Pending (not cancelled) timers. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the earliest pending timer. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers)
      if (!t.cancelled && (next === undefined || t.dueAt < next)) next = t.dueAt;
    return next;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    while (true) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.dueAt > target) continue;
        if (
          next === undefined ||
          t.dueAt < next.dueAt ||
          (t.dueAt === next.dueAt && t.seq < next.seq)
        )
          next = t;
      }
      if (next === undefined) break;
      next.cancelled = true;
      this.current = Math.max(this.current, next.dueAt);
      next.callback();
    }
    this.current = Math.max(this.current, target);
  }
}
