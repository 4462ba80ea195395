// Timing helpers for the raft-log benchmark: run a durable commit in a loop for a fixed time.

export interface Measurement {
  entriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Commits `batchSize` entries per call for `durationMs` after `warmup` calls; times each one. */
export async function measureCommits(
  batchSize: number,
  durationMs: number,
  commit: () => Promise<void> | void,
  warmup = 20,
): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await commit();
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    const before = now;
    await commit();
    now = process.hrtime.bigint();
    latencies.push(Number(now - before) / 1e6);
  }
  const elapsedSeconds = Number(now - start) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    entriesPerSecond: (latencies.length * batchSize) / elapsedSeconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
