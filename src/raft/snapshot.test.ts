import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SnapshotChunkRequest } from './messages';
import { TestCluster } from './sim/cluster';

/** A cluster where n3 missed entries the others have compacted away. */
function clusterWithLaggard(): TestCluster {
  const cluster = new TestCluster({
    voters: ['n1', 'n2', 'n3'],
    tuning: { trailingLogs: 0, snapshotEvery: 5, snapshotChunkSize: 8 },
  });
  cluster.elect('n1');
  cluster.isolate('n3');
  for (let i = 0; i < 6; i++) {
    cluster.propose('n1', 4);
    cluster.deliverAll();
  }
  assert.ok(
    cluster.core('n1').status().firstIndex > cluster.core('n3').status().lastIndex + 1,
    'n3 needs compacted entries',
  );
  cluster.heal();
  return cluster;
}

function chunksTo(cluster: TestCluster, id: string): SnapshotChunkRequest[] {
  return cluster.sent.filter(
    (m): m is SnapshotChunkRequest => m.type === 'snapshot' && m.to === id,
  );
}

function assertCaughtUp(cluster: TestCluster, id: string): void {
  const leader = cluster.host('n1');
  const follower = cluster.host(id);
  assert.equal(follower.lastApplied, leader.lastApplied);
  assert.equal(follower.fsm.hash, leader.fsm.hash, 'same state');
  assert.equal(follower.core?.status().lastIndex, leader.core?.status().lastIndex);
}

describe('raft InstallSnapshot', () => {
  it('sends a lagging follower the snapshot in chunks, resumes after a lost chunk, then appends again', () => {
    const cluster = clusterWithLaggard();
    let dropped = 0;
    cluster.filter = (m) => !(m.type === 'snapshot' && m.offset === 8 && dropped++ === 0);
    cluster.tick(5);
    const chunks = chunksTo(cluster, 'n3');
    const size = chunks[0].meta.size;
    assert.ok(size > 8, `snapshot of ${size} bytes spans several chunks`);
    assert.equal(dropped > 0, true, 'the second chunk was lost once');
    assert.ok(chunks.filter((c) => c.offset === 8).length >= 2, 'and sent again');
    assert.equal(cluster.host('n3').disk.latestSnapshot()?.meta.index, chunks[0].meta.index);
    assertCaughtUp(cluster, 'n3');
    cluster.propose('n1', 2);
    cluster.deliverAll();
    assertCaughtUp(cluster, 'n3');
  });

  it('a follower that restarts mid-transfer keeps the bytes it stored and completes', () => {
    const cluster = clusterWithLaggard();
    // Let exactly two chunks in, then crash n3.
    let delivered = 0;
    cluster.filter = (m) => m.type !== 'snapshot' || delivered++ < 2;
    cluster.tick(1);
    assert.equal(cluster.host('n3').disk.sink?.received, 16);
    cluster.crash('n3');
    cluster.restart('n3');
    cluster.filter = () => true;
    cluster.tick(5);
    assertCaughtUp(cluster, 'n3');
  });
});
