import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResult, CheckStatus } from './definition';
import { StatusHandler, type StatusThresholds } from './status-handler';

/** Feeds raw statuses and returns what is reported after each ('-' = held back). */
function feed(thresholds: StatusThresholds, statuses: CheckStatus[]): string[] {
  const handler = new StatusHandler(thresholds);
  return statuses.map((status) => {
    const reported: CheckResult | undefined = handler.apply({ status, output: status });
    return reported === undefined ? '-' : reported.status;
  });
}

test('without thresholds every result is reported as is', () => {
  assert.deepEqual(feed({}, ['passing', 'critical', 'warning', 'passing']), [
    'passing',
    'critical',
    'warning',
    'passing',
  ]);
});

test('the first result after start is reported at once, whatever the thresholds', () => {
  assert.deepEqual(feed({ successBeforePassing: 3 }, ['passing']), ['passing']);
  assert.deepEqual(feed({ failuresBeforeCritical: 3 }, ['critical']), ['critical']);
});

test('success_before_passing holds a recovery back until that many consecutive successes', () => {
  assert.deepEqual(
    feed({ successBeforePassing: 3 }, ['critical', 'passing', 'passing', 'passing', 'passing']),
    ['critical', '-', '-', 'passing', 'passing'],
  );
});

test('a failure resets the success count', () => {
  assert.deepEqual(
    feed({ successBeforePassing: 2 }, ['critical', 'passing', 'critical', 'passing', 'passing']),
    ['critical', '-', 'critical', '-', 'passing'],
  );
});

test('warning results count as successes', () => {
  assert.deepEqual(feed({ successBeforePassing: 2 }, ['critical', 'warning', 'warning']), [
    'critical',
    '-',
    'warning',
  ]);
});

test('failures_before_critical holds a failure back until that many consecutive failures', () => {
  assert.deepEqual(
    feed({ failuresBeforeCritical: 3 }, ['passing', 'critical', 'critical', 'critical']),
    ['passing', '-', '-', 'critical'],
  );
});

test('failures_before_warning reports warning on the way to critical', () => {
  assert.deepEqual(
    feed({ failuresBeforeWarning: 1, failuresBeforeCritical: 3 }, [
      'passing',
      'critical',
      'critical',
      'critical',
      'passing',
    ]),
    ['passing', 'warning', 'warning', 'critical', 'passing'],
  );
});

test('a success resets the failure count', () => {
  assert.deepEqual(
    feed({ failuresBeforeCritical: 2 }, ['passing', 'critical', 'passing', 'critical', 'critical']),
    ['passing', '-', 'passing', '-', 'critical'],
  );
});

test('a warning verdict keeps the failing output', () => {
  const handler = new StatusHandler({ failuresBeforeWarning: 1, failuresBeforeCritical: 5 });
  handler.apply({ status: 'passing', output: 'ok' });
  assert.deepEqual(handler.apply({ status: 'critical', output: 'boom' }), {
    status: 'warning',
    output: 'boom',
  });
});
