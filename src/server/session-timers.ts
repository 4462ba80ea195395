// Leader duty: destroy sessions whose TTL ran out (Consul's session_ttl.go). Each session with a
// TTL has a timer of TTL × 2 (Consul's SessionTTLMultiplier grace), reset on create and renew.
// Timers live only on the leader and are rebuilt from the state store when it takes over, so a
// new leader gives every session a full grace period.

/** Consul's structs.SessionTTLMultiplier. */
export const SESSION_TTL_MULTIPLIER = 2;
const EXPIRE_ATTEMPTS = 6;
const EXPIRE_RETRY_BASE_MS = 1000;

export interface SessionTimersOptions {
  /** Proposes the destroy of an expired session; a rejection is retried with back-off. */
  expire: (id: string) => Promise<void>;
  /** Called once a session could not be destroyed after every attempt. */
  onExpireFailed?: (id: string, error: unknown) => void;
}

export class SessionTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private enabled = false;

  constructor(private readonly options: SessionTimersOptions) {}

  get leading(): boolean {
    return this.enabled;
  }

  /** Number of armed timers (for stats and tests). */
  get armed(): number {
    return this.timers.size;
  }

  /**
   * Becoming leader arms a timer for every session in `sessions` (id → TTL ms); losing
   * leadership clears them all.
   */
  setEnabled(enabled: boolean, sessions: Iterable<[string, number]> = []): void {
    this.clearAll();
    this.enabled = enabled;
    if (!enabled) return;
    for (const [id, ttlMs] of sessions) this.reset(id, ttlMs);
  }

  /** (Re)starts the session's timer; ttlMs 0 means the session has no TTL. */
  reset(id: string, ttlMs: number): void {
    if (!this.enabled || ttlMs <= 0) return;
    this.clear(id);
    const timer = setTimeout(() => this.fire(id), ttlMs * SESSION_TTL_MULTIPLIER);
    timer.unref();
    this.timers.set(id, timer);
  }

  clear(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(id);
  }

  stop(): void {
    this.enabled = false;
    this.clearAll();
  }

  private clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private fire(id: string): void {
    this.timers.delete(id);
    void this.expireWithRetry(id);
  }

  // Consul retries the destroy with a growing pause while it stays leader.
  private async expireWithRetry(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.expire(id);
        return;
      } catch (error) {
        if (attempt >= EXPIRE_ATTEMPTS || !this.enabled) {
          this.options.onExpireFailed?.(id, error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, EXPIRE_RETRY_BASE_MS * attempt).unref());
      }
    }
  }
}
