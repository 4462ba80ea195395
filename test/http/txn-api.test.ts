// PUT /v1/txn over real HTTP: atomic batches, rollback, the read-only fast path and the limits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type HttpResult, type TestAgent } from './harness';

// Small limits so that the value and body limits can be crossed with small requests.
const KV_MAX = 1024;
const TXN_MAX = 64 * 1024;

let t: TestAgent;
before(async () => {
  t = await startTestAgent([], (config) => ({
    ...config,
    prettyJson: false,
    limits: { ...config.limits, kvMaxValueSize: KV_MAX, txnMaxReqLen: TXN_MAX },
  }));
});
after(async () => {
  await t.stop();
});

function txn(body: unknown, query = ''): Promise<HttpResult> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return t.request('PUT', `/v1/txn${query}`, { body: text });
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function snapshot(): Promise<{ index: string | undefined; text: string }> {
  const result = await t.request('GET', '/v1/kv/?recurse');
  return { index: result.headers['x-consul-index'] as string | undefined, text: result.text };
}

describe('PUT /v1/txn with writes', () => {
  it('applies every op and returns one KV result per set/get, none for deletes', async () => {
    await t.request('PUT', '/v1/kv/tx/gone', { body: 'x' });
    const result = await txn([
      { KV: { Verb: 'set', Key: 'tx/a', Value: b64('A'), Flags: 7 } },
      { KV: { Verb: 'get', Key: 'tx/a' } },
      { KV: { Verb: 'delete', Key: 'tx/gone' } },
    ]);
    assert.equal(result.status, 200, result.text);
    assert.equal(result.headers['x-consul-index'], undefined);
    const body = JSON.parse(result.text) as {
      Results: { KV: { Key: string; Value: string | null; Flags: number; ModifyIndex: number } }[];
      Errors: null;
    };
    assert.deepEqual(Object.keys(body), ['Results', 'Errors']);
    assert.equal(body.Errors, null);
    assert.equal(body.Results.length, 2);
    assert.equal(body.Results[0].KV.Value, null);
    assert.equal(body.Results[0].KV.Flags, 7);
    assert.equal(body.Results[1].KV.Value, b64('A'));
    assert.equal((await t.request('GET', '/v1/kv/tx/gone')).status, 404);
  });

  it('rolls back everything on any failure and reports each failing op with 409', async () => {
    await t.request('PUT', '/v1/kv/tx/existing', { body: 'keep' });
    const before = await snapshot();
    const result = await txn([
      { KV: { Verb: 'set', Key: 'tx/new', Value: b64('never') } },
      { KV: { Verb: 'cas', Key: 'tx/existing', Value: b64('x'), Index: 1 } },
      { KV: { Verb: 'check-not-exists', Key: 'tx/existing' } },
      { KV: { Verb: 'delete', Key: 'tx/existing' } },
    ]);
    assert.equal(result.status, 409);
    assert.equal(result.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(result.text), {
      Results: null,
      Errors: [
        { OpIndex: 1, What: 'failed to set key "tx/existing", index is stale' },
        { OpIndex: 2, What: 'key "tx/existing" exists' },
      ],
    });
    assert.deepEqual(await snapshot(), before);
  });

  it('matches body keys case-insensitively', async () => {
    const result = await txn([{ kv: { verb: 'set', key: 'tx/lower', value: b64('v') } }]);
    assert.equal(result.status, 200, result.text);
    assert.equal((await t.request('GET', '/v1/kv/tx/lower?raw')).text, 'v');
  });

  it('round-trips uint64 Flags above 2^53', async () => {
    const body = '[{"KV":{"Verb":"set","Key":"tx/flags","Flags":18446744073709551615}}]';
    const result = await txn(body);
    assert.match(result.text, /"Flags":18446744073709551615,/);
    assert.match((await t.request('GET', '/v1/kv/tx/flags')).text, /"Flags":18446744073709551615,/);
  });

  it('reports an unknown verb in a write batch without applying anything', async () => {
    const result = await txn([
      { KV: { Verb: 'set', Key: 'tx/unknown', Value: b64('v') } },
      { KV: { Verb: 'bogus', Key: 'tx/unknown' } },
    ]);
    assert.equal(result.status, 409);
    assert.deepEqual(JSON.parse(result.text).Errors, [
      { OpIndex: 1, What: 'unknown KV verb "bogus"' },
    ]);
    assert.equal((await t.request('GET', '/v1/kv/tx/unknown')).status, 404);
  });
});

