// Consul's in-memory sink (go-metrics InmemSink): values aggregated per fixed interval (10 s),
// the last minute retained, shown by /v1/agent/metrics as the last finished interval.

export type MetricLabels = Readonly<Record<string, string>>;

/** go-metrics AggregateSample as Consul's JSON shows it. */
export type SampleJson = {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Min: number;
  Max: number;
  Mean: number;
  Stddev: number;
  Labels: Record<string, string>;
};

export type GaugeJson = {
  Name: string;
  Value: number;
  Labels: Record<string, string>;
};

/** The body of GET /v1/agent/metrics. */
export type MetricsJson = {
  Timestamp: string;
  Gauges: GaugeJson[];
  Points: { Name: string; Points: number[] }[];
  Counters: SampleJson[];
  Samples: SampleJson[];
};

class Aggregate {
  count = 0;
  sum = 0;
  sumSq = 0;
  min = 0;
  max = 0;

  constructor(
    readonly name: string,
    readonly labels: MetricLabels,
  ) {}

  add(value: number): void {
    this.count += 1;
    this.sum += value;
    this.sumSq += value * value;
    if (this.count === 1 || value < this.min) this.min = value;
    if (this.count === 1 || value > this.max) this.max = value;
  }

  json(intervalSeconds: number): SampleJson {
    // go-metrics' Stddev: sqrt((n·Σx² − (Σx)²) / (n·(n−1))).
    const div = this.count * (this.count - 1);
    const stddev = div === 0 ? 0 : Math.sqrt((this.count * this.sumSq - this.sum ** 2) / div);
    return {
      Name: this.name,
      Count: this.count,
      Rate: this.sum / intervalSeconds,
      Sum: this.sum,
      Min: this.min,
      Max: this.max,
      Mean: this.count === 0 ? 0 : this.sum / this.count,
      Stddev: Number.isFinite(stddev) ? stddev : 0,
      Labels: { ...this.labels },
    };
  }
}

interface Interval {
  start: number;
  gauges: Map<string, GaugeJson>;
  counters: Map<string, Aggregate>;
  samples: Map<string, Aggregate>;
}

export class IntervalSink {
  private readonly intervals: Interval[] = [];

  constructor(
    private readonly intervalMs = 10_000,
    private readonly retainMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  setGauge(name: string, value: number, labels: MetricLabels): void {
    this.current().gauges.set(seriesKey(name, labels), {
      Name: name,
      Value: value,
      Labels: { ...labels },
    });
  }

  incrCounter(name: string, value: number, labels: MetricLabels): void {
    aggregateOf(this.current().counters, name, labels).add(value);
  }

  addSample(name: string, value: number, labels: MetricLabels): void {
    aggregateOf(this.current().samples, name, labels).add(value);
  }

  /** The last finished interval (the current one when it is the only one), as Consul shows it. */
  display(): MetricsJson {
    const current = this.current();
    const shown = this.intervals.length > 1 ? this.intervals[this.intervals.length - 2] : current;
    const seconds = this.intervalMs / 1000;
    const byName = <T extends { Name: string; Labels: Record<string, string> }>(a: T, b: T) => {
      const x = seriesKey(a.Name, a.Labels);
      const y = seriesKey(b.Name, b.Labels);
      return x < y ? -1 : x > y ? 1 : 0;
    };
    return {
      Timestamp: goTime(shown.start),
      Gauges: [...shown.gauges.values()].sort(byName),
      Points: [],
      Counters: [...shown.counters.values()].map((a) => a.json(seconds)).sort(byName),
      Samples: [...shown.samples.values()].map((a) => a.json(seconds)).sort(byName),
    };
  }

  private current(): Interval {
    const now = this.now();
    const start = now - (now % this.intervalMs);
    const last = this.intervals[this.intervals.length - 1];
    if (last !== undefined && last.start === start) return last;
    const fresh: Interval = { start, gauges: new Map(), counters: new Map(), samples: new Map() };
    this.intervals.push(fresh);
    while (this.intervals.length > 0 && this.intervals[0].start <= now - this.retainMs) {
      this.intervals.shift();
    }
    return fresh;
  }
}

function aggregateOf(table: Map<string, Aggregate>, name: string, labels: MetricLabels): Aggregate {
  const key = seriesKey(name, labels);
  let aggregate = table.get(key);
  if (aggregate === undefined) {
    aggregate = new Aggregate(name, labels);
    table.set(key, aggregate);
  }
  return aggregate;
}

/** Name plus labels in a stable order: one series. */
export function seriesKey(name: string, labels: MetricLabels): string {
  const names = Object.keys(labels).sort();
  return names.length === 0 ? name : `${name};${names.map((k) => `${k}=${labels[k]}`).join(';')}`;
}

/** Go's time.Time String() in UTC at whole seconds: `2024-01-02 15:04:10 +0000 UTC`. */
export function goTime(epochMs: number): string {
  const iso = new Date(epochMs - (epochMs % 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
