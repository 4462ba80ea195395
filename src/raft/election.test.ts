import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from './sim/cluster';

describe('raft elections', () => {
  it('a single voter elects itself at once and commits its no-op', () => {
    const cluster = new TestCluster({ voters: ['n1'] });
    cluster.elect('n1');
    const status = cluster.core('n1').status();
    assert.equal(status.role, 'leader');
    assert.equal(status.commitIndex, status.lastIndex);
  });

  it('three servers elect exactly one leader through election timeouts', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.tick(25);
    assert.equal(cluster.leaders().length, 1);
    const leader = cluster.leaders()[0];
    for (const id of ['n1', 'n2', 'n3']) assert.equal(cluster.core(id).status().leaderId, leader);
  });

  it('pre-vote keeps a rejoining partitioned server from raising the term and deposing the leader', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    const term = cluster.core('n1').currentTerm();
    cluster.isolate('n3');
    cluster.tick(100);
    assert.equal(cluster.core('n3').currentTerm(), term, 'pre-candidates do not bump their term');
    cluster.heal();
    cluster.tick(5);
    assert.deepEqual(cluster.leaders(), ['n1']);
    assert.equal(cluster.core('n1').currentTerm(), term);
  });

  it('without pre-vote the same rejoin does disrupt (the test above can fail)', () => {
    const cluster = new TestCluster({
      voters: ['n1', 'n2', 'n3'],
      tuning: { preVote: false, checkQuorum: false },
    });
    cluster.elect('n1');
    const term = cluster.core('n1').currentTerm();
    cluster.isolate('n3');
    cluster.tick(100);
    cluster.heal();
    cluster.tick(25);
    assert.ok(cluster.core('n1').currentTerm() > term);
  });

  it('check-quorum: a leader cut off from a quorum steps down within two election timeouts', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.isolate('n1');
    cluster.tick(20, ['n1']);
    assert.equal(cluster.core('n1').status().role, 'follower');
  });

  it('a leader in contact with a quorum keeps leading', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.isolate('n3');
    cluster.tick(50, ['n1', 'n2']);
    assert.equal(cluster.core('n1').status().role, 'leader');
  });

  it('leader lease: a follower that heard from its leader ignores a higher-term vote request', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    const term = cluster.core('n2').currentTerm();
    const sentBefore = cluster.sent.length;
    cluster.on('n2', (core) =>
      core.step({
        type: 'vote',
        from: 'n3',
        to: 'n2',
        term: term + 5,
        lastLogIndex: 99,
        lastLogTerm: term,
        transfer: false,
      }),
    );
    assert.equal(cluster.core('n2').currentTerm(), term);
    assert.equal(cluster.sent.length, sentBefore, 'no vote response at all');
  });

  it('a candidate with a stale log is refused', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.isolate('n3');
    cluster.propose('n1', 3);
    cluster.deliverAll();
    cluster.heal();
    cluster.crash('n1');
    cluster.tick(40, ['n3']); // n3 campaigns alone first: n2 must refuse it
    assert.notEqual(cluster.core('n3').status().role, 'leader');
    cluster.tick(40, ['n2', 'n3']);
    assert.deepEqual(cluster.leaders(), ['n2']);
  });
});
