import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from './sim/cluster';
import { NotLeaderError } from './types';

function voters(cluster: TestCluster, id: string): string[] {
  return cluster
    .core(id)
    .membership()
    .servers.filter((s) => s.voter)
    .map((s) => s.id)
    .sort();
}

describe('raft membership changes', () => {
  it('a non-voter receives the log but does not count toward commit', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'], spares: ['n4'] });
    cluster.elect('n1');
    cluster.on('n1', (core) => core.addNonVoter('n4', 'n4:8300'));
    cluster.deliverAll();
    cluster.propose('n1', 2);
    cluster.deliverAll();
    assert.equal(cluster.core('n4').status().commitIndex, cluster.core('n1').status().commitIndex);
    cluster.crash('n2');
    cluster.crash('n3');
    const [index] = cluster.propose('n1', 1);
    cluster.deliverAll();
    assert.equal(cluster.core('n4').status().lastIndex, index, 'the non-voter has the entry');
    assert.ok(
      cluster.core('n1').status().commitIndex < index,
      'one voter and a non-voter are no quorum',
    );
  });

  it('a non-voter never campaigns; once promoted it counts', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'], spares: ['n4'] });
    cluster.elect('n1');
    cluster.on('n1', (core) => core.addNonVoter('n4', 'n4:8300'));
    cluster.deliverAll();
    cluster.tick(50, ['n4']);
    assert.equal(cluster.core('n4').status().role, 'follower');
    cluster.on('n1', (core) => core.promote('n4'));
    cluster.deliverAll();
    assert.deepEqual(voters(cluster, 'n4'), ['n1', 'n2', 'n3', 'n4']);
    cluster.crash('n3');
    const [index] = cluster.propose('n1', 1);
    cluster.deliverAll();
    assert.ok(
      cluster.core('n1').status().commitIndex >= index,
      'n1, n2 and n4 are a quorum of four',
    );
  });

  it('only one membership change may be uncommitted at a time', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'], spares: ['n4', 'n5'] });
    cluster.elect('n1');
    cluster.isolate('n1');
    cluster.on('n1', (core) => core.addNonVoter('n4', 'n4:8300'));
    assert.throws(
      () => cluster.core('n1').addNonVoter('n5', 'n5:8300'),
      /membership change in progress/,
    );
  });

  it('a leader that removes itself leads until the removal commits, then steps down', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.on('n1', (core) => core.removeServer('n1'));
    assert.equal(cluster.core('n1').status().role, 'leader', 'still leading before the commit');
    cluster.deliverAll();
    assert.equal(cluster.core('n1').status().role, 'follower');
    assert.deepEqual(voters(cluster, 'n2'), ['n2', 'n3']);
    cluster.tick(40);
    const leaders = cluster.leaders();
    assert.equal(leaders.length, 1);
    assert.notEqual(leaders[0], 'n1');
  });

  it('a removed server that hears nothing more never campaigns', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.on('n1', (core) => core.removeServer('n3'));
    cluster.deliverAll();
    cluster.propose('n1', 1);
    cluster.deliverAll(); // n3 learns that its removal committed
    const term = cluster.core('n3').currentTerm();
    cluster.tick(50, ['n3']);
    assert.equal(cluster.core('n3').currentTerm(), term);
    assert.equal(cluster.core('n3').status().role, 'follower');
  });
});

describe('raft leadership transfer', () => {
  it('catches the target up, hands over with TimeoutNow, and refuses proposals meanwhile', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.isolate('n3');
    cluster.propose('n1', 5);
    cluster.deliverAll();
    cluster.heal();
    cluster.on('n1', (core) => core.transferLeadership('n3'));
    assert.throws(() => cluster.core('n1').propose(0, new Uint8Array(4)), NotLeaderError);
    cluster.deliverAll();
    assert.deepEqual(cluster.leaders(), ['n3']);
    assert.ok(cluster.core('n3').status().commitIndex >= 7);
    const timeoutNows = cluster.sent.filter((m) => m.type === 'timeout-now');
    assert.equal(timeoutNows.length, 1);
  });

  it('a transfer to an unreachable target is abandoned after an election timeout', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.isolate('n3');
    cluster.on('n1', (core) => core.transferLeadership('n3'));
    cluster.tick(10, ['n1', 'n2']);
    assert.equal(cluster.core('n1').status().role, 'leader');
    assert.equal(cluster.core('n1').status().leadTransferee, null);
    assert.doesNotThrow(() => cluster.propose('n1', 1));
  });
});
