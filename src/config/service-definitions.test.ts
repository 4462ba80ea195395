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

function loadWithWarnings(files: Record<string, string>): ReturnType<typeof loadAgentConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-defs-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return loadAgentConfig(parseAgentArgs(['-dev', '-config-dir', dir]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a service ID defined in two files keeps the later definition and names both files', () => {
  const { config, warnings } = loadWithWarnings({
    'a-web.json': JSON.stringify({ service: { name: 'web', port: 80, tags: ['old'] } }),
    'b-web.hcl': 'service {\n  name = "web"\n  port = 8080\n  tags = ["new"]\n}\n',
  });
  assert.equal(config.serviceDefinitions.length, 1);
  const [web] = config.serviceDefinitions;
  assert.equal(web.admitted.service.port, 8080);
  assert.deepEqual(web.admitted.service.tags, ['new']);
  assert.ok(web.source.endsWith('b-web.hcl'));
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /^service ID "web" is defined twice: in \S+a-web\.json \(services\[0\]\) and in \S+b-web\.hcl \(services\[0\]\); the later definition replaces the earlier one$/,
  );
});

test('the earlier definition keeps the checks the later one does not redefine, as in Consul', () => {
  const { config, warnings } = loadWithWarnings({
    'a.json': JSON.stringify({
      service: {
        name: 'api',
        checks: [
          { id: 'api-ttl', ttl: '30s' },
          { id: 'api-shared', ttl: '10s' },
        ],
      },
    }),
    'b.json': JSON.stringify({
      service: { name: 'api', port: 9, checks: [{ id: 'api-shared', ttl: '20s' }] },
    }),
  });
  const checks = config.serviceDefinitions[0].admitted.checks.map((c) => [
    c.definition.id,
    c.definition.ttl,
  ]);
  assert.deepEqual(checks, [
    ['api-shared', 20_000],
    ['api-ttl', 30_000],
  ]);
  assert.match(warnings[0], /the checks "api-ttl" of the earlier definition stay, as in Consul$/);
});

test('two definitions of one service ID in the same file are named by their positions', () => {
  const { config, warnings } = loadWithWarnings({
    'both.json': JSON.stringify({
      services: [
        { name: 'db', id: 'db-1', port: 1 },
        { name: 'db', id: 'db-1', port: 2 },
      ],
    }),
  });
  assert.equal(config.serviceDefinitions[0].admitted.service.port, 2);
  assert.match(warnings[0], /both\.json \(services\[0\]\) and in \S+both\.json \(services\[1\]\)/);
});

test('a check ID defined in two files keeps the later check and names both files', () => {
  const { config, warnings } = loadWithWarnings({
    '1.hcl': 'check {\n  name = "disk"\n  ttl = "1m"\n}\n',
    '2.hcl': 'check {\n  name = "disk"\n  ttl = "2m"\n}\n',
  });
  assert.equal(config.checkDefinitions.length, 1);
  assert.equal(config.checkDefinitions[0].admitted.definition.ttl, 120_000);
  assert.match(
    warnings[0],
    /^check ID "disk" is defined twice: in \S+1\.hcl \(checks\[0\]\) and in \S+2\.hcl/,
  );
});
