// Lifeguard's suspicion timer (suspicion.go): starts at `max` and shrinks towards `min` as
// independent peers confirm the suspicion, up to k confirmations.

/** min = SuspicionMult × max(1, log10(max(1, n))) × ProbeInterval (ms, whole ms as Go). */
export function suspicionTimeout(suspicionMult: number, n: number, interval: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor((suspicionMult * Math.floor(nodeScale * 1000) * interval) / 1000);
}

export function remainingSuspicionTime(
  n: number,
  k: number,
  elapsed: number,
  min: number,
  max: number,
): number {
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = max - frac * (max - min);
  const timeout = Math.max(min, Math.floor(raw));
  return timeout - elapsed;
}

export class Suspicion {
  private n = 0;
  private readonly confirmations = new Set<string>();
  private readonly start: number;
  deadline: number;
  /** Set by the owner: called when a confirmation moved the deadline. */
  onReschedule: (() => void) | null = null;

  constructor(
    from: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    now: number,
    private readonly timeoutFn: (confirmations: number) => void,
  ) {
    this.confirmations.add(from);
    this.start = now;
    this.deadline = now + (k < 1 ? min : max);
  }

  /** Records a confirmation from a new peer; true if it counted (and should be re-gossiped). */
  confirm(from: string, now: number): boolean {
    if (this.n >= this.k) return false;
    if (this.confirmations.has(from)) return false;
    this.confirmations.add(from);
    this.n++;
    const remaining = remainingSuspicionTime(this.n, this.k, now - this.start, this.min, this.max);
    this.deadline = now + Math.max(0, remaining);
    this.onReschedule?.();
    return true;
  }

  expire(): void {
    this.timeoutFn(this.n);
  }
}