describe('PUT /v1/txn read-only', () => {
  it('takes the fast path: leader headers, QueryMeta fields, no index header', async () => {
    await t.request('PUT', '/v1/kv/ro/a', { body: 'A' });
    const result = await txn([
      { KV: { Verb: 'get', Key: 'ro/a' } },
      { KV: { Verb: 'get-tree', Key: 'ro/' } },
    ]);
    assert.equal(result.status, 200, result.text);
    assert.equal(result.headers['x-consul-knownleader'], 'true');
    assert.equal(result.headers['x-consul-lastcontact'], '0');
    assert.equal(result.headers['x-consul-index'], undefined);
    const body = JSON.parse(result.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), [
      'Results',
      'Errors',
      'Index',
      'LastContact',
      'KnownLeader',
      'ConsistencyLevel',
      'NotModified',
      'Backend',
      'ResultsFilteredByACLs',
    ]);
    assert.equal((body.Results as unknown[]).length, 2);
  });

  it('honours ?stale and ?consistent and refuses both together', async () => {
    const ops = [{ KV: { Verb: 'get-or-empty', Key: 'ro/missing' } }];
    assert.equal((await txn(ops, '?stale')).status, 200);
    assert.equal((await txn(ops, '?consistent')).status, 200);
    const both = await txn(ops, '?stale&consistent');
    assert.equal(both.status, 400);
    assert.equal(both.text, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  });

  it('answers failed reads with 409 and every error, unknown verbs included', async () => {
    const result = await txn([
      { KV: { Verb: 'get', Key: 'ro/nope' } },
      { KV: { Verb: 'frobnicate', Key: 'ro/a' } },
      { KV: { Verb: 'get', Key: 'ro/a' } },
    ]);
    assert.equal(result.status, 409);
    const body = JSON.parse(result.text) as { Results: null; Errors: unknown[] };
    assert.equal(body.Results, null);
    assert.deepEqual(body.Errors, [
      { OpIndex: 0, What: 'key "ro/nope" doesn\'t exist' },
      { OpIndex: 1, What: 'unknown KV verb "frobnicate"' },
    ]);
  });
});

describe('PUT /v1/txn limits and parse errors', () => {
  it('accepts 128 ops and refuses 129 with 413', async () => {
    const op = { KV: { Verb: 'get-or-empty', Key: 'lim/k' } };
    assert.equal((await txn(Array.from({ length: 128 }, () => op))).status, 200);
    const result = await txn(Array.from({ length: 129 }, () => op));
    assert.equal(result.status, 413);
    assert.equal(result.text, 'Transaction contains too many operations (129 > 128)');
  });

  it('refuses a value above kv_max_value_size with 413 naming the key', async () => {
    const result = await txn([
      { KV: { Verb: 'set', Key: 'lim/ok', Value: b64('x') } },
      { KV: { Verb: 'set', Key: 'lim/"big"', Value: Buffer.alloc(KV_MAX + 1).toString('base64') } },
    ]);
    assert.equal(result.status, 413);
    assert.equal(
      result.text,
      `Value for key "lim/\\"big\\"" is too large (${KV_MAX + 1} > ${KV_MAX} bytes)`,
    );
    assert.equal((await t.request('GET', '/v1/kv/lim/ok')).status, 404);
  });

  it('refuses a body above txn_max_req_len with 413, chunked or not', async () => {
    const message =
      `Request body too large, max size: ${TXN_MAX} bytes. See ` +
      'https://developer.hashicorp.com/consul/docs/agent/config/config-files#txn_max_req_len.';
    const big = ' '.repeat(TXN_MAX + 1);
    const plain = await t.request('PUT', '/v1/txn', { body: big });
    assert.equal(plain.status, 413);
    assert.equal(plain.text, message);
    const chunked = await t.request('PUT', '/v1/txn', { body: big, chunked: true });
    assert.equal(chunked.status, 413);
    assert.equal(chunked.text, message);
  });

  it('answers undecodable bodies with 400 Failed to parse body', async () => {
    const cases: [string, string][] = [
      ['', 'EOF'],
      ['[{', 'unexpected EOF'],
      ['{}', 'json: cannot unmarshal object into Go value of type api.TxnOps'],
      [
        '[{"KV":{"Verb":"set","Key":"k","Flags":-1}}]',
        'json: cannot unmarshal number -1 into Go struct field KVTxnOp.KV.Flags of type uint64',
      ],
      ['[{"KV":{"Verb":"set","Key":"k","Value":"abc"}}]', 'illegal base64 data at input byte 0'],
      [
        '[{"KV":{"Verb":"set","Key":5}}]',
        'json: cannot unmarshal number 5 into Go struct field KVTxnOp.KV.Key of type string',
      ],
      ['[x]', "invalid character 'x' looking for beginning of value"],
    ];
    for (const [body, error] of cases) {
      const result = await txn(body);
      assert.equal(result.status, 400, body);
      assert.equal(result.text, `Failed to parse body: ${error}`, body);
    }
  });

  it('is PUT only', async () => {
    const result = await t.request('GET', '/v1/txn');
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, 'OPTIONS,PUT');
    assert.equal(result.text, 'method GET not allowed');
  });
});
