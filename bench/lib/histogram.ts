// Latency histogram with logarithmic buckets (~0.5% wide): constant memory however many
// samples, and mergeable across load-generator processes.

const BUCKETS_PER_E = 200; // bucket k covers (e^((k-1)/200), e^(k/200)] microseconds

export type HistogramBuckets = Array<[bucket: number, count: number]>;

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private maxMs = 0;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  record(ms: number): void {
    const micros = Math.max(1, ms * 1000);
    const bucket = Math.ceil(Math.log(micros) * BUCKETS_PER_E);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: LatencyHistogram): void {
    for (const [bucket, count] of other.counts) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    }
    this.total += other.total;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The latency (ms, bucket upper bound) below which a fraction `q` (0..1) of samples fall. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) as number;
      if (seen >= rank) return Math.min(this.maxMs, Math.exp(bucket / BUCKETS_PER_E) / 1000);
    }
    return this.maxMs;
  }

  toJSON(): { buckets: HistogramBuckets; max: number } {
    return { buckets: [...this.counts.entries()], max: this.maxMs };
  }

  static fromJSON(json: { buckets: HistogramBuckets; max: number }): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [bucket, count] of json.buckets) {
      histogram.counts.set(bucket, count);
      histogram.total += count;
    }
    histogram.maxMs = json.max;
    return histogram;
  }
}

/** Exact quantile of a small sample (sorts a copy); NaN when empty. */
export function quantileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  return quantileOf(
    values.filter((v) => Number.isFinite(v)),
    0.5,
  );
}
