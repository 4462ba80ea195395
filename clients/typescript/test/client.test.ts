// The typed HTTP client against a real agent process: every method the agent serves, the
// request conventions (address, token, dc, consistency, TLS, timeout, abort) and typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Consul,
  ConsulError,
  ConsulRequestError,
  isAbortError,
  kvText,
  kvValue,
  parseConsulJson,
  stringifyConsulJson,
  type KVPair,
} from '../src';
import { parseAddress } from '../src/options';
import { startAgentWithClient, type AgentProcess } from './agent-process';
import { recordingProxy, selfSignedCertificate, silentPeer, tlsProxy } from './proxies';

const lockFlags = 0x2ddccbc058a50c18n;

let agent: AgentProcess;
let consul: Consul;

before(async () => ({ agent, consul } = await startAgentWithClient()));
after(() => agent.destroy());

describe('kv', () => {
  test('put then get returns the entry, its text and bytes, with the query meta', async () => {
    assert.equal(await consul.kv.put('kv/a', 'hello'), true);
    const { data, meta } = await consul.kv.get('kv/a');
    assert.ok(data);
    assert.equal(data.Key, 'kv/a');
    assert.equal(kvText(data), 'hello');
    assert.deepEqual(kvValue(data), Buffer.from('hello'));
    assert.equal(data.Flags, 0n);
    assert.equal(meta.index, data.ModifyIndex);
    assert.equal(meta.knownLeader, true);
    assert.equal(meta.lastContact, 0);
  });

  test('binary values round-trip and an empty value reads as null', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    await consul.kv.put('kv/bin', bytes);
    assert.deepEqual(kvValue((await consul.kv.get('kv/bin')).data), bytes);
    await consul.kv.put('kv/empty', '');
    const empty = (await consul.kv.get('kv/empty')).data;
    assert.equal(empty?.Value, null);
    assert.equal(kvText(empty), '');
  });

  test('a missing key is undefined and still carries an index to block on', async () => {
    const { data, meta } = await consul.kv.get('kv/missing');
    assert.equal(data, undefined);
    assert.ok(meta.index >= 1);
  });

  test('Flags above 2^53 round-trip exactly as bigint', async () => {
    await consul.kv.put('kv/flags', 'x', { flags: lockFlags });
    assert.equal((await consul.kv.get('kv/flags')).data?.Flags, lockFlags);
    await consul.kv.put('kv/flags', 'x', { flags: 2n ** 64n - 1n });
    assert.equal((await consul.kv.get('kv/flags')).data?.Flags, 2n ** 64n - 1n);
    const listed = (await consul.kv.list('kv/flags')).data;
    assert.equal(listed[0].Flags, 2n ** 64n - 1n);
  });

  test('list returns entries under a prefix sorted, and [] when there are none', async () => {
    await consul.kv.put('list/b', '2');
    await consul.kv.put('list/a', '1');
    await consul.kv.put('list/sub/c', '3');
    const { data } = await consul.kv.list('list/');
    assert.deepEqual(
      data.map((e) => e.Key),
      ['list/a', 'list/b', 'list/sub/c'],
    );
    assert.deepEqual((await consul.kv.list('nothing-here/')).data, []);
  });

  test('keys lists names, folded into folders with a separator', async () => {
    assert.deepEqual((await consul.kv.keys('list/')).data, ['list/a', 'list/b', 'list/sub/c']);
    assert.deepEqual((await consul.kv.keys('list/', { separator: '/' })).data, [
      'list/a',
      'list/b',
      'list/sub/',
    ]);
    assert.deepEqual((await consul.kv.keys('nothing-here/')).data, []);
  });

  test('cas writes only when the index matches (0: only when absent)', async () => {
    assert.equal(await consul.kv.put('cas/k', 'v1', { cas: 0 }), true);
    assert.equal(await consul.kv.put('cas/k', 'v2', { cas: 0 }), false);
    const index = (await consul.kv.get('cas/k')).data?.ModifyIndex ?? -1;
    assert.equal(await consul.kv.put('cas/k', 'v3', { cas: index + 1000 }), false);
    assert.equal(await consul.kv.put('cas/k', 'v3', { cas: index }), true);
    assert.equal(kvText((await consul.kv.get('cas/k')).data), 'v3');
  });

  test('acquire and release send the session; an unknown session is a ConsulError', async () => {
    const session = '2d4a1e5e-0000-4000-8000-000000000001';
    const error = await consul.kv.put('lock/k', 'x', { acquire: session }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsulError);
    assert.equal(error.status, 500);
    assert.equal(error.method, 'PUT');
    assert.match(error.path, /^\/v1\/kv\/lock\/k\?acquire=2d4a1e5e/);
    assert.match(error.body, /invalid session/);
    assert.equal(await consul.kv.put('lock/k', 'x', { release: session }), false);
  });

  test('delete removes a key, honours cas, and removes a prefix with recurse', async () => {
    await consul.kv.put('del/a', '1');
    await consul.kv.put('del/b', '2');
    await consul.kv.put('del/c/d', '3');
    assert.equal(await consul.kv.delete('del/a'), true);
    assert.equal((await consul.kv.get('del/a')).data, undefined);
    const b = (await consul.kv.get('del/b')).data as KVPair;
    assert.equal(await consul.kv.delete('del/b', { cas: b.ModifyIndex + 1000 }), false);
    assert.equal(await consul.kv.delete('del/b', { cas: b.ModifyIndex }), true);
    assert.equal(await consul.kv.delete('del/', { recurse: true }), true);
    assert.deepEqual((await consul.kv.list('del/')).data, []);
  });

  test('keys with spaces, unicode and reserved characters are encoded per segment', async () => {
    const key = 'odd/a b/ü?x=1#y&z%';
    await consul.kv.put(key, 'v');
    assert.equal((await consul.kv.get(key)).data?.Key, key);
    assert.deepEqual((await consul.kv.keys('odd/')).data, [key]);
  });

  test('a blocking get returns when the key changes', async () => {
    await consul.kv.put('block/k', 'v1');
    const { meta } = await consul.kv.get('block/k');
    const started = Date.now();
    const pending = consul.kv.get('block/k', { index: meta.index, wait: '10s' });
    setTimeout(() => void consul.kv.put('block/k', 'v2'), 200);
    const { data, meta: next } = await pending;
    assert.equal(kvText(data), 'v2');
    assert.ok(next.index > meta.index);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 5000, `returned after ${elapsed} ms`);
  });

  test('a blocking get without change returns after the wait with the same index', async () => {
    const { meta } = await consul.kv.get('block/k');
    const started = Date.now();
    const { meta: next } = await consul.kv.get('block/k', { index: meta.index, wait: 300 });
    assert.equal(next.index, meta.index);
    assert.ok(Date.now() - started >= 250);
  });

  test('an empty key is rejected by the agent as a ConsulError with status and body', async () => {
    const error = await consul.kv.get('').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsulError);
    assert.equal(error.status, 400);
    assert.equal(error.method, 'GET');
    assert.equal(error.path, '/v1/kv/');
    assert.match(error.body, /Missing key name/);
  });
});

