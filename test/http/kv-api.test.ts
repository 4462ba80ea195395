// /v1/kv over real HTTP against a real dev agent: every parameter and every error Consul has.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(async () => {
  await t.stop();
});

function json(result: HttpResult): unknown {
  assert.equal(result.headers['content-type'], 'application/json');
  return JSON.parse(result.text);
}

async function put(path: string, body = '', headers?: Record<string, string>): Promise<HttpResult> {
  return t.request('PUT', path, { body, headers });
}

interface Entry {
  LockIndex: number;
  Key: string;
  Flags: number;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  Session?: string;
}

async function getEntry(key: string): Promise<Entry> {
  const result = await t.request('GET', `/v1/kv/${key}`);
  assert.equal(result.status, 200, result.text);
  const entries = json(result) as Entry[];
  assert.equal(entries.length, 1);
  return entries[0];
}

describe('GET /v1/kv/<key>', () => {
  it('returns a one-element array in Consul field order with a base64 value', async () => {
    assert.equal((await put('/v1/kv/get/one', 'hello')).text.trim(), 'true');
    const result = await t.request('GET', '/v1/kv/get/one');
    assert.equal(result.status, 200);
    const [entry] = json(result) as Entry[];
    assert.deepEqual(Object.keys(entry), [
      'LockIndex',
      'Key',
      'Flags',
      'Value',
      'CreateIndex',
      'ModifyIndex',
    ]);
    assert.equal(entry.Key, 'get/one');
    assert.equal(Buffer.from(entry.Value as string, 'base64').toString(), 'hello');
    assert.equal(entry.Flags, 0);
    assert.equal(entry.LockIndex, 0);
    assert.equal(entry.CreateIndex, entry.ModifyIndex);
    assert.equal(result.headers['x-consul-index'], String(entry.ModifyIndex));
    assert.equal(result.headers['x-consul-knownleader'], 'true');
    assert.equal(result.headers['x-consul-lastcontact'], '0');
    assert.equal(result.headers['x-consul-effective-consistency'], 'leader');
  });

  it('returns Value null for an empty value', async () => {
    await put('/v1/kv/get/empty', '');
    assert.equal((await getEntry('get/empty')).Value, null);
  });

  it('answers a missing key with 404, an empty body and index headers', async () => {
    const result = await t.request('GET', '/v1/kv/get/missing');
    assert.equal(result.status, 404);
    assert.equal(result.text, '');
    assert.ok(Number(result.headers['x-consul-index']) >= 1);
    assert.equal(result.headers['x-consul-knownleader'], 'true');
    assert.equal(result.headers['x-consul-lastcontact'], '0');
  });

  it('reports the index of the key itself, not of later writes elsewhere', async () => {
    await put('/v1/kv/get/stable', 'x');
    const first = await getEntry('get/stable');
    await put('/v1/kv/get/other', 'y');
    const result = await t.request('GET', '/v1/kv/get/stable');
    assert.equal(result.headers['x-consul-index'], String(first.ModifyIndex));
  });

  it('returns raw bytes with ?raw, as text/plain with nosniff and sandbox', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13]);
    await t.request('PUT', '/v1/kv/get/raw', { body: bytes });
    const result = await t.request('GET', '/v1/kv/get/raw?raw');
    assert.equal(result.status, 200);
    assert.deepEqual(result.raw, bytes);
    assert.equal(result.headers['content-type'], 'text/plain');
    assert.equal(result.headers['x-content-type-options'], 'nosniff');
    assert.equal(result.headers['content-security-policy'], 'sandbox');
    assert.ok(result.headers['x-consul-index']);
  });

  it('answers ?raw on a missing key with 404', async () => {
    assert.equal((await t.request('GET', '/v1/kv/get/nothing?raw')).status, 404);
  });

  it('refuses an empty key without ?recurse or ?keys', async () => {
    const result = await t.request('GET', '/v1/kv/');
    assert.equal(result.status, 400);
    assert.equal(result.text, 'Missing key name');
    assert.equal(result.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('treats query flags as present whatever their value (?recurse=false recurses)', async () => {
    await put('/v1/kv/flag/a', '1');
    await put('/v1/kv/flag/b', '2');
    const result = await t.request('GET', '/v1/kv/flag/?recurse=false');
    assert.equal(result.status, 200);
    assert.equal((json(result) as Entry[]).length, 2);
  });

  it('escapes <, > and & in keys as Go does', async () => {
    await put('/v1/kv/html%3Ca%3E%26b', 'v');
    const result = await t.request('GET', '/v1/kv/html%3Ca%3E%26b');
    assert.ok(result.text.includes('"html\\u003ca\\u003e\\u0026b"'), result.text);
    assert.equal((JSON.parse(result.text) as Entry[])[0].Key, 'html<a>&b');
  });

  it('decodes the key from the path (%2F, spaces, unicode) and accepts long keys', async () => {
    await put('/v1/kv/path%2Fwith%20space/%C3%A9t%C3%A9', 'v');
    assert.equal((await getEntry('path/with%20space/%C3%A9t%C3%A9')).Key, 'path/with space/été');
    const long = 'long/' + 'k'.repeat(1000);
    await put(`/v1/kv/${long}`, 'v');
    assert.equal((await getEntry(long)).Key, long);
  });

  it('refuses unprintable characters in the path with 400', async () => {
    assert.equal((await t.request('GET', '/v1/kv/bad%01key')).status, 400);
    assert.equal((await t.request('PUT', '/v1/kv/bad%7Fkey', { body: 'x' })).status, 400);
  });
});

describe('GET /v1/kv/<prefix>?recurse', () => {
  it('lists every key with the plain string prefix, sorted', async () => {
    await put('/v1/kv/rec/foo', 'a');
    await put('/v1/kv/rec/food', 'b');
    await put('/v1/kv/rec/foo/bar', 'c');
    await put('/v1/kv/rec/fo', 'd');
    const result = await t.request('GET', '/v1/kv/rec/foo?recurse');
    const keys = (json(result) as Entry[]).map((entry) => entry.Key);
    assert.deepEqual(keys, ['rec/foo', 'rec/foo/bar', 'rec/food']);
    const maxIndex = Math.max(...(json(result) as Entry[]).map((entry) => entry.ModifyIndex));
    assert.equal(result.headers['x-consul-index'], String(maxIndex));
  });

  it('answers a prefix with no keys with 404 (not [])', async () => {
    const result = await t.request('GET', '/v1/kv/rec/none/?recurse');
    assert.equal(result.status, 404);
    assert.equal(result.text, '');
    assert.ok(result.headers['x-consul-index']);
  });

  it('ignores ?raw together with ?recurse', async () => {
    const result = await t.request('GET', '/v1/kv/rec/foo?recurse&raw');
    assert.equal(result.headers['content-type'], 'application/json');
  });
});

describe('GET /v1/kv/<prefix>?keys', () => {
  before(async () => {
    for (const key of ['web/bar', 'web/foo', 'web/subdir/x', 'web/subdir/y', 'webby']) {
      await put(`/v1/kv/keys/${key}`, 'v');
    }
  });

  it('lists keys under the prefix', async () => {
    const result = await t.request('GET', '/v1/kv/keys/web/?keys');
    assert.deepEqual(json(result), [
      'keys/web/bar',
      'keys/web/foo',
      'keys/web/subdir/x',
      'keys/web/subdir/y',
    ]);
  });

  it('cuts keys after the separator and drops repeats', async () => {
    const result = await t.request('GET', '/v1/kv/keys/web/?keys&separator=/');
    assert.deepEqual(json(result), ['keys/web/bar', 'keys/web/foo', 'keys/web/subdir/']);
  });

  it('accepts the historic misspelling ?seperator', async () => {
    const result = await t.request('GET', '/v1/kv/keys/?keys&seperator=/');
    assert.deepEqual(json(result), ['keys/web/', 'keys/webby']);
  });

  it('treats an empty separator as none', async () => {
    const result = await t.request('GET', '/v1/kv/keys/webby?keys&separator=');
    assert.deepEqual(json(result), ['keys/webby']);
  });

  it('answers an empty non-root prefix with 404', async () => {
    assert.equal((await t.request('GET', '/v1/kv/keys/nothing?keys')).status, 404);
  });
});

describe('PUT /v1/kv/<key>', () => {
  it('stores the body as is, whatever the Content-Type', async () => {
    await put('/v1/kv/put/json', '{not json', { 'content-type': 'application/json' });
    await put('/v1/kv/put/form', 'a=b&c', { 'content-type': 'application/x-www-form-urlencoded' });
    await put('/v1/kv/put/none', 'plain');
    assert.equal((await t.request('GET', '/v1/kv/put/json?raw')).text, '{not json');
    assert.equal((await t.request('GET', '/v1/kv/put/form?raw')).text, 'a=b&c');
    assert.equal((await t.request('GET', '/v1/kv/put/none?raw')).text, 'plain');
  });

  it('refuses an empty key', async () => {
    const result = await put('/v1/kv/', 'x');
    assert.equal(result.status, 400);
    assert.equal(result.text, 'Missing key name');
  });

  it('round-trips uint64 Flags above 2^53 exactly', async () => {
    for (const flags of ['3304740253564472344', '18446744073709551615', '9007199254740993']) {
      await put(`/v1/kv/put/flags?flags=${flags}`, 'v');
      const result = await t.request('GET', '/v1/kv/put/flags');
      assert.match(result.text, new RegExp(`"Flags": ${flags},`));
    }
    assert.equal(0x2ddccbc058a50c18n.toString(), '3304740253564472344');
  });

  it('resets Flags to 0 on a PUT without ?flags', async () => {
    await put('/v1/kv/put/reset?flags=42', 'v');
    assert.equal((await getEntry('put/reset')).Flags, 42);
    await put('/v1/kv/put/reset', 'v');
    assert.equal((await getEntry('put/reset')).Flags, 0);
  });

  it('answers bad ?flags with strconv errors and status 500', async () => {
    const bad = await put('/v1/kv/put/bad?flags=abc', 'v');
    assert.equal(bad.status, 500);
    assert.equal(bad.text, 'strconv.ParseUint: parsing "abc": invalid syntax');
    const big = await put('/v1/kv/put/bad?flags=18446744073709551616', 'v');
    assert.equal(big.status, 500);
    assert.equal(big.text, 'strconv.ParseUint: parsing "18446744073709551616": value out of range');
    assert.equal((await put('/v1/kv/put/bad?flags=-1', 'v')).status, 500);
    assert.equal(
      (await put('/v1/kv/put/bad?flags', 'v')).text,
      'strconv.ParseUint: parsing "": invalid syntax',
    );
    assert.equal((await t.request('GET', '/v1/kv/put/bad')).status, 404);
  });

  it('with ?cas=0 writes only when the key is absent', async () => {
    assert.equal((await put('/v1/kv/cas/new?cas=0', 'first')).text.trim(), 'true');
    assert.equal((await put('/v1/kv/cas/new?cas=0', 'second')).text.trim(), 'false');
    assert.equal((await t.request('GET', '/v1/kv/cas/new?raw')).text, 'first');
  });

  it('with ?cas=N writes only when ModifyIndex is N', async () => {
    await put('/v1/kv/cas/idx', 'a');
    const { ModifyIndex } = await getEntry('cas/idx');
    assert.equal((await put(`/v1/kv/cas/idx?cas=${ModifyIndex + 1000}`, 'b')).text.trim(), 'false');
    assert.equal((await put(`/v1/kv/cas/idx?cas=${ModifyIndex}`, 'c')).text.trim(), 'true');
    assert.equal((await t.request('GET', '/v1/kv/cas/idx?raw')).text, 'c');
    const bad = await put('/v1/kv/cas/idx?cas=x', 'd');
    assert.equal(bad.status, 500);
    assert.equal(bad.text, 'strconv.ParseUint: parsing "x": invalid syntax');
  });

  it('answers ?acquire with an unknown session as Consul does (500 invalid session)', async () => {
    const result = await put('/v1/kv/lock/a?acquire=0b2a4f0e-0000-0000-0000-000000000000', 'v');
    assert.equal(result.status, 500);
    assert.equal(result.text, 'invalid session "0b2a4f0e-0000-0000-0000-000000000000"');
    const empty = await put('/v1/kv/lock/a?acquire=', 'v');
    assert.equal(empty.status, 500);
    assert.equal(empty.text, 'missing session');
    assert.equal((await t.request('GET', '/v1/kv/lock/a')).status, 404);
  });

  it('answers ?release of a lock that is not held with false', async () => {
    await put('/v1/kv/lock/b', 'v');
    const result = await put('/v1/kv/lock/b?release=0b2a4f0e-0000-0000-0000-000000000000', 'x');
    assert.equal(result.status, 200);
    assert.equal(result.text.trim(), 'false');
    assert.equal((await t.request('GET', '/v1/kv/lock/b?raw')).text, 'v');
  });

  it('refuses cas, acquire and release together with Conflicting flags', async () => {
    const result = await put('/v1/kv/lock/c?cas=1&acquire=s', 'v');
    assert.equal(result.status, 400);
    assert.equal(result.text, 'Conflicting flags: acquire=s&cas=1\n');
    const other = await put('/v1/kv/lock/c?release=a%20b&acquire', 'v');
    assert.equal(other.text, 'Conflicting flags: acquire=&release=a+b\n');
  });

  it('accepts a value of exactly kv_max_value_size and refuses one byte more with 413', async () => {
    const limit = t.agent.config.limits.kvMaxValueSize;
    assert.equal((await put('/v1/kv/size/max', 'x'.repeat(limit))).status, 200);
    const result = await put('/v1/kv/size/over', 'x'.repeat(limit + 1));
    assert.equal(result.status, 413);
    assert.equal(
      result.text,
      `Request body(${limit + 1} bytes) too large, max size: ${limit} bytes. See ` +
        'https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.',
    );
    assert.equal((await t.request('GET', '/v1/kv/size/over')).status, 404);
  });

  it('enforces the size limit on chunked bodies too', async () => {
    const limit = t.agent.config.limits.kvMaxValueSize;
    const result = await t.request('PUT', '/v1/kv/size/chunked', {
      body: Buffer.alloc(limit + 70000, 1),
      chunked: true,
    });
    assert.equal(result.status, 413);
    assert.match(result.text, /^Request body\(\d+ bytes\) too large, max size: 524288 bytes\./);
    assert.equal((await t.request('GET', '/v1/kv/size/chunked')).status, 404);
    const ok = await t.request('PUT', '/v1/kv/size/chunked', { body: 'small', chunked: true });
    assert.equal(ok.text.trim(), 'true');
  });
});

describe('DELETE /v1/kv/<key>', () => {
  it('deletes one key and answers true, also for a missing key', async () => {
    await put('/v1/kv/del/one', 'v');
    assert.equal((await t.request('DELETE', '/v1/kv/del/one')).text.trim(), 'true');
    assert.equal((await t.request('GET', '/v1/kv/del/one')).status, 404);
    assert.equal((await t.request('DELETE', '/v1/kv/del/one')).text.trim(), 'true');
  });

  it('with ?recurse deletes every key with the string prefix', async () => {
    for (const key of ['del/tree/a', 'del/tree/b/c', 'del/treetop', 'del/tre'])
      await put(`/v1/kv/${key}`);
    assert.equal((await t.request('DELETE', '/v1/kv/del/tree?recurse')).text.trim(), 'true');
    const left = await t.request('GET', '/v1/kv/del/?keys');
    assert.deepEqual(json(left), ['del/tre']);
  });

  it('keeps the prefix index from going backwards after a delete (tombstones)', async () => {
    await put('/v1/kv/del/tomb/a', 'v');
    const before = Number(
      (await t.request('GET', '/v1/kv/del/tomb/?keys')).headers['x-consul-index'],
    );
    await t.request('DELETE', '/v1/kv/del/tomb/a');
    const after = await t.request('GET', '/v1/kv/del/tomb/?keys');
    assert.equal(after.status, 404);
    assert.ok(Number(after.headers['x-consul-index']) > before);
  });

  it('with ?cas deletes only at the given ModifyIndex', async () => {
    await put('/v1/kv/del/cas', 'v');
    const { ModifyIndex } = await getEntry('del/cas');
    assert.equal(
      (await t.request('DELETE', `/v1/kv/del/cas?cas=${ModifyIndex + 1}`)).text.trim(),
      'false',
    );
    assert.equal((await t.request('GET', '/v1/kv/del/cas')).status, 200);
    assert.equal(
      (await t.request('DELETE', `/v1/kv/del/cas?cas=${ModifyIndex}`)).text.trim(),
      'true',
    );
    assert.equal((await t.request('GET', '/v1/kv/del/cas')).status, 404);
  });

  it('refuses ?recurse with ?cas, and an empty key without ?recurse', async () => {
    const conflict = await t.request('DELETE', '/v1/kv/del/x?recurse&cas=1');
    assert.equal(conflict.status, 400);
    assert.equal(conflict.text, 'Conflicting flags: cas=1&recurse=\n');
    const empty = await t.request('DELETE', '/v1/kv/');
    assert.equal(empty.status, 400);
    assert.equal(empty.text, 'Missing key name');
  });
});

describe('query options on KV reads', () => {
  it('reports the effective consistency of ?stale and ?consistent', async () => {
    await put('/v1/kv/mode/k', 'v');
    const stale = await t.request('GET', '/v1/kv/mode/k?stale');
    assert.equal(stale.headers['x-consul-effective-consistency'], 'stale');
    const consistent = await t.request('GET', '/v1/kv/mode/k?consistent');
    assert.equal(consistent.status, 200);
    assert.equal(consistent.headers['x-consul-effective-consistency'], 'consistent');
  });

  it('refuses ?stale with ?consistent', async () => {
    const result = await t.request('GET', '/v1/kv/mode/k?stale&consistent');
    assert.equal(result.status, 400);
    assert.equal(result.text, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  });

  it('refuses a non-numeric ?index and a malformed ?wait', async () => {
    for (const query of ['index=abc', 'index=-1', 'index=1.5', 'index=18446744073709551616']) {
      const result = await t.request('GET', `/v1/kv/mode/k?${query}`);
      assert.equal(result.status, 400, query);
      assert.equal(result.text, 'Invalid index');
    }
    for (const query of ['wait=abc', 'wait=10', 'wait=1x', 'wait=ms']) {
      const result = await t.request('GET', `/v1/kv/mode/k?${query}`);
      assert.equal(result.status, 400, query);
      assert.equal(result.text, 'Invalid wait time');
    }
  });

  it('accepts Go durations for ?wait (30000ms, 1.5s, 1m0s, 0)', async () => {
    for (const wait of ['30000ms', '1.5s', '1m0s', '0', '2h45m', '1us', '-5s']) {
      assert.equal((await t.request('GET', `/v1/kv/mode/k?wait=${wait}`)).status, 200, wait);
    }
  });

  it('answers an unknown ?dc with 500 No path to datacenter, its own dc normally', async () => {
    const other = await t.request('GET', '/v1/kv/mode/k?dc=elsewhere');
    assert.equal(other.status, 500);
    assert.equal(other.text, 'No path to datacenter');
    assert.equal((await put('/v1/kv/mode/k?dc=elsewhere', 'v')).status, 500);
    assert.equal((await t.request('GET', '/v1/kv/mode/k?dc=dc1')).status, 200);
  });

  it('ignores unknown query parameters', async () => {
    assert.equal((await t.request('GET', '/v1/kv/mode/k?foo=bar&token=x&ns=default')).status, 200);
  });
});
