import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventCoalescer } from './coalesce';
import { QueryBuffer, UserEventBuffer } from './event-buffer';
import { LamportClock } from './lamport';
import type { SerfMember } from './members';

const ev = (name: string, p = 'x') => ({ name, payload: new TextEncoder().encode(p) });

test('a Lamport clock witnesses only times at or past its own', () => {
  const c = new LamportClock();
  assert.equal(c.increment(), 1);
  c.witness(0);
  assert.equal(c.time(), 1);
  c.witness(1);
  assert.equal(c.time(), 2);
  c.witness(10);
  assert.equal(c.time(), 11);
});

test('the event buffer drops exact duplicates at the same LTime but keeps different events', () => {
  const b = new UserEventBuffer(4);
  assert.equal(b.accept(3, ev('a'), 4), null);
  assert.equal(b.accept(3, ev('a'), 4), 'duplicate');
  assert.equal(b.accept(3, ev('a', 'y'), 4), null);
  assert.equal(b.accept(3, ev('b'), 4), null);
  assert.equal(b.snapshot()[3]?.events.length, 3);
});

test('the event buffer refuses events older than the ring and before the minimum time', () => {
  const b = new UserEventBuffer(4);
  assert.equal(b.accept(2, ev('a'), 10), 'too-old');
  b.minTime = 8;
  assert.equal(b.accept(7, ev('a'), 9), 'before-min-time');
  assert.equal(b.accept(8, ev('a'), 9), null);
});

test('a newer LTime takes over its ring slot', () => {
  const b = new UserEventBuffer(4);
  b.accept(1, ev('a'), 2);
  b.accept(5, ev('a'), 6);
  assert.equal(b.snapshot()[1]?.ltime, 5);
  assert.equal(b.accept(5, ev('a'), 6), 'duplicate');
});

test('the query buffer de-duplicates by (LTime, ID)', () => {
  const q = new QueryBuffer(8);
  assert.equal(q.accept(3, 77, 4), null);
  assert.equal(q.accept(3, 77, 4), 'duplicate');
  assert.equal(q.accept(3, 78, 4), null);
  assert.equal(q.accept(1, 1, 100), 'too-old');
});

const member = (name: string): SerfMember => ({
  name,
  addr: '127.0.0.1',
  port: 1,
  tags: {},
  status: 'alive',
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 4,
});

test('coalesced member events keep the latest per member and flush after the quiescent period', () => {
  const c = new EventCoalescer({ coalesceMs: 1000, quiescentMs: 100 }, null);
  assert.deepEqual(c.push({ type: 'member-join', members: [member('a')] }, 0), []);
  c.push({ type: 'member-failed', members: [member('a')] }, 50);
  c.push({ type: 'member-join', members: [member('b')] }, 60);
  assert.deepEqual(c.due(100), []);
  const out = c.due(160);
  assert.deepEqual(
    out.map((e) =>
      e.type === 'user' || e.type === 'query'
        ? e.type
        : `${e.type}:${e.members.map((m) => m.name)}`,
    ),
    ['member-failed:a', 'member-join:b'],
  );
  // a repeat of what was last delivered is suppressed
  c.push({ type: 'member-join', members: [member('b')] }, 200);
  assert.deepEqual(c.due(400), []);
});

test('coalesced user events keep only the highest LTime per name; others pass through', () => {
  const c = new EventCoalescer(null, { coalesceMs: 100, quiescentMs: 50 });
  const u = (ltime: number, name: string, coalesce = true) =>
    ({ type: 'user', ltime, name, payload: new Uint8Array(0), coalesce }) as const;
  assert.equal(c.push(u(1, 'deploy', false), 0).length, 1);
  c.push(u(2, 'deploy'), 0);
  c.push(u(4, 'deploy'), 10);
  c.push(u(3, 'deploy'), 20);
  const out = c.due(100);
  assert.deepEqual(
    out.map((e) => (e.type === 'user' ? e.ltime : -1)),
    [4],
  );
});
