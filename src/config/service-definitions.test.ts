import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, parseAgentArgs } from './index';

function load(
  files: Record<string, string>,
  extra: string[] = [],
): ReturnType<typeof loadAgentConfig>['config'] {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-defs-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return loadAgentConfig(parseAgentArgs(['-dev', '-config-dir', dir, ...extra])).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('services and checks from HCL and JSON files are validated and carry their file', () => {
  const config = load({
    'a.hcl':
      'service {\n  name = "web"\n  port = 80\n  meta { version = "1" }\n  weights { passing = 10\n warning = 1 }\n  check { http = "http://localhost/", interval = "10s" }\n}\n',
    'b.json': JSON.stringify({
      services: [{ Name: 'api', ID: 'api-1', Checks: [{ TTL: '30s' }] }],
      check: { name: 'disk', ttl: '1m' },
    }),
  });
  assert.deepEqual(
    config.serviceDefinitions.map((s) => [s.admitted.service.id, s.source.endsWith('.hcl')]),
    [
      ['web', true],
      ['api-1', false],
    ],
  );
  assert.deepEqual(config.serviceDefinitions[0].admitted.service.weights, {
    passing: 10,
    warning: 1,
  });
  assert.equal(config.serviceDefinitions[0].admitted.checks[0].definition.id, 'service:web');
  assert.equal(config.checkDefinitions[0].admitted.definition.id, 'disk');
});

test('a bad definition fails the load naming the file, the key path and the value', () => {
  assert.throws(
    () => load({ 'x.json': JSON.stringify({ service: { name: 'x', port: 'eighty' } }) }),
    /x\.json: services\[0\]\.port: invalid value "eighty"/,
  );
  assert.throws(
    () => load({ 'x.hcl': 'service {\n name = "x"\n chek { ttl = "1s" }\n}\n' }),
    /x\.hcl: invalid config key services\[0\]\.chek/,
  );
  assert.throws(
    () => load({ 'x.json': JSON.stringify({ service: { name: 'x', meta: { 'consul-a': 'b' } } }) }),
    /x\.json: services\[0\] \(name "x"\): Invalid Service Meta/,
  );
  assert.throws(
    () => load({ 'x.json': JSON.stringify({ check: { name: 'c', interval: '10s', ttl: '5s' } }) }),
    /checks\[0\] \(name "c"\): Invalid check: Interval and TTL cannot both be specified/,
  );
});

test('script checks from files need enable_local_script_checks or enable_script_checks', () => {
  const files = {
    's.json': JSON.stringify({ check: { name: 's', args: ['true'], interval: '10s' } }),
  };
  assert.throws(() => load(files), /Scripts are disabled on this agent/);
  assert.equal(load(files, ['-enable-local-script-checks']).checkDefinitions.length, 1);
});
