import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration';

test('parses Go duration strings into milliseconds', () => {
  assert.equal(parseDuration('300ms'), 300);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('1h5m'), 3_900_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('2h45m30s'), 9_930_000);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('-1s'), -1000);
  assert.equal(parseDuration('0'), 0);
});

test('rejects a bare number other than 0 as missing its unit', () => {
  assert.throws(() => parseDuration('10'), /missing unit in duration "10"/);
});

test('rejects unknown units and garbage', () => {
  assert.throws(() => parseDuration('10d'), /invalid duration "10d"/);
  assert.throws(() => parseDuration('abc'), /invalid duration "abc"/);
  assert.throws(() => parseDuration(''), /invalid duration ""/);
  assert.throws(() => parseDuration('1s5'), /invalid duration "1s5"|missing unit/);
});

test('formats durations the way Go prints them', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(60_000), '1m0s');
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(300), '300ms');
  assert.equal(formatDuration(3_900_000), '1h5m0s');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(parseDuration(formatDuration(9_930_000)), 9_930_000);
});
