import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppendResponse } from './messages';
import { TestCluster } from './sim/cluster';
import { commandPayload } from './sim/fsm';
import { EntryType, type LogEntry, type NodeId } from './types';

/** The same (index, term) always gets the same payload, so logs agree where terms agree. */
function entry(index: number, term: number): LogEntry {
  return { index, term, type: EntryType.Command, data: commandPayload(index * 100 + term) };
}

/** Replaces `id`'s log after the bootstrap entry with entries of the given terms. */
function rewriteLog(cluster: TestCluster, id: NodeId, terms: number[], term: number): void {
  const host = cluster.host(id);
  host.crash();
  host.disk.write(terms.map((t, i) => entry(i + 2, t)));
  host.disk.hardState = { term, votedFor: null, commit: 0 };
  host.start();
}

function rejectionsFrom(cluster: TestCluster, id: NodeId): number {
  return cluster.sent.filter((m) => m.type === 'append-response' && m.from === id && !m.success)
    .length;
}

describe('raft log replication', () => {
  it('the conflict hint skips a whole conflicting term in one round trip', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    const ones = new Array<number>(9).fill(1);
    rewriteLog(cluster, 'n1', [...ones, ...new Array<number>(10).fill(3)], 3);
    rewriteLog(cluster, 'n3', [...ones, ...new Array<number>(10).fill(3)], 3);
    rewriteLog(cluster, 'n2', [...ones, ...new Array<number>(50).fill(2)], 2);
    cluster.elect('n1');
    assert.equal(rejectionsFrom(cluster, 'n2'), 1, 'one rejection, not one per stale entry');
    const leader = cluster.core('n1').status();
    assert.equal(cluster.core('n2').status().lastIndex, leader.lastIndex);
    for (let i = 1; i <= leader.lastIndex; i++) {
      assert.equal(cluster.core('n2').termAt(i), cluster.core('n1').termAt(i), `term at ${i}`);
    }
  });

  it('an entry of an earlier term is not committed by counting replicas, only by a current-term entry', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    rewriteLog(cluster, 'n1', [2], 3);
    rewriteLog(cluster, 'n2', [2], 3);
    cluster.filter = (m) => m.type !== 'append';
    cluster.elect('n1');
    const term = cluster.core('n1').currentTerm();
    assert.equal(cluster.core('n1').status().role, 'leader');
    const ack = (index: number): AppendResponse => ({
      type: 'append-response',
      from: 'n2',
      to: 'n1',
      term,
      success: true,
      index,
      hintTerm: 0,
      hintIndex: 0,
    });
    cluster.on('n1', (core) => core.step(ack(2)));
    assert.equal(
      cluster.core('n1').status().commitIndex,
      0,
      'index 2 (term 2) is on a quorum but not committed',
    );
    cluster.on('n1', (core) => core.step(ack(3)));
    assert.equal(
      cluster.core('n1').status().commitIndex,
      3,
      'the no-op of the current term commits both',
    );
  });

  it('a follower commits no further than the entries the leader vouched for', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    rewriteLog(cluster, 'n2', [1, 2], 2); // index 3 (term 2) is stale
    cluster.on('n2', (core) =>
      core.step({
        type: 'append',
        from: 'n1',
        to: 'n2',
        term: 3,
        prevIndex: 1,
        prevTerm: 1,
        entries: [entry(2, 1)],
        commit: 3,
      }),
    );
    assert.equal(cluster.core('n2').status().commitIndex, 2);
  });

  it('a follower in replicate state gets at most maxInflight unacknowledged appends', () => {
    const cluster = new TestCluster({
      voters: ['n1', 'n2', 'n3'],
      tuning: { maxInflight: 2, maxAppendEntries: 1 },
    });
    cluster.elect('n1');
    cluster.filter = (m) => m.to !== 'n2';
    const before = cluster.sent.length;
    cluster.propose('n1', 10);
    cluster.deliverAll();
    const appendsToN2 = cluster.sent
      .slice(before)
      .filter((m) => m.type === 'append' && m.to === 'n2');
    assert.equal(appendsToN2.length, 2);
    assert.equal(cluster.core('n3').status().lastIndex, cluster.core('n1').status().lastIndex);
    cluster.filter = () => true;
    cluster.tick(3);
    assert.equal(cluster.core('n2').status().lastIndex, cluster.core('n1').status().lastIndex);
    assert.equal(cluster.core('n2').status().commitIndex, cluster.core('n1').status().commitIndex);
  });

  it('a crashed follower restarts from its disk and catches up', () => {
    const cluster = new TestCluster({ voters: ['n1', 'n2', 'n3'] });
    cluster.elect('n1');
    cluster.propose('n1', 5);
    cluster.deliverAll();
    cluster.crash('n2');
    cluster.propose('n1', 5);
    cluster.deliverAll();
    cluster.restart('n2');
    assert.ok(cluster.core('n2').status().lastIndex >= 7, 'kept what it had persisted');
    cluster.tick(2);
    const leaderApplied = cluster.applied.get('n1')?.map((e) => e.index);
    assert.deepEqual(
      cluster.applied.get('n2')?.map((e) => e.index),
      leaderApplied,
    );
  });
});
