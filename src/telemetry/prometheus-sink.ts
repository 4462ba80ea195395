// The Prometheus side of the registry (go-metrics' PrometheusSink): gauges, counters, and samples
// as summaries (quantiles 0.5/0.9/0.99 over 10 s) in one prom-client registry, beside Node's
// process collectors. Series not updated for the retention time are dropped at scrape time.
import { Counter, Gauge, Registry, Summary, collectDefaultMetrics } from 'prom-client';

import { seriesKey, type MetricLabels } from './interval-sink';

type Metric = Counter<string> | Gauge<string> | Summary<string>;

interface Family {
  metric: Metric;
  labelNames: readonly string[];
  /** Last update (epoch ms) per series, with the labels to remove it by. */
  touched: Map<string, { at: number; labels: Record<string, string> }>;
}

export class PrometheusSink {
  readonly registry = new Registry();
  private readonly families = new Map<string, Family>();

  constructor(private readonly now: () => number = Date.now) {
    collectDefaultMetrics({ register: this.registry });
  }

  setGauge(name: string, value: number, labels: MetricLabels): void {
    const family = this.family('gauge', name, labels);
    (family.metric as Gauge<string>).set(this.touch(family, labels), value);
  }

  incrCounter(name: string, value: number, labels: MetricLabels): void {
    const family = this.family('counter', name, labels);
    (family.metric as Counter<string>).inc(this.touch(family, labels), value);
  }

  addSample(name: string, value: number, labels: MetricLabels): void {
    const family = this.family('summary', name, labels);
    (family.metric as Summary<string>).observe(this.touch(family, labels), value);
  }

  /** The text exposition; series older than `retentionMs` are removed first. */
  async scrape(retentionMs: number): Promise<{ contentType: string; body: string }> {
    const oldest = this.now() - retentionMs;
    for (const family of this.families.values()) {
      for (const [key, series] of family.touched) {
        if (series.at >= oldest) continue;
        family.metric.remove(series.labels);
        family.touched.delete(key);
      }
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private family(kind: 'gauge' | 'counter' | 'summary', name: string, labels: MetricLabels) {
    const promName = prometheusName(name);
    let family = this.families.get(promName);
    if (family === undefined) {
      // A name keeps the label names of its first use (Prometheus needs one set per family).
      const labelNames = Object.keys(labels).map(prometheusName).sort();
      const common = { name: promName, help: name, labelNames, registers: [this.registry] };
      const metric =
        kind === 'gauge'
          ? new Gauge(common)
          : kind === 'counter'
            ? new Counter(common)
            : new Summary({
                ...common,
                percentiles: [0.5, 0.9, 0.99],
                maxAgeSeconds: 10,
                ageBuckets: 5,
              });
      family = { metric, labelNames, touched: new Map() };
      this.families.set(promName, family);
    }
    return family;
  }

  private touch(family: Family, labels: MetricLabels): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(labels)) values[prometheusName(key)] = value;
    const own: Record<string, string> = {};
    for (const name of family.labelNames) own[name] = values[name] ?? '';
    family.touched.set(seriesKey('', own), { at: this.now(), labels: own });
    return own;
  }
}

/** go-metrics' flattening: dots, spaces, `=`, `-` and `/` become `_`; other invalid runes too. */
export function prometheusName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}