describe('txn', () => {
  test('a successful transaction returns results in order', async () => {
    const result = await consul.txn([
      { KV: { Verb: 'set', Key: 'txn/a', Value: Buffer.from('1'), Flags: lockFlags } },
      { KV: { Verb: 'set', Key: 'txn/b', Value: Buffer.from('2').toString('base64') } },
      { KV: { Verb: 'get', Key: 'txn/a' } },
    ]);
    assert.equal(result.ok, true);
    assert.deepEqual(result.errors, []);
    assert.equal(result.results.length, 3);
    const got = result.results[2];
    assert.ok('KV' in got);
    assert.equal(kvText(got.KV), '1');
    assert.equal(got.KV.Flags, lockFlags);
  });

  test('a failing operation rolls back and reports which op failed', async () => {
    const result = await consul.txn([
      { KV: { Verb: 'set', Key: 'txn/c', Value: Buffer.from('3') } },
      { KV: { Verb: 'cas', Key: 'txn/a', Value: Buffer.from('x'), Index: 999_999 } },
    ]);
    assert.equal(result.ok, false);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].OpIndex, 1);
    assert.match(result.errors[0].What, /index is stale/);
    assert.equal((await consul.kv.get('txn/c')).data, undefined);
  });

  test('a read-only transaction can be stale', async () => {
    const result = await consul.txn([{ KV: { Verb: 'get-tree', Key: 'txn/' } }], {
      consistency: 'stale',
    });
    assert.equal(result.ok, true);
    assert.equal(result.results.length, 2);
  });
});

