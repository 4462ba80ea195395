// TTL check (Consul's CheckTTL): the application reports its own status; if it goes quiet for
// longer than the TTL the check turns critical. Pure state: the caller keeps the deadline on a
// timer (the scheduler keeps it in its heap).
import type { CheckResult, CheckStatus } from './definition';
import { truncateTtlOutput } from './output';

export class TtlCheck {
  private lastOutput = '';
  /** When the TTL runs out, in clock milliseconds; undefined once it has expired. */
  deadline: number | undefined;

  constructor(
    readonly ttlMs: number,
    private readonly outputMaxSize: number,
    now: number,
  ) {
    this.deadline = now + ttlMs;
  }

  /** A status report: truncates the output as Consul does and restarts the TTL. */
  update(status: CheckStatus, output: string, now: number): CheckResult {
    const stored = truncateTtlOutput(output, this.outputMaxSize);
    this.lastOutput = stored;
    this.deadline = now + this.ttlMs;
    return { status, output: stored };
  }

  /** The TTL ran out: critical, keeping the last reported output for context. */
  expire(): CheckResult {
    this.deadline = undefined;
    const output =
      this.lastOutput === ''
        ? 'TTL expired'
        : `TTL expired (last output before timeout follows): ${this.lastOutput}`;
    return { status: 'critical', output };
  }
}
