// Alias check (Consul's CheckAlias): mirrors the aggregated health of another service or node.
// The data (local state or catalog) comes from the caller as a reader plus a change feed.
import type { CheckResult, CheckStatus } from './definition';

/** Where an alias check reads the aliased health and learns that it changed. */
export interface AliasSource {
  read(): CheckResult;
  /** Calls `onChange` whenever what read() would return may have changed; returns unsubscribe. */
  subscribe(onChange: () => void): () => void;
}

/** Pushes the aliased health at start and after every change, until stopped. */
export class AliasCheck {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly source: AliasSource) {}

  start(notify: (result: CheckResult) => void): void {
    this.stop();
    this.unsubscribe = this.source.subscribe(() => notify(this.source.read()));
    notify(this.source.read());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** One check of the aliased target, as the data source sees it. */
export interface AliasedCheck {
  name: string;
  status: CheckStatus;
  output: string;
}

/**
 * Consul's alias verdict over the aliased target's checks: the first critical wins, else the
 * last warning, else passing (`All checks passing.`; `No checks found.` when there are none);
 * a target that does not exist is critical.
 */
export function aliasHealth(
  checks: readonly AliasedCheck[],
  target: { exists: boolean; description: string },
): CheckResult {
  if (!target.exists) {
    return { status: 'critical', output: `${target.description} could not be found` };
  }
  let status: CheckStatus = 'passing';
  let output = 'No checks found.';
  for (const check of checks) {
    if (check.status === 'critical') {
      return {
        status: 'critical',
        output: `Aliased check "${check.name}" failing: ${check.output}`,
      };
    }
    if (check.status === 'warning') {
      status = 'warning';
      output = `Aliased check "${check.name}" failing: ${check.output}`;
    } else if (status === 'passing') output = 'All checks passing.';
  }
  return { status, output };
}
