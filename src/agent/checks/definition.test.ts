import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyCheck,
  scriptChecksPolicy,
  validateCheckDefinition,
  type CheckDefinition,
} from './definition';

const base = { id: 'c1', name: 'c1' };

function errorOf(def: CheckDefinition, options = {}): string {
  const result = validateCheckDefinition(def, options);
  assert.equal(result.ok, false, 'expected the definition to be rejected');
  return result.ok ? '' : result.error;
}

test('each kind of definition is classified by the field that names its runner', () => {
  assert.equal(classifyCheck({ ...base, http: 'http://x/', interval: 1000 }), 'http');
  assert.equal(classifyCheck({ ...base, tcp: 'x:1', interval: 1000 }), 'tcp');
  assert.equal(classifyCheck({ ...base, udp: 'x:1', interval: 1000 }), 'udp');
  assert.equal(classifyCheck({ ...base, grpc: 'x:1/svc', interval: 1000 }), 'grpc');
  assert.equal(classifyCheck({ ...base, args: ['/bin/true'], interval: 1000 }), 'script');
  assert.equal(classifyCheck({ ...base, ttl: 5000 }), 'ttl');
  assert.equal(classifyCheck({ ...base, aliasService: 'web' }), 'alias');
  assert.equal(classifyCheck({ ...base, aliasNode: 'n1' }), 'alias');
  assert.equal(classifyCheck(base), undefined);
});

test('gRPC takes precedence over HTTP, and HTTP over TTL, as in Consul', () => {
  assert.equal(classifyCheck({ ...base, grpc: 'x:1', http: 'http://x/' }), 'grpc');
  assert.equal(classifyCheck({ ...base, http: 'http://x/', ttl: 1000 }), 'http');
});

test('interval and TTL together are rejected', () => {
  assert.equal(
    errorOf({ ...base, ttl: 1000, interval: 1000 }),
    'Invalid check: Interval and TTL cannot both be specified',
  );
});

test('an interval check without an interval is rejected', () => {
  for (const def of [
    { ...base, http: 'http://x/' },
    { ...base, tcp: 'x:1' },
    { ...base, udp: 'x:1' },
    { ...base, grpc: 'x:1' },
  ]) {
    assert.equal(
      errorOf(def),
      'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks',
    );
  }
});

test('a check naming no runner needs a TTL', () => {
  assert.equal(errorOf(base), 'Invalid check: TTL must be > 0 for TTL checks');
  assert.equal(errorOf({ ...base, ttl: -1 }), 'Invalid check: TTL must be > 0 for TTL checks');
});

test('alias checks take neither an interval runner nor a TTL', () => {
  assert.equal(
    errorOf({ ...base, aliasService: 'web', tcp: 'x:1', interval: 1000 }),
    'Invalid check: Interval cannot be set for Alias checks',
  );
  assert.equal(
    errorOf({ ...base, aliasService: 'web', ttl: 1000 }),
    'Invalid check: TTL must be not be set for Alias checks',
  );
  const ok = validateCheckDefinition({ ...base, aliasService: 'web' });
  assert.ok(ok.ok && ok.type === 'alias');
});

test('a negative output size is rejected', () => {
  assert.equal(
    errorOf({ ...base, ttl: 1000, outputMaxSize: -1 }),
    'Invalid check: MaxOutputMaxSize must be positive',
  );
});

test('intervals under one second are raised to one second with a warning', () => {
  const result = validateCheckDefinition({ ...base, tcp: 'x:1', interval: 10 });
  assert.ok(result.ok);
  assert.equal(result.check.interval, 1000);
  assert.equal(result.warnings.length, 1);
  const untouched = validateCheckDefinition({ ...base, tcp: 'x:1', interval: 2500 });
  assert.ok(untouched.ok);
  assert.equal(untouched.check.interval, 2500);
  assert.deepEqual(untouched.warnings, []);
});

test('the output size defaults to 4096 bytes', () => {
  const result = validateCheckDefinition({ ...base, ttl: 1000 });
  assert.ok(result.ok);
  assert.equal(result.check.outputMaxSize, 4096);
});

test('script checks are refused unless the policy allows their source', () => {
  const script = { ...base, args: ['/bin/true'], interval: 1000 };
  assert.equal(
    errorOf(script),
    "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
  );
  const localOnly = scriptChecksPolicy({
    enableScriptChecks: false,
    enableLocalScriptChecks: true,
  });
  assert.equal(
    errorOf(script, { source: 'api', scriptChecksAllowed: localOnly }),
    "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
  );
  assert.ok(
    validateCheckDefinition(script, { source: 'config', scriptChecksAllowed: localOnly }).ok,
  );
  const none = scriptChecksPolicy({ enableScriptChecks: false, enableLocalScriptChecks: false });
  assert.equal(
    errorOf(script, { source: 'config', scriptChecksAllowed: none }),
    "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true",
  );
  const all = scriptChecksPolicy({ enableScriptChecks: true, enableLocalScriptChecks: false });
  assert.ok(validateCheckDefinition(script, { source: 'api', scriptChecksAllowed: all }).ok);
  assert.ok(validateCheckDefinition(script, { source: 'config', scriptChecksAllowed: all }).ok);
});
