// One fault run: start the workload, apply the nemesis steps, heal, read every key from every
// server, check the history. Shared by the CI tests, the soak script and the etcd validation.
import { performance } from 'node:perf_hooks';

import type { NetLab } from './netlab';
import { Nemesis, type Step } from './nemesis';
import type { FaultableCluster, KvTarget, ReadMode } from './target';
import { verifyHistory, type Verdict } from './verify';
import { Workload } from './workload';

export interface ScenarioOptions {
  seed: number;
  steps: readonly Step[];
  clients?: number;
  keys?: number;
  readModes: readonly ReadMode[];
  /** See VerifyOptions. */
  defaultReadsLinearizable: boolean;
  staleSlackMs: number | null;
  /** Distinct per run on one cluster, so that histories do not share keys. */
  keyPrefix: string;
  requestTimeoutMs?: number;
}

export interface ScenarioResult {
  verdict: Verdict;
  events: string[];
  counts: Workload['counts'];
  /** Everything a person needs when the verdict is a failure. */
  report(): string;
}

export async function runScenario(
  cluster: FaultableCluster & KvTarget,
  lab: NetLab,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const origin = performance.now();
  const workload = new Workload(
    cluster,
    {
      seed: options.seed,
      clients: options.clients ?? 2 * cluster.size,
      keys: options.keys ?? 4,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxPauseMs: 20,
      readModes: options.readModes,
    },
    options.keyPrefix,
  );
  const nemesis = new Nemesis({ cluster, lab, workload, origin });
  workload.start();
  let failure: unknown = null;
  try {
    await nemesis.progress(10);
    await nemesis.run(options.steps);
  } catch (error) {
    failure = error;
  } finally {
    await lab.healAll();
    for (let i = 0; i < cluster.size; i++) cluster.resume(i);
  }
  const history = await workload.stop();
  if (failure === null) {
    // After everything: each key read from each server; an acknowledged write that was lost
    // shows here at the latest.
    await workload.readEverything('consistent');
    if (options.readModes.includes('stale')) await workload.readEverything('stale');
  }
  const verdict =
    failure === null
      ? verifyHistory(history, {
          seed: options.seed,
          origin,
          defaultReadsLinearizable: options.defaultReadsLinearizable,
          staleSlackMs: options.staleSlackMs,
        })
      : {
          ok: false,
          report: `the run did not finish (seed ${options.seed}): ${String(failure)}`,
          summary: '',
        };
  const events = nemesis.events;
  return {
    verdict,
    events,
    counts: workload.counts,
    report: () =>
      [
        verdict.report,
        `requests: ${JSON.stringify(workload.counts)}`,
        'faults:',
        ...events,
        cluster.logs(),
      ].join('\n'),
  };
}
