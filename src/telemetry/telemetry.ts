// One registry for the process, as go-metrics' global: every module records through `metrics`,
// both sinks see every value. Keys are Consul's (`raft.apply`), the prefix (`consul`) and, for
// gauges, the hostname are added here as Consul's metrics configuration does.
import { hostname } from 'node:os';

import { IntervalSink, type MetricLabels, type MetricsJson } from './interval-sink';
import { PrometheusSink } from './prometheus-sink';

export interface TelemetrySettings {
  /** telemetry.metrics_prefix; Consul's default `consul`. */
  prefix: string;
  /** telemetry.disable_hostname: false inserts the host name into gauge names. */
  disableHostname: boolean;
  /** telemetry.prometheus_retention_time in ms; 0 disables the Prometheus format. */
  prometheusRetentionMs: number;
}

export const DEFAULT_TELEMETRY: TelemetrySettings = {
  prefix: 'consul',
  disableHostname: false,
  prometheusRetentionMs: 0,
};

const NO_LABELS: MetricLabels = Object.freeze({});

export class Telemetry {
  private settings: TelemetrySettings = DEFAULT_TELEMETRY;
  private readonly interval: IntervalSink;
  private readonly prometheus: PrometheusSink;
  private readonly host: string;

  constructor(options: { now?: () => number; hostname?: string } = {}) {
    this.interval = new IntervalSink(10_000, 60_000, options.now);
    this.prometheus = new PrometheusSink(options.now);
    this.host = options.hostname ?? hostname();
  }

  configure(settings: TelemetrySettings): void {
    this.settings = settings;
  }

  get prometheusRetentionMs(): number {
    return this.settings.prometheusRetentionMs;
  }

  incrCounter(key: string, value = 1, labels: MetricLabels = NO_LABELS): void {
    const name = this.name(key, false);
    this.interval.incrCounter(name, value, labels);
    this.prometheus.incrCounter(name, value, labels);
  }

  setGauge(key: string, value: number, labels: MetricLabels = NO_LABELS): void {
    const name = this.name(key, true);
    this.interval.setGauge(name, value, labels);
    this.prometheus.setGauge(name, value, labels);
  }

  /** A timing or other distribution; timings are in milliseconds as Consul's. */
  addSample(key: string, value: number, labels: MetricLabels = NO_LABELS): void {
    const name = this.name(key, false);
    this.interval.addSample(name, value, labels);
    this.prometheus.addSample(name, value, labels);
  }

  /** Records the milliseconds since `startedAt` (a performance.now() value). */
  measureSince(key: string, startedAt: number, labels: MetricLabels = NO_LABELS): void {
    this.addSample(key, performance.now() - startedAt, labels);
  }

  /** Consul's JSON view: the last finished 10 s interval. */
  json(): MetricsJson {
    return this.interval.display();
  }

  /** Prometheus text exposition, or null when prometheus_retention_time is not positive. */
  async prometheusText(): Promise<{ contentType: string; body: string } | null> {
    const retention = this.settings.prometheusRetentionMs;
    return retention > 0 ? this.prometheus.scrape(retention) : null;
  }

  private name(key: string, gauge: boolean): string {
    const { prefix, disableHostname } = this.settings;
    const parts = [prefix];
    if (gauge && !disableHostname) parts.push(this.host);
    parts.push(key);
    return parts.filter((part) => part !== '').join('.');
  }
}

/** The process-wide registry. */
export const metrics = new Telemetry();

/** serf.member.* events, for the membership layer to call (Consul: join|left|failed|flap|update). */
export type MemberEvent = 'join' | 'left' | 'failed' | 'flap' | 'update' | 'reap';

export function recordMemberEvent(event: MemberEvent, network: 'lan' | 'wan' = 'lan'): void {
  metrics.incrCounter(`serf.member.${event}`, 1, { network });
}
