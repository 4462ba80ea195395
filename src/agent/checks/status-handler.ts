// Consul's StatusHandler: success_before_passing / failures_before_warning /
// failures_before_critical, applied to the results of http, tcp, udp, grpc and script checks.
import type { CheckResult } from './definition';

export interface StatusThresholds {
  successBeforePassing?: number;
  failuresBeforeWarning?: number;
  failuresBeforeCritical?: number;
}

/**
 * The exact rules (as Consul's agent/checks StatusHandler):
 * - A passing or warning result counts as a success: successes += 1, failures = 0. It is reported
 *   as is once successes >= successBeforePassing; before that nothing is reported.
 * - A critical result counts as a failure: failures += 1, successes = 0. Once failures >=
 *   failuresBeforeCritical it is reported critical; else once failures >= failuresBeforeWarning it
 *   is reported as warning (same output); before that nothing is reported.
 * - failuresBeforeWarning defaults to failuresBeforeCritical; all thresholds default to 0.
 * - Both counters start at their threshold, so the first result after a check starts is
 *   reported immediately: thresholds only delay a change away from the reported state, and the
 *   initial status stands until that first result.
 */
export class StatusHandler {
  private readonly successBeforePassing: number;
  private readonly failuresBeforeWarning: number;
  private readonly failuresBeforeCritical: number;
  private successes: number;
  private failures: number;

  constructor(thresholds: StatusThresholds = {}) {
    this.successBeforePassing = thresholds.successBeforePassing ?? 0;
    this.failuresBeforeCritical = thresholds.failuresBeforeCritical ?? 0;
    this.failuresBeforeWarning = thresholds.failuresBeforeWarning || this.failuresBeforeCritical;
    this.successes = this.successBeforePassing;
    this.failures = this.failuresBeforeCritical;
  }

  /** The result to report for a raw runner result, or undefined while a threshold holds it back. */
  apply(result: CheckResult): CheckResult | undefined {
    if (result.status === 'passing' || result.status === 'warning') {
      this.successes += 1;
      this.failures = 0;
      return this.successes >= this.successBeforePassing ? result : undefined;
    }
    this.failures += 1;
    this.successes = 0;
    if (this.failures >= this.failuresBeforeCritical) return result;
    if (this.failures >= this.failuresBeforeWarning)
      return { status: 'warning', output: result.output };
    return undefined;
  }
}
