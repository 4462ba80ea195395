import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentHttpClient, baseUrlFor, parseJsonKeepingUint64 } from './http-client';

async function recordingServer(): Promise<{
  address: string;
  seen: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}> {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('the agent address comes from -http-addr, else CONSUL_HTTP_ADDR, with or without a scheme', () => {
  assert.equal(baseUrlFor('127.0.0.1:8500'), 'http://127.0.0.1:8500');
  assert.equal(baseUrlFor('https://example.test:8501'), 'https://example.test:8501');
  assert.equal(baseUrlFor('10.0.0.1:8501', true), 'https://10.0.0.1:8501');
  const fromEnv = AgentHttpClient.fromFlags(new Map(), { CONSUL_HTTP_ADDR: 'http://10.1.1.1:9' });
  assert.equal(fromEnv.baseUrl, 'http://10.1.1.1:9');
  const fromFlag = AgentHttpClient.fromFlags(new Map([['http-addr', '10.2.2.2:7']]), {
    CONSUL_HTTP_ADDR: '10.1.1.1:9',
  });
  assert.equal(fromFlag.baseUrl, 'http://10.2.2.2:7');
  assert.equal(AgentHttpClient.fromFlags(new Map(), {}).baseUrl, 'http://127.0.0.1:8500');
  assert.throws(() => baseUrlFor('unix:///tmp/consul.sock'), /not supported yet/);
});

test('requests carry the token as X-Consul-Token, ?dc always and ?stale on reads', async (t) => {
  const server = await recordingServer();
  t.after(() => server.close());
  const client = AgentHttpClient.fromFlags(
    new Map<string, string | boolean>([
      ['datacenter', 'dc9'],
      ['stale', true],
    ]),
    { CONSUL_HTTP_ADDR: server.address, CONSUL_HTTP_TOKEN: 'secret-token' },
  );
  await client.request('GET', '/v1/kv/a', { read: true });
  await client.request('PUT', '/v1/kv/a', { body: 'x' });
  assert.equal(server.seen[0].headers['x-consul-token'], 'secret-token');
  assert.equal(server.seen[0].url, '/v1/kv/a?dc=dc9&stale=');
  assert.equal(server.seen[1].url, '/v1/kv/a?dc=dc9');
  const withFlagToken = AgentHttpClient.fromFlags(new Map([['token', 'from-flag']]), {
    CONSUL_HTTP_ADDR: server.address,
    CONSUL_HTTP_TOKEN: 'from-env',
  });
  await withFlagToken.request('GET', '/v1/agent/self');
  assert.equal(server.seen[2].headers['x-consul-token'], 'from-flag');
});

test('uint64 fields survive JSON parsing exactly', () => {
  const parsed = parseJsonKeepingUint64('[{"Key":"k","Flags":18446744073709551615}]', ['Flags']);
  assert.deepEqual(parsed, [{ Key: 'k', Flags: '18446744073709551615' }]);
});
