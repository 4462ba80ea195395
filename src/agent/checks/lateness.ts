// How late runs start (actual start − scheduled start), over the most recent samples.

export interface LatenessSummary {
  /** Samples the percentiles are computed over (at most the window). */
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export class LatenessRecorder {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(window = 65_536) {
    this.ring = new Float64Array(window);
  }

  record(lateMs: number): void {
    this.ring[this.next] = lateMs;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
  }

  summary(): LatenessSummary {
    if (this.filled === 0) return { samples: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.ring.slice(0, this.filled).sort();
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return { samples: this.filled, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
  }
}
