// packaging/examples/*.hcl are loaded by the agent's real configuration loader: a key it does not
// know or a setting it refuses (src/config/unavailable.ts) fails this test.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadAgentConfig, parseAgentArgs } from '../../src/config';

const EXAMPLES = join(__dirname, '..', '..', '..', 'packaging', 'examples');

function load(file: string): ReturnType<typeof loadAgentConfig>['config'] {
  return loadAgentConfig(parseAgentArgs([`-config-file=${join(EXAMPLES, file)}`]), {
    hostname: 'examples-test',
  }).config;
}

test('every example configuration is accepted by the loader', () => {
  const files = readdirSync(EXAMPLES).filter((name) => /\.(hcl|json)$/.test(name));
  assert.ok(files.includes('server.hcl') && files.includes('client.hcl'), files.join(', '));
  for (const file of files) {
    assert.doesNotThrow(() => load(file), `${file} is refused`);
  }
});

test('server.hcl is a 3-server bootstrap with ACLs deny-by-default and Prometheus metrics', () => {
  const config = load('server.hcl');
  assert.equal(config.server, true);
  assert.equal(config.bootstrapExpect, 3);
  assert.equal(config.retryJoin.length, 3);
  assert.equal(config.acl.enabled, true);
  assert.equal(config.acl.defaultPolicy, 'deny');
  assert.equal(config.telemetry.prometheusRetentionMs, 60_000);
});

test('client.hcl is a client agent joining the servers, with ACLs, telemetry and a service', () => {
  const config = load('client.hcl');
  assert.equal(config.server, false);
  assert.deepEqual(config.retryJoin, ['10.0.0.11', '10.0.0.12', '10.0.0.13']);
  assert.equal(config.acl.enabled, true);
  assert.equal(config.telemetry.disableHostname, true);
  assert.deepEqual(
    config.services.map((service) => service.name),
    ['web'],
  );
});
