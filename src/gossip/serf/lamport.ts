// Lamport clocks (serf lamport.go): serf keeps three — members, user events, queries.

export class LamportClock {
  private counter = 0;

  time(): number {
    return this.counter;
  }

  /** Advances the clock and returns the new value. */
  increment(): number {
    return ++this.counter;
  }

  /** Moves the clock past a time seen from another node: if v ≥ current, current = v + 1. */
  witness(v: number): void {
    if (v >= this.counter) this.counter = v + 1;
  }
}
