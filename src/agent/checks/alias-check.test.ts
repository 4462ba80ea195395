import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AliasCheck, aliasHealth, type AliasSource } from './alias-check';
import type { CheckResult } from './definition';

const web = { exists: true, description: 'Service web' };

test('an aliased target with no checks is passing', () => {
  assert.deepEqual(aliasHealth([], web), { status: 'passing', output: 'No checks found.' });
});

test('all passing checks make the alias passing', () => {
  const checks = [
    { name: 'a', status: 'passing' as const, output: '' },
    { name: 'b', status: 'passing' as const, output: '' },
  ];
  assert.deepEqual(aliasHealth(checks, web), { status: 'passing', output: 'All checks passing.' });
});

test('a warning is reported unless a critical check follows', () => {
  const checks = [
    { name: 'a', status: 'warning' as const, output: 'slow' },
    { name: 'b', status: 'passing' as const, output: '' },
  ];
  assert.deepEqual(aliasHealth(checks, web), {
    status: 'warning',
    output: 'Aliased check "a" failing: slow',
  });
  const withCritical = [...checks, { name: 'c', status: 'critical' as const, output: 'down' }];
  assert.deepEqual(aliasHealth(withCritical, web), {
    status: 'critical',
    output: 'Aliased check "c" failing: down',
  });
});

test('a target that does not exist is critical', () => {
  assert.deepEqual(aliasHealth([], { exists: false, description: 'Service web' }), {
    status: 'critical',
    output: 'Service web could not be found',
  });
});

test('an alias check pushes the current health at start and after each change, until stopped', () => {
  let current: CheckResult = { status: 'passing', output: 'ok' };
  let changed: (() => void) | undefined;
  const source: AliasSource = {
    read: () => current,
    subscribe: (onChange) => {
      changed = onChange;
      return () => (changed = undefined);
    },
  };
  const seen: CheckResult[] = [];
  const alias = new AliasCheck(source);
  alias.start((r) => seen.push(r));
  current = { status: 'critical', output: 'down' };
  changed?.();
  alias.stop();
  assert.equal(changed, undefined);
  assert.deepEqual(seen, [
    { status: 'passing', output: 'ok' },
    { status: 'critical', output: 'down' },
  ]);
});
