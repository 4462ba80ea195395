import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from './sim/cluster';

describe('raft ReadIndex', () => {
  it('a read is confirmed only after a quorum answers the heartbeat round', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.propose('n1', 3);
    cluster.deliverAll();
    cluster.isolate('n1');
    cluster.on('n1', (core) => core.readIndex(1));
    cluster.deliverAll();
    assert.deepEqual(cluster.reads.get('n1'), [], 'no quorum, no read');
    cluster.heal();
    cluster.tick(1);
    assert.deepEqual(cluster.reads.get('n1'), [
      { requestId: 1, index: cluster.core('n1').status().commitIndex },
    ]);
  });

  it('acknowledgements from a minority do not confirm a read', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    cluster.elect('n1');
    for (const id of ['n3', 'n4', 'n5']) {
      cluster.cutLink('n1', id);
      cluster.cutLink(id, 'n1');
    }
    cluster.on('n1', (core) => core.readIndex(1));
    cluster.tick(2, ['n1', 'n2']);
    assert.deepEqual(cluster.reads.get('n1'), [], 'n1 and n2 are two of five');
    cluster.heal();
    cluster.tick(1, ['n1', 'n2']);
    assert.equal(cluster.reads.get('n1')?.length, 1);
  });

  it('concurrent reads share one heartbeat round', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    const before = cluster.sent.length;
    cluster.on('n1', (core) => {
      for (let id = 1; id <= 5; id++) core.readIndex(id);
    });
    cluster.deliverAll();
    const heartbeats = cluster.sent.slice(before).filter((m) => m.type === 'heartbeat');
    assert.equal(heartbeats.length, 2, 'one heartbeat per follower');
    assert.deepEqual(
      cluster.reads.get('n1')?.map((r) => r.requestId),
      [1, 2, 3, 4, 5],
    );
  });

  it('a new leader serves no read until it has committed an entry of its own term', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.propose('n1', 2);
    cluster.deliverAll();
    cluster.crash('n1');
    // n2 wins, but its no-op does not reach anyone yet.
    cluster.filter = (m) => m.type !== 'append';
    cluster.tick(40, ['n2', 'n3']);
    const [leader] = cluster.leaders();
    assert.ok(leader === 'n2' || leader === 'n3');
    cluster.on(leader, (core) => core.readIndex(7));
    cluster.tick(2, ['n2', 'n3']);
    assert.deepEqual(
      cluster.reads.get(leader),
      [],
      'heartbeats answered, but nothing committed in this term',
    );
    cluster.filter = () => true;
    cluster.tick(2, ['n2', 'n3']);
    const read = cluster.reads.get(leader)?.[0];
    assert.equal(read?.requestId, 7);
    assert.equal(cluster.core(leader).termAt(read?.index ?? 0), cluster.core(leader).currentTerm());
  });

  it('a single voter confirms a read at once', () => {
    const cluster = new TestCluster({ voters: ['n1'] });
    cluster.elect('n1');
    cluster.on('n1', (core) => core.readIndex(1));
    assert.deepEqual(cluster.reads.get('n1'), [
      { requestId: 1, index: cluster.core('n1').status().commitIndex },
    ]);
  });

  it('a follower refuses to serve ReadIndex', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    assert.throws(() => cluster.core('n2').readIndex(1), {
      name: 'NotLeaderError',
      leaderId: 'n1',
    });
  });
});