describe('status, agent, catalog', () => {
  test('status leader and peers name the raft server', async () => {
    const leader = await consul.status.leader();
    assert.match(leader, /^[\d.]+:\d+$/);
    assert.deepEqual(await consul.status.peers(), [leader]);
  });

  test('agent self describes this agent', async () => {
    const self = await consul.agent.self();
    assert.equal(self.Config.Datacenter, 'dc1');
    assert.equal(self.Config.Server, true);
    assert.equal(typeof self.Config.NodeName, 'string');
  });

  test('catalog datacenters lists dc1', async () => {
    assert.deepEqual(await consul.catalog.datacenters(), ['dc1']);
  });
});

describe('request conventions', () => {
  test('address and token come from CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN', async () => {
    const proxy = await recordingProxy(agent.port);
    const client = new Consul({
      env: { CONSUL_HTTP_ADDR: `http://${proxy.address}`, CONSUL_HTTP_TOKEN: 'env-token' },
    });
    try {
      await client.kv.get('conv/x');
      assert.match(proxy.received(), /^GET \/v1\/kv\/conv\/x HTTP\/1\.1\r\n/);
      assert.match(proxy.received(), /\r\nX-Consul-Token: env-token\r\n/i);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test('options override the environment; dc and consistency go on the query string', async () => {
    const proxy = await recordingProxy(agent.port);
    const client = new Consul({
      address: proxy.address,
      token: 'opt-token',
      datacenter: 'dc1',
      consistency: 'stale',
      env: { CONSUL_HTTP_ADDR: '10.255.255.1:1', CONSUL_HTTP_TOKEN: 'env-token' },
    });
    try {
      const { meta } = await client.kv.get('conv/x');
      await client.kv.get('conv/x', { consistency: 'consistent', token: 'call-token' });
      assert.ok(meta.index >= 1);
      const sent = proxy.received();
      assert.match(sent, /GET \/v1\/kv\/conv\/x\?stale&dc=dc1 HTTP/);
      assert.match(sent, /GET \/v1\/kv\/conv\/x\?consistent&dc=dc1 HTTP/);
      assert.match(sent, /X-Consul-Token: opt-token/i);
      assert.match(sent, /X-Consul-Token: call-token/i);
      assert.doesNotMatch(sent, /env-token/);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test('blocking reads send index and wait in milliseconds', async () => {
    const proxy = await recordingProxy(agent.port);
    const client = new Consul({ address: proxy.address });
    try {
      const { meta } = await client.kv.get('conv/x');
      await client.kv.get('conv/x', { index: meta.index, wait: '250ms', filter: 'Key == "x"' });
      assert.match(
        proxy.received(),
        new RegExp(
          `GET /v1/kv/conv/x\\?index=${meta.index}&wait=250ms&filter=Key%20%3D%3D%20%22x%22 `,
        ),
      );
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test('addresses parse with or without scheme and default to 8500/8501', () => {
    assert.deepEqual(parseAddress('10.0.0.1:9'), { protocol: 'http:', host: '10.0.0.1', port: 9 });
    assert.deepEqual(parseAddress('https://consul.local'), {
      protocol: 'https:',
      host: 'consul.local',
      port: 8501,
    });
    assert.deepEqual(parseAddress('http://[::1]:8500'), {
      protocol: 'http:',
      host: '::1',
      port: 8500,
    });
    assert.throws(
      () => parseAddress('unix:///tmp/consul.sock'),
      /unsupported agent address scheme/,
    );
  });

  test('a request to an agent that never answers times out with ConsulRequestError', async () => {
    const peer = await silentPeer();
    const client = new Consul({ address: peer.address, timeoutMs: 200 });
    try {
      const started = Date.now();
      const error = await client.status.leader().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConsulRequestError);
      assert.equal(error.timedOut, true);
      assert.equal(error.path, '/v1/status/leader');
      assert.ok(Date.now() - started < 2000);
    } finally {
      client.close();
      await peer.close();
    }
  });

  test('an unreachable agent gives ConsulRequestError with the connect error', async () => {
    const client = new Consul({ address: '127.0.0.1:1', timeoutMs: 2000 });
    const error = await client.status.leader().then(
      () => undefined,
      (e: unknown) => e,
    );
    client.close();
    assert.ok(error instanceof ConsulRequestError);
    assert.equal(error.timedOut, false);
    assert.match(error.message, /ECONNREFUSED/);
  });

  test('aborting a blocking read rejects it with an AbortError at once', async () => {
    const { meta } = await consul.kv.get('conv/x');
    const controller = new AbortController();
    const started = Date.now();
    const pending = consul.kv.get('conv/x', {
      index: meta.index,
      wait: '30s',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isAbortError(error), String(error));
    assert.ok(Date.now() - started < 2000);
  });

  test('TLS: the agent is trusted through `ca`, untrusted without it', async () => {
    const material = selfSignedCertificate();
    const proxy = await tlsProxy(agent.port, material);
    const trusting = new Consul({
      address: `https://${proxy.address}`,
      tls: { ca: material.cert },
    });
    const defaultTrust = new Consul({ address: `https://${proxy.address}`, env: {} });
    const insecure = new Consul({
      address: `https://${proxy.address}`,
      tls: { rejectUnauthorized: false },
    });
    try {
      assert.deepEqual(await trusting.catalog.datacenters(), ['dc1']);
      assert.deepEqual(await insecure.catalog.datacenters(), ['dc1']);
      const error = await defaultTrust.catalog.datacenters().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConsulRequestError);
      assert.match(error.message, /self[- ]signed|certificate/i);
    } finally {
      for (const client of [trusting, defaultTrust, insecure]) client.close();
      await proxy.close();
    }
  });

  test('TLS: a client certificate is presented when the agent demands one', async () => {
    const material = selfSignedCertificate();
    const proxy = await tlsProxy(agent.port, material, material.cert);
    const withCert = new Consul({
      address: `https://${proxy.address}`,
      tls: { ca: material.cert, cert: material.cert, key: material.key },
    });
    const without = new Consul({ address: `https://${proxy.address}`, tls: { ca: material.cert } });
    try {
      assert.deepEqual(await withCert.catalog.datacenters(), ['dc1']);
      await assert.rejects(without.catalog.datacenters(), ConsulRequestError);
    } finally {
      withCert.close();
      without.close();
      await proxy.close();
    }
  });
});

describe('uint64 JSON', () => {
  test('Flags parse exactly, inside strings nothing changes, and bigints write back bare', () => {
    const text =
      '[{"Key":"a\\"Flags\\":1","Flags":18446744073709551615,"Value":null,"Meta":{"Flags":"7"}}]';
    const parsed = parseConsulJson(text) as [{ Key: string; Flags: bigint; Meta: object }];
    assert.equal(parsed[0].Flags, 18446744073709551615n);
    assert.equal(parsed[0].Key, 'a"Flags":1');
    assert.deepEqual(parsed[0].Meta, { Flags: '7' });
    assert.equal(
      stringifyConsulJson({ Flags: 18446744073709551615n, S: 'x' }),
      '{"Flags":18446744073709551615,"S":"x"}',
    );
  });
});
