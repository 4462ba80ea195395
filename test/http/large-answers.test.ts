// A ~20 MB answer (`GET /v1/kv/?recurse`) is encoded in slices: other clients are answered
// while it is being built, and its bytes are exactly those of the one-piece encoding.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { encodeJson } from '../../src/http/json';
import { kvEntryJson } from '../../src/http/kv-json';
import type { KvTxnOp } from '../../src/state';
import { startTestAgent, type TestAgent } from './harness';

// Few large rows: the store read stays short, the encoding is what is measured.
const KEYS = 12_000;
const VALUE = Buffer.alloc(1200, 'consulate');
/**
 * Generous: the point is "not blocked for the whole encoding". On a machine so loaded that the
 * encoding itself takes seconds, a probe may take a fifth of that.
 */
const PROBE_BOUND_MS = 100;
const PROBE_BOUND_SHARE = 1 / 5;

let t: TestAgent;
before(async () => {
  t = await startTestAgent([], (config) => ({ ...config, prettyJson: false }));
  for (let start = 0; start < KEYS; start += 2000) {
    const ops: KvTxnOp[] = [];
    for (let i = start; i < Math.min(KEYS, start + 2000); i++) {
      const flags = i === 7 ? 2n ** 64n - 1n : BigInt(i % 3);
      // Some keys need Go's HTML-safe escaping.
      const key = `big/${i % 5 === 0 ? '<&>/' : ''}${String(i).padStart(6, '0')}`;
      ops.push({ verb: 'set', key, value: VALUE, flags });
    }
    await t.agent.apply({ type: 'txn', ops });
  }
});
after(async () => {
  await t.stop();
});

interface StreamedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET whose headers are reported as soon as they arrive, before the body is read. */
function get(
  path: string,
  headers: Record<string, string> = {},
): {
  headersArrived: () => boolean;
  sentAt: number;
  headersAt: () => number;
  answer: Promise<StreamedAnswer>;
} {
  let arrivedAt = 0;
  const sentAt = performance.now();
  const answer = new Promise<StreamedAnswer>((resolve, reject) => {
    const req = httpRequest({ host: t.host, port: t.port, path, headers, agent: false }, (res) => {
      arrivedAt = performance.now();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
  return { headersArrived: () => arrivedAt > 0, sentAt, headersAt: () => arrivedAt, answer };
}

/** Status probes, one after the other, until the big answer's headers arrive; their latencies. */
async function probeUntil(headersArrived: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!headersArrived()) {
    const started = performance.now();
    const probe = await get('/v1/status/leader').answer;
    assert.equal(probe.status, 200);
    if (!headersArrived()) latencies.push(performance.now() - started);
  }
  return latencies;
}

function oneShotEncoding(pretty: boolean): Buffer {
  const entries = t.agent.store.kvList('big/').value;
  return Buffer.from(encodeJson(entries.map(kvEntryJson), pretty));
}

describe('a ~20 MB recurse', () => {
  it('lets a status probe through, fast, while the answer is encoded', async () => {
    const big = get('/v1/kv/big/?recurse');
    const latencies = await probeUntil(big.headersArrived);
    const answer = await big.answer;
    assert.equal(answer.status, 200);
    assert.ok(answer.body.length > 20e6, `answer of ${answer.body.length} bytes`);
    assert.ok(
      latencies.length >= 3,
      `only ${latencies.length} probe(s) answered before the big answer started`,
    );
    const slowest = Math.max(...latencies);
    const encoding = big.headersAt() - big.sentAt;
    const bound = Math.max(PROBE_BOUND_MS, encoding * PROBE_BOUND_SHARE);
    assert.ok(
      slowest < bound,
      `slowest probe took ${slowest.toFixed(1)} ms while the answer took ${encoding.toFixed(0)} ms`,
    );
  });

  it('answers exactly the bytes of the one-piece encoding, compact and pretty', async () => {
    const compact = await get('/v1/kv/big/?recurse').answer;
    assert.equal(compact.headers['content-length'], String(compact.body.length));
    assert.ok(compact.body.equals(oneShotEncoding(false)));
    const pretty = await get('/v1/kv/big/?recurse&pretty').answer;
    assert.ok(pretty.body.equals(oneShotEncoding(true)));
  });

  it('gzips the sliced answer when asked to', async () => {
    const answer = await get('/v1/kv/big/?recurse', { 'accept-encoding': 'gzip' }).answer;
    assert.equal(answer.headers['content-encoding'], 'gzip');
    assert.equal(answer.headers['content-length'], String(answer.body.length));
    assert.ok(gunzipSync(answer.body).equals(oneShotEncoding(false)));
  });

  it('lists every key with ?keys exactly as the one-piece encoding', async () => {
    const answer = await get('/v1/kv/big/?keys').answer;
    const keys = JSON.parse(answer.body.toString()) as string[];
    assert.equal(keys.length, KEYS);
    assert.equal(answer.body.toString(), encodeJson(keys, false));
  });
});
