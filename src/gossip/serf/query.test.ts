import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultQueryTimeoutMs,
  encodeFilters,
  kRandomMembers,
  QueryResponse,
  shouldProcessQuery,
} from './query';

const noWarn = () => assert.fail('no warning expected');

test('the default query timeout is GossipInterval × 16 × ceil(log10(N+1))', () => {
  assert.equal(defaultQueryTimeoutMs(200, 16, 3), 3200);
  assert.equal(defaultQueryTimeoutMs(200, 16, 10), 6400);
});

test('node filters admit only the listed nodes', () => {
  const f = encodeFilters({ filterNodes: ['a', 'b'] });
  assert.equal(shouldProcessQuery(f, 'a', {}, noWarn), true);
  assert.equal(shouldProcessQuery(f, 'c', {}, noWarn), false);
});

test('tag filters match the tag value with a Go regexp; a missing tag is the empty string', () => {
  const f = encodeFilters({ filterTags: { role: '^web' } });
  assert.equal(shouldProcessQuery(f, 'a', { role: 'webserver' }, noWarn), true);
  assert.equal(shouldProcessQuery(f, 'a', { role: 'db' }, noWarn), false);
  assert.equal(shouldProcessQuery(f, 'a', {}, noWarn), false);
});

test('an unknown filter type or a bad regexp means the query is not processed', () => {
  const warnings: string[] = [];
  assert.equal(
    shouldProcessQuery([new Uint8Array([9, 0xc0])], 'a', {}, (w) => warnings.push(w)),
    false,
  );
  assert.equal(
    shouldProcessQuery(encodeFilters({ filterTags: { r: '(' } }), 'a', {}, (w) => warnings.push(w)),
    false,
  );
  assert.equal(warnings.length, 2);
});

test('a query response counts each node’s ack and response once, and nothing after the deadline', () => {
  const r = new QueryResponse(1, 5, 1000, true);
  const seen: string[] = [];
  r.onResponse((x) => seen.push(x.from));
  assert.equal(r.record('a', true, null, 10), true);
  assert.equal(r.record('a', true, null, 10), false);
  assert.equal(r.record('a', false, new Uint8Array([1]), 10), true);
  assert.equal(r.record('a', false, new Uint8Array([2]), 10), false);
  assert.equal(r.record('b', false, null, 1001), false);
  assert.deepEqual(seen, ['a']);
});

test('acks are ignored when none were requested', () => {
  const r = new QueryResponse(1, 5, 1000, false);
  assert.equal(r.record('a', true, null, 0), false);
});

test('collect resolves with what arrived once the query closes', async () => {
  const r = new QueryResponse(1, 5, 1000, true);
  r.record('a', true, null, 0);
  r.record('b', false, new Uint8Array([7]), 0);
  const p = r.collect();
  r.close();
  const got = await p;
  assert.deepEqual(got.acks, ['a']);
  assert.deepEqual(got.responses, [{ from: 'b', payload: new Uint8Array([7]) }]);
});

test('k random members are distinct and skip excluded ones', () => {
  const ms = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
  let i = 0;
  const seq = [0, 0, 0.3, 0.6, 0.9];
  const got = kRandomMembers(
    2,
    ms,
    (m) => m.name === 'a',
    () => seq[i++ % seq.length],
  );
  assert.deepEqual(
    got.map((m) => m.name),
    ['b', 'c'],
  );
});
