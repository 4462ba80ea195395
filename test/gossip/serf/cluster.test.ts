import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Serf, UserEvent } from '../../../src/gossip/serf';
import { addressOf, recordEvents, startNode, statusOf, waitFor } from './support';

const nodes: Serf[] = [];
after(async () => {
  for (const n of nodes) await n.shutdown();
});

test('three nodes join through one address and each lists all three alive', async () => {
  const a = await startNode('a', '127.0.76.11');
  const b = await startNode('b', '127.0.76.12');
  const c = await startNode('c', '127.0.76.13');
  nodes.push(a, b, c);
  assert.equal(await b.join([addressOf(a)], true), 1);
  assert.equal(await c.join([addressOf(a)], true), 1);
  for (const n of [a, b, c]) {
    await waitFor(
      `${n.localMember().name} to see 3 alive`,
      () => n.members().filter((m) => m.status === 'alive').length === 3,
    );
  }
  assert.deepEqual(b.members().find((m) => m.name === 'a')?.tags, { role: 'test' });
});

test('a user event reaches every node once', async () => {
  const [a, b, c] = nodes;
  const seen = [b, c].map((n) => {
    const got: UserEvent[] = [];
    n.onEvent((e) => {
      if (e.type === 'user') got.push(e);
    });
    return got;
  });
  await a.userEvent('deploy', new TextEncoder().encode('v2'), false);
  for (const got of seen) await waitFor('the event', () => got.length === 1);
  assert.equal(new TextDecoder().decode(seen[0][0].payload), 'v2');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen[0].length, 1, 'delivered once despite re-gossip');
});

test('an oversized user event is refused with serf’s message', async () => {
  await assert.rejects(
    nodes[0].userEvent('big', new Uint8Array(600), false),
    /user event exceeds configured limit of 512 bytes before encoding/,
  );
});

test('a query gathers acks and responses from every node; filters narrow who answers', async () => {
  const [a, b, c] = nodes;
  for (const n of [a, b, c]) {
    n.onEvent((e) => {
      if (e.type === 'query' && e.name === 'whoami')
        void e.respond(new TextEncoder().encode(n.localMember().name));
    });
  }
  const all = await (
    await a.query('whoami', new Uint8Array(0), { requestAck: true, timeoutMs: 1500 })
  ).collect();
  assert.deepEqual(all.acks.sort(), ['a', 'b', 'c']);
  assert.deepEqual(all.responses.map((r) => new TextDecoder().decode(r.payload)).sort(), [
    'a',
    'b',
    'c',
  ]);
  const some = await (
    await a.query('whoami', new Uint8Array(0), { filterNodes: ['b'], timeoutMs: 1000 })
  ).collect();
  assert.deepEqual(
    some.responses.map((r) => r.from),
    ['b'],
  );
});

test('new tags show up on the other nodes as a member update', async () => {
  const [a, b] = nodes;
  const events = recordEvents(b);
  await a.setTags({ role: 'web', dc: 'dc1' });
  await waitFor('the update', () => b.members().find((m) => m.name === 'a')?.tags.role === 'web');
  assert.ok(events.some((e) => e.type === 'member-update'));
});

test('a node that leaves is listed as left; one that vanishes is listed as failed', async () => {
  const [a, b, c] = nodes;
  await c.leave();
  await waitFor('c left on a', () => statusOf(a, 'c') === 'left');
  await waitFor('c left on b', () => statusOf(b, 'c') === 'left');
  await c.shutdown();
  await b.shutdown(); // no leave: a must detect it
  await waitFor('b failed on a', () => statusOf(a, 'b') === 'failed');
  assert.equal(a.stats().failed, '1');
  assert.equal(a.stats().left, '1');
});

test('force-leave with prune erases a failed member', async () => {
  const [a] = nodes;
  const events = recordEvents(a);
  await a.removeFailedNode('b', true);
  assert.equal(statusOf(a, 'b'), undefined);
  assert.ok(events.some((e) => e.type === 'member-reap'));
});
