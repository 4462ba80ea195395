// Runtime gauges every second, as Consul's go-metrics runtime stats: memory, and for Node the
// event loop's delay (what goroutine counts tell a Go operator: is the agent keeping up).
import {
  monitorEventLoopDelay,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';

import type { Telemetry } from './telemetry';

export interface RuntimeCollector {
  stop(): void;
}

/** Starts emitting runtime.* gauges; `extra` runs on each tick for agent-level gauges. */
export function startRuntimeCollector(
  telemetry: Telemetry,
  extra: () => void = () => undefined,
  periodMs = 1000,
): RuntimeCollector {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let gcRuns = 0;
  let gcPauseNs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const ns = entry.duration * 1e6;
      gcRuns += 1;
      gcPauseNs += ns;
      telemetry.addSample('runtime.gc_pause_ns', ns);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const tick = (): void => {
    const memory = process.memoryUsage();
    telemetry.setGauge('runtime.alloc_bytes', memory.heapUsed);
    telemetry.setGauge('runtime.sys_bytes', memory.rss);
    telemetry.setGauge('runtime.heap_total_bytes', memory.heapTotal);
    telemetry.setGauge('runtime.external_bytes', memory.external);
    telemetry.setGauge('runtime.total_gc_runs', gcRuns);
    telemetry.setGauge('runtime.total_gc_pause_ns', gcPauseNs);
    // Histogram values are nanoseconds; the gauges are milliseconds.
    telemetry.setGauge('runtime.event_loop_lag_p99_ms', delay.percentile(99) / 1e6);
    telemetry.setGauge('runtime.event_loop_lag_max_ms', delay.max / 1e6);
    delay.reset();
    extra();
  };
  const timer = setInterval(tick, periodMs);
  timer.unref();
  tick();
  return {
    stop() {
      clearInterval(timer);
      delay.disable();
      gc.disconnect();
    },
  };
}
