// The core's pending timers; the due one with the earliest deadline fires first, ties in the
// order they were set, so runs replay exactly.

export interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class TimerSet {
  private timers: Timer[] = [];
  private seq = 0;

  add(at: number, fire: () => void): Timer {
    const t: Timer = { at, seq: ++this.seq, fire };
    this.timers.push(t);
    return t;
  }

  cancel(t: Timer): void {
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  clear(): void {
    this.timers = [];
  }

  /** Removes and returns the earliest timer due at `now`, or null. */
  takeDue(now: number): Timer | null {
    let best: Timer | null = null;
    for (const t of this.timers) {
      if (
        t.at <= now &&
        (best === null || t.at < best.at || (t.at === best.at && t.seq < best.seq))
      ) {
        best = t;
      }
    }
    if (best !== null) this.cancel(best);
    return best;
  }

  nextDeadline(): number | null {
    let min: number | null = null;
    for (const t of this.timers) if (min === null || t.at < min) min = t.at;
    return min;
  }
}
