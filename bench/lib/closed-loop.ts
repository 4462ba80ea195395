// The closed-loop load generator that runs inside a load-generator process: `clients`
// connections, each sending its next request when the previous response has ended.
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram';
import {
  connectionAgent,
  expandTemplate,
  keyName,
  prepareRequest,
  sendRequest,
  valueOf,
  type PreparedRequest,
} from './http-requests';
import type { ClosedLoopResult, ClosedLoopSpec } from './loadgen-protocol';

const MAX_ERROR_SAMPLES = 5;

/** xorshift32: cheap, seedable, good enough to spread keys uniformly. */
function keyPicker(seed: number, count: number): () => number {
  let state = seed | 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % count;
  };
}

function prepareAll(spec: ClosedLoopSpec): PreparedRequest[] {
  const value = valueOf(spec.keys.valueBytes);
  const prepared: PreparedRequest[] = [];
  for (let i = 0; i < spec.keys.count; i++) {
    const plain = expandTemplate(spec.request, keyName(spec.keys, i), value);
    prepared.push(prepareRequest(plain));
  }
  return prepared;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runClosedLoop(
  spec: ClosedLoopSpec,
  clients: number,
  startAtEpochMs: number,
): Promise<ClosedLoopResult> {
  const requests = prepareAll(spec);
  const agents = Array.from({ length: clients }, () => connectionAgent());
  const histogram = new LatencyHistogram();
  const errorSamples: string[] = [];
  let ops = 0;
  let errors = 0;
  let nextKey = 0;
  const eachOnce = spec.order === 'each-once';

  await sleep(startAtEpochMs - Date.now());
  const start = performance.now();
  const windowStart = eachOnce ? start : start + spec.warmupMs;
  const windowEnd = eachOnce ? Number.POSITIVE_INFINITY : windowStart + spec.durationMs;
  let cpuAtWindowStart = process.cpuUsage();
  let cpuOverWindow: NodeJS.CpuUsage | undefined;
  const timers: NodeJS.Timeout[] = [];
  if (!eachOnce) {
    timers.push(setTimeout(() => (cpuAtWindowStart = process.cpuUsage()), spec.warmupMs));
    timers.push(
      setTimeout(
        () => (cpuOverWindow = process.cpuUsage(cpuAtWindowStart)),
        spec.warmupMs + spec.durationMs,
      ),
    );
  }
  let lastFinish = start;

  const runClient = (clientIndex: number): Promise<void> =>
    new Promise((resolve) => {
      const agent = agents[clientIndex];
      const pick = keyPicker(startAtEpochMs + clientIndex * 7919, spec.keys.count);
      const next = (): void => {
        let key: number;
        if (eachOnce) {
          if (nextKey >= spec.keys.count) return resolve();
          key = nextKey++;
        } else {
          if (performance.now() >= windowEnd) return resolve();
          key = pick();
        }
        const sentAt = performance.now();
        sendRequest(agent, spec.target, requests[key], false, (error, reply) => {
          const finishedAt = performance.now();
          lastFinish = finishedAt;
          if (finishedAt >= windowStart && finishedAt <= windowEnd) {
            if (error === undefined && reply !== undefined && reply.status < 300) {
              ops += 1;
              histogram.record(finishedAt - sentAt);
            } else {
              errors += 1;
              if (errorSamples.length < MAX_ERROR_SAMPLES) {
                errorSamples.push(
                  error !== undefined
                    ? error.message
                    : `HTTP ${reply?.status}: ${reply?.body.slice(0, 200)}`,
                );
              }
            }
          }
          // A failing connection is replaced by the agent; pace failures so they can't spin.
          if (error !== undefined) setTimeout(next, 10);
          else next();
        });
      };
      next();
    });

  await Promise.all(agents.map((_, i) => runClient(i)));
  for (const timer of timers) clearTimeout(timer);
  for (const agent of agents) agent.destroy();
  const windowMs = eachOnce ? lastFinish - start : spec.durationMs;
  const cpu = cpuOverWindow ?? process.cpuUsage(cpuAtWindowStart);
  return {
    type: 'closed-loop-result',
    ops,
    errors,
    errorSamples,
    histogram: histogram.toJSON(),
    windowMs,
    loadgenCpuMs: (cpu.user + cpu.system) / 1000,
  };
}
