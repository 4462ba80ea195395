// The agent's `watches` stanza: one plan per entry, run against the agent's own HTTP API (as
// Consul's agent does). A reload keeps every entry whose definition did not change running as it
// is — its handler does not fire again (Consul issues 571, 3185) — stops removed ones and starts
// new ones. Handler failures are logged; the watch goes on.
import type { Logger } from 'pino';

import { Consul } from '../../clients/typescript/src';
import { runHandler } from './handlers';
import { WatchPlan } from './plan';
import { parseWatchSpec, type WatchSpec } from './spec';

export class AgentWatches {
  private readonly plans = new Map<string, WatchPlan>();
  private readonly client: Consul;

  constructor(
    httpAddress: string,
    private readonly logger: Logger,
  ) {
    this.client = new Consul({ address: `http://${httpAddress}` });
  }

  /** Checks every entry first; throws (changing nothing) when one is invalid. */
  static validate(entries: readonly Record<string, unknown>[]): WatchSpec[] {
    return entries.map((entry, i) => parseWatchSpec(entry, `watches[${i}]`));
  }

  /** Makes the running plans match `entries`. */
  apply(entries: readonly Record<string, unknown>[]): void {
    const specs = AgentWatches.validate(entries);
    const wanted = new Map(entries.map((entry, i) => [identity(entry), specs[i]]));
    for (const [key, plan] of this.plans) {
      if (wanted.has(key)) continue;
      plan.stop();
      this.plans.delete(key);
    }
    for (const [key, spec] of wanted) {
      if (this.plans.has(key)) continue;
      this.plans.set(key, this.start(spec));
    }
  }

  get running(): number {
    return this.plans.size;
  }

  stop(): void {
    for (const plan of this.plans.values()) plan.stop();
    this.plans.clear();
    this.client.close();
  }

  private start(spec: WatchSpec): WatchPlan {
    const log = this.logger.child({ watch: spec.type });
    return new WatchPlan(spec, this.client, {
      onResult: async (result) => {
        try {
          await runHandler(spec.handler, result, {
            sink: (stream, text) => log.info({ stream }, `watch handler output: ${text.trimEnd()}`),
          });
        } catch (error) {
          log.error({ err: error, index: result.index }, 'watch handler failed');
        }
      },
      onError: (error, fatal) =>
        fatal
          ? log.error({ err: error }, 'watch stopped')
          : log.debug({ err: error }, 'watch read failed'),
    });
  }
}

// Config entries come with sorted keys, so equal definitions encode alike.
function identity(entry: Record<string, unknown>): string {
  return JSON.stringify(entry);
}
