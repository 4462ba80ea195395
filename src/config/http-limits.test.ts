import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadAgentConfig, parseAgentArgs } from './load';

function load(argv: string[]) {
  return loadAgentConfig(parseAgentArgs(argv), { hostname: 'test-host' }).config;
}

test('HTTP connection limits default to Consul 200 per client and a 30 s request read', () => {
  const config = load(['-dev']);
  assert.equal(config.limits.httpMaxConnsPerClient, 200);
  assert.equal(config.limits.httpReadTimeoutMs, 30_000);
  assert.equal(config.httpConfig.maxHeaderBytes, 0);
});

test('limits.http_max_conns_per_client, consulate.http_read_timeout and max_header_bytes are read from files', () => {
  const hcl = [
    'limits { http_max_conns_per_client = 7 }',
    'consulate { http_read_timeout = "1500ms" }',
    'http_config { max_header_bytes = 2048 }',
  ].join('\n');
  const config = load(['-dev', '-hcl', hcl]);
  assert.equal(config.limits.httpMaxConnsPerClient, 7);
  assert.equal(config.limits.httpReadTimeoutMs, 1500);
  assert.equal(config.httpConfig.maxHeaderBytes, 2048);
});

test('a negative consulate.http_read_timeout is refused naming the key', () => {
  assert.throws(
    () => load(['-dev', '-hcl', 'consulate { http_read_timeout = "-1s" }']),
    /consulate\.http_read_timeout/,
  );
});
