// The shape every socket runner shares: one outcome, whichever comes first of its own result,
// its timeout or the caller's cancellation, with its resources released exactly once.
import type { CheckResult } from './definition';

export interface SettleOptions {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The result when the timeout passes first. */
  timedOut: () => CheckResult;
  /** The result when the caller cancels first. */
  canceled: () => CheckResult;
}

/**
 * Runs `start(finish)`, which begins the work and returns its cleanup; the promise resolves with
 * the first result offered by the work, the timeout or the signal. Never rejects.
 */
export function settleOnce(
  options: SettleOptions,
  start: (finish: (result: CheckResult) => void) => () => void,
): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      resolve(result);
    };
    const onAbort = (): void => finish(options.canceled());
    const timer = setTimeout(() => finish(options.timedOut()), options.timeoutMs);
    if (options.signal?.aborted) return finish(options.canceled());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const release = start(finish);
    if (settled) release();
    else cleanup = release;
  });
}
