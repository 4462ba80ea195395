// Fuzzing /v1/kv and /v1/txn with fast-check over real HTTP: random keys, parameters, methods
// and bodies. Only Consul's own 5xx answers may appear, the agent keeps serving, values and
// uint64 flags round-trip, and a rejected transaction leaves the state exactly as it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import fc from 'fast-check';

import { startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
before(async () => {
  t = await startTestAgent([], (config) => ({
    ...config,
    limits: { ...config.limits, kvMaxValueSize: 2048, txnMaxReqLen: 16 * 1024 },
  }));
});
after(async () => {
  await t.stop();
});

// The 500s Consul itself answers on these endpoints.
const CONSUL_500 =
  /^(strconv\.ParseUint: parsing ".*": (invalid syntax|value out of range)|invalid session ".*"|missing session|No path to datacenter)$/s;

function checkCommon(result: HttpResult, allowed: number[]): void {
  assert.ok(allowed.includes(result.status), `unexpected status ${result.status}: ${result.text}`);
  assert.equal(result.headers['x-consul-default-acl-policy'], 'allow');
  if (result.status >= 500) assert.match(result.text, CONSUL_500);
}

async function canary(): Promise<void> {
  const put = await t.request('PUT', '/v1/kv/canary', { body: 'alive' });
  assert.equal(put.status, 200);
  assert.equal((await t.request('GET', '/v1/kv/canary?raw')).text, 'alive');
}

async function stateSnapshot(): Promise<string> {
  const result = await t.request('GET', '/v1/kv/?recurse');
  return `${result.headers['x-consul-index']}\n${result.status}\n${result.text}`;
}

const keySegment = fc.oneof(
  fc.constantFrom('a', 'b', 'fz', 'dir/', ''),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary-ascii', maxLength: 4 }),
);
const keyPath = fc
  .array(keySegment, { maxLength: 4 })
  .map((segments) => segments.map((segment) => encodeURIComponent(segment)).join('/'));
const rawPathJunk = fc.constantFrom('', '%zz', '%', '%2', '%00', '%C3', '..', '//');

const queryParam = fc.oneof(
  fc.constantFrom('recurse', 'keys', 'raw', 'stale', 'consistent', 'pretty', 'separator=/'),
  fc.constantFrom('seperator=', 'dc=dc1', 'dc=other', 'wait=1ms', 'wait=bad', 'index=bad'),
  fc.constantFrom('acquire=s', 'release=s', 'acquire=', 'token=x', 'recurse=false'),
  fc.bigInt({ min: -5n, max: 2n ** 65n }).map((n) => `flags=${n}`),
  fc.bigInt({ min: -5n, max: 2n ** 65n }).map((n) => `cas=${n}`),
  fc.nat({ max: 3 }).map((n) => `index=${n}&wait=1ms`),
  fc
    .string({ maxLength: 8 })
    .map((text) => `${encodeURIComponent(text)}=${encodeURIComponent(text)}`),
);

describe('fuzzing /v1/kv', () => {
  it('answers any method, key, parameters and body with Consul statuses and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'OPTIONS', 'PATCH'),
        keyPath,
        rawPathJunk,
        fc.array(queryParam, { maxLength: 4 }),
        fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
        async (method, key, junk, params, body) => {
          const path = `/v1/kv/fz/${key}${junk}${params.length > 0 ? '?' + params.join('&') : ''}`;
          const result = await t.request(method, path, {
            body: body === undefined ? undefined : Buffer.from(body),
          });
          checkCommon(result, [200, 400, 404, 405, 413, 500]);
          if (result.status === 200 && result.headers['content-type'] === 'application/json') {
            JSON.parse(result.text);
          }
        },
      ),
      { numRuns: 400 },
    );
    await canary();
  });

  it('round-trips any value and any uint64 flags', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        async (value, flags, name) => {
          const key = `rt/${encodeURIComponent(name)}`;
          const put = await t.request('PUT', `/v1/kv/${key}?flags=${flags}`, {
            body: Buffer.from(value),
          });
          if (put.status === 400) return; // an unprintable key, refused as Consul does
          assert.equal(put.status, 200, put.text);
          const raw = await t.request('GET', `/v1/kv/${key}?raw`);
          assert.deepEqual(raw.raw, Buffer.from(value));
          const entry = await t.request('GET', `/v1/kv/${key}`);
          assert.match(entry.text, new RegExp(`"Flags": ${flags},`));
          const decoded = JSON.parse(entry.text) as { Key: string; Value: string | null }[];
          assert.equal(decoded[0].Key, `rt/${name}`);
          assert.equal(
            decoded[0].Value,
            value.length === 0 ? null : Buffer.from(value).toString('base64'),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

const VERBS = [
  'set',
  'cas',
  'lock',
  'unlock',
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
  'delete',
  'delete-tree',
  'delete-cas',
];

const kvOp = fc.record(
  {
    Verb: fc.oneof(fc.constantFrom(...VERBS), fc.string({ maxLength: 6 })),
    Key: fc.oneof(
      fc.constantFrom('tx/a', 'tx/b', 'tx/', 'tx/a/b', ''),
      fc.string({ maxLength: 6 }),
    ),
    Value: fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.string({ maxLength: 6 }),
      fc.constant(null),
    ),
    Flags: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -3, max: 3 })),
    Index: fc.oneof(
      fc.nat({ max: 50 }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constant(-1),
      fc.string({ maxLength: 2 }),
    ),
    Session: fc.string({ maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const txnOp = fc.oneof(
  { weight: 8, arbitrary: kvOp.map((op) => ({ KV: op })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constant({ Node: { Verb: 'get', Node: { Node: 'n' } } }) },
);

// JSON with bigints written as bare digits, as Go clients send uint64 Flags.
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    typeof member === 'bigint' ? `__big__${member}__` : member,
  ).replace(/"__big__(\d+)__"/g, '$1');
}

describe('fuzzing /v1/txn', () => {
  it('answers any batch with 200/400/409/413; a rejected batch changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 6, arbitrary: fc.array(txnOp, { maxLength: 8 }).map(toJson) },
          { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
          {
            weight: 1,
            arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? ''),
          },
        ),
        fc.constantFrom('', '?stale', '?consistent', '?stale&consistent', '?dc=dc1'),
        async (body, query) => {
          const before = await stateSnapshot();
          const result = await t.request('PUT', `/v1/txn${query}`, { body });
          checkCommon(result, [200, 400, 409, 413]);
          if (result.status === 409) {
            const decoded = JSON.parse(result.text) as { Results: unknown; Errors: unknown[] };
            assert.equal(decoded.Results, null);
            assert.ok(decoded.Errors.length > 0);
          }
          if (result.status !== 200) assert.equal(await stateSnapshot(), before);
        },
      ),
      { numRuns: 300 },
    );
    await canary();
  });
});
