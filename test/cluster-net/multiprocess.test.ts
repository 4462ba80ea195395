// Three Raft servers as separate processes over TCP: kill -9 of the leader, a new leader
// commits, and the killed server comes back from its disk and catches up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Propose } from './methods';
import { ProcessCluster } from './processes';

const clusters: ProcessCluster[] = [];
after(async () => {
  for (const cluster of clusters) await cluster.stop();
});

describe('Raft servers as processes', () => {
  it('kill -9 of the leader: another server leads and commits, and the killed one catches up after restart', async () => {
    const cluster = new ProcessCluster({
      size: 3,
      hostPrefix: '127.0.1.',
      tickMs: 25,
      electionTicks: 10,
    });
    clusters.push(cluster);
    await cluster.start();
    const first = await cluster.leader();
    for (let n = 0; n < 50; n++) {
      await cluster.pool.call(cluster.address(first), Propose, { n, padding: 16 });
    }
    await cluster.converged(50);

    await cluster.kill(first);
    const second = await cluster.leader();
    assert.notEqual(second, first);
    const reply = await cluster.pool.call(cluster.address(second), Propose, { n: 50, padding: 16 });
    assert.equal(reply.applied, 51);

    await cluster.startServer(first);
    const digest = await cluster.converged(51);
    assert.equal((await cluster.status(first))?.digest, digest);
    await cluster.stop();
  });
});
