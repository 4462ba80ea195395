// Snapshots, old events on join, and node-name conflicts, with our nodes on 127.0.75.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Serf, UserEvent } from '../../../src/gossip/serf';
import { addressOf, startNode, statusOf, waitFor } from './support';

async function withNodes(fn: (started: Serf[], dir: string) => Promise<void>): Promise<void> {
  const started: Serf[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'serf-rejoin-'));
  try {
    await fn(started, dir);
  } finally {
    for (const n of started) await n.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a restarted node rejoins the members in its snapshot and keeps its clocks', async () => {
  await withNodes(async (started, dir) => {
    const snap = join(dir, 'b.snapshot');
    const a = await startNode('a', '127.0.75.1');
    started.push(a);
    const b1 = await startNode('b', '127.0.75.2', { snapshotPath: snap });
    await b1.join([addressOf(a)], true);
    await waitFor('a alive on b', () => statusOf(b1, 'a') === 'alive');
    await a.userEvent('e1', new Uint8Array(0), false);
    await a.userEvent('e2', new Uint8Array(0), false);
    await waitFor('events seen by b', () => Number(b1.stats().event_time) >= 3);
    const eventTime = Number(b1.stats().event_time);
    await b1.shutdown(); // crash-like: no leave
    assert.match(readFileSync(snap, 'utf8'), /^alive: a 127\.0\.75\.1:\d+$/m);
    const b2 = await startNode('b', '127.0.75.2', { snapshotPath: snap });
    started.push(b2);
    await waitFor('b rejoined a without a join call', () => statusOf(b2, 'a') === 'alive');
    assert.ok(Number(b2.stats().event_time) >= eventTime, 'event clock restored from the snapshot');
  });
});

test('after a graceful leave the snapshot no longer rejoins, unless rejoin-after-leave', async () => {
  await withNodes(async (started, dir) => {
    const snap = join(dir, 'b.snapshot');
    const a = await startNode('a', '127.0.75.3');
    started.push(a);
    const b1 = await startNode('b', '127.0.75.4', { snapshotPath: snap });
    await b1.join([addressOf(a)], true);
    await waitFor('a alive on b', () => statusOf(b1, 'a') === 'alive');
    await b1.leave();
    await b1.shutdown();
    assert.match(readFileSync(snap, 'utf8'), /^leave$/m);
    const b2 = await startNode('b', '127.0.75.4', { snapshotPath: snap });
    started.push(b2);
    assert.deepEqual(
      b2.members().map((m) => m.name),
      ['b'],
    );
    await b2.shutdown();
    const b3 = await startNode('b', '127.0.75.4', { snapshotPath: snap, rejoinAfterLeave: true });
    started.push(b3);
    await waitFor('b rejoined a', () => statusOf(b3, 'a') === 'alive');
  });
});

test('a join that ignores old events skips the pool’s past events; one that does not replays them', async () => {
  await withNodes(async (started) => {
    const a = await startNode('a', '127.0.75.5');
    started.push(a);
    await a.userEvent('old', new TextEncoder().encode('x'), false);
    const heard = async (name: string, ignoreOld: boolean, ip: string): Promise<UserEvent[]> => {
      const n = await startNode(name, ip);
      started.push(n);
      const got: UserEvent[] = [];
      n.onEvent((e) => {
        if (e.type === 'user') got.push(e);
      });
      await n.join([addressOf(a)], ignoreOld);
      await waitFor(`${name} sees a`, () => statusOf(n, 'a') === 'alive');
      return got;
    };
    const replayed = await heard('b', false, '127.0.75.6');
    await waitFor('the old event replayed through push/pull', () =>
      replayed.some((e) => e.name === 'old'),
    );
    const skipped = await heard('c', true, '127.0.75.7');
    await a.userEvent('new', new Uint8Array(0), false);
    await waitFor('the new event', () => skipped.some((e) => e.name === 'new'));
    assert.equal(
      skipped.some((e) => e.name === 'old'),
      false,
    );
  });
});

test('a node that takes an existing name loses the conflict vote and shuts down', async () => {
  await withNodes(async (started) => {
    const a = await startNode('a', '127.0.75.8');
    const b = await startNode('b', '127.0.75.9');
    const c = await startNode('c', '127.0.75.10');
    started.push(a, b, c);
    await b.join([addressOf(a)], true);
    await c.join([addressOf(a)], true);
    await waitFor(
      'three alive',
      () => a.members().filter((m) => m.status === 'alive').length === 3,
    );
    const impostor = await startNode('a', '127.0.75.11');
    started.push(impostor);
    await impostor.join([addressOf(b)], true).catch(() => 0);
    await waitFor('the impostor to shut down', () => impostor.getState() === 'shutdown', 20_000);
    assert.equal(a.getState(), 'alive');
  });
});
