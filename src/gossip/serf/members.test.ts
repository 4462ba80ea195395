import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LamportClock } from './lamport';
import { MemberTable, type GossipNode } from './members';
import { encodeTags } from './messages';

function node(name: string, tags: Record<string, string> = {}): GossipNode {
  return {
    name,
    addr: '127.0.0.2',
    port: 7946,
    meta: encodeTags(tags),
    pMin: 1,
    pMax: 5,
    pCur: 2,
    dMin: 2,
    dMax: 5,
    dCur: 4,
  };
}

function table(): { t: MemberTable; clock: LamportClock } {
  const clock = new LamportClock();
  clock.increment();
  return { t: new MemberTable('self', clock), clock };
}

test('a node memberlist reports alive becomes an alive member with its tags and versions', () => {
  const { t } = table();
  const ev = t.nodeJoin(node('a', { role: 'web' }));
  assert.equal(ev.type, 'member-join');
  const m = t.get('a');
  assert.equal(m?.status, 'alive');
  assert.deepEqual(m?.tags, { role: 'web' });
  assert.equal(m?.delegateCur, 4);
});

test('a dead alive member becomes failed; a dead leaving member becomes left', () => {
  const { t } = table();
  t.nodeJoin(node('a'));
  t.nodeJoin(node('b'));
  assert.equal(t.nodeLeave(node('a'), 1000)?.type, 'member-failed');
  assert.equal(t.get('a')?.status, 'failed');
  t.leaveIntent({ ltime: 5, node: 'b', prune: false }, 1000, true);
  assert.equal(t.get('b')?.status, 'leaving');
  assert.equal(t.nodeLeave(node('b'), 1000)?.type, 'member-leave');
  assert.equal(t.get('b')?.status, 'left');
  assert.equal(t.failedCount(), 1);
  assert.equal(t.leftCount(), 1);
});

test('intents for unknown members are buffered and applied when memberlist reports the node', () => {
  const { t } = table();
  assert.equal(t.leaveIntent({ ltime: 9, node: 'late', prune: false }, 0, true).rebroadcast, true);
  // an older intent about the same node is not news
  assert.equal(t.joinIntent({ ltime: 3, node: 'late' }, 0), false);
  t.nodeJoin(node('late'));
  assert.equal(t.get('late')?.status, 'leaving');
});

test('a buffered join intent sets the status time so an older leave is ignored', () => {
  const { t } = table();
  t.joinIntent({ ltime: 10, node: 'a' }, 0);
  t.nodeJoin(node('a'));
  assert.equal(t.leaveIntent({ ltime: 8, node: 'a', prune: false }, 0, true).rebroadcast, false);
  assert.equal(t.get('a')?.status, 'alive');
});

test('intents witness the member clock', () => {
  const { t, clock } = table();
  t.joinIntent({ ltime: 41, node: 'a' }, 0);
  assert.equal(clock.time(), 42);
});

test('a leave intent about a failed member makes it left (forced leave) and emits member-leave', () => {
  const { t } = table();
  t.nodeJoin(node('a'));
  t.nodeLeave(node('a'), 0);
  const r = t.leaveIntent({ ltime: 4, node: 'a', prune: false }, 0, true);
  assert.equal(r.events[0]?.type, 'member-leave');
  assert.equal(t.get('a')?.status, 'left');
  assert.equal(t.failedCount(), 0);
  assert.equal(t.leftCount(), 1);
});

test('a newer join intent brings a leaving member back to alive', () => {
  const { t } = table();
  t.nodeJoin(node('a'));
  t.leaveIntent({ ltime: 4, node: 'a', prune: false }, 0, true);
  assert.equal(t.joinIntent({ ltime: 6, node: 'a' }, 0), true);
  assert.equal(t.get('a')?.status, 'alive');
});

test('a leave intent about ourselves while alive is refuted, not applied', () => {
  const { t } = table();
  t.nodeJoin(node('self'));
  const r = t.leaveIntent({ ltime: 4, node: 'self', prune: false }, 0, true);
  assert.equal(r.refute, true);
  assert.equal(t.get('self')?.status, 'alive');
});

test('a prune leave asks to erase the member, delayed when it was leaving', () => {
  const { t } = table();
  t.nodeJoin(node('a'));
  t.nodeLeave(node('a'), 0);
  assert.deepEqual(t.leaveIntent({ ltime: 4, node: 'a', prune: true }, 0, true).prune, {
    name: 'a',
    delayed: false,
  });
  assert.equal(t.erase('a')?.type, 'member-reap');
  assert.equal(t.get('a'), undefined);
  assert.equal(t.leftCount(), 0);
});

test('reap erases failed members after the reconnect timeout and left ones after the tombstone timeout', () => {
  const { t } = table();
  t.nodeJoin(node('f'));
  t.nodeJoin(node('l'));
  t.nodeLeave(node('f'), 1000);
  t.leaveIntent({ ltime: 3, node: 'l', prune: false }, 0, true);
  t.nodeLeave(node('l'), 1000);
  assert.deepEqual(t.reap(1500, 1000, 5000, 60000), []);
  assert.deepEqual(
    t.reap(2001, 1000, 5000, 60000).map((e) => e.members[0].name),
    ['f'],
  );
  assert.equal(t.get('l')?.status, 'left');
  assert.deepEqual(
    t.reap(6001, 1000, 5000, 60000).map((e) => e.members[0].name),
    ['l'],
  );
  assert.equal(t.size(), 0);
});

test('a failed member that comes back alive leaves the failed list', () => {
  const { t } = table();
  t.nodeJoin(node('a'));
  t.nodeLeave(node('a'), 0);
  t.nodeJoin(node('a'));
  assert.equal(t.failedCount(), 0);
  assert.equal(t.get('a')?.status, 'alive');
});

test('the reconnect candidate is a failed member, chosen with probability failed/alive', () => {
  const { t } = table();
  for (const n of ['a', 'b', 'c', 'd']) t.nodeJoin(node(n));
  t.nodeLeave(node('c'), 0);
  assert.equal(
    t.reconnectCandidate(() => 0.5),
    null,
  ); // 1 failed / 3 alive < 0.5
  assert.equal(t.reconnectCandidate(() => 0.1)?.name, 'c');
});
