// RaftNode clusters in one process over the real TCP transport (RpcServer per node on
// 127.0.0.x): election, replication, restart catch-up, InstallSnapshot, failover.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { command, NetCluster } from './support';

const clusters: NetCluster[] = [];
after(async () => {
  for (const cluster of clusters) await cluster.stop();
});

async function startCluster(
  options: ConstructorParameters<typeof NetCluster>[0],
): Promise<NetCluster> {
  const cluster = new NetCluster(options);
  clusters.push(cluster);
  await cluster.start();
  return cluster;
}

async function proposeAll(
  cluster: NetCluster,
  leader: string,
  from: number,
  count: number,
  padding = 0,
): Promise<void> {
  const node = cluster.node(leader);
  await Promise.all(
    Array.from({ length: count }, (_, i) => node.propose(command(from + i, padding))),
  );
}

describe('RaftNode over TCP', () => {
  it('three servers elect one leader and replicate proposals to every server', async () => {
    const cluster = await startCluster({ size: 3, storage: 'memory' });
    const leader = await cluster.leader();
    await proposeAll(cluster, leader, 0, 200);
    await cluster.converged(200);
    await cluster.stop();
  });

  it('five servers elect one leader, replicate, and elect another when the leader stops', async () => {
    const cluster = await startCluster({ size: 5, storage: 'memory' });
    const first = await cluster.leader();
    await proposeAll(cluster, first, 0, 100);
    await cluster.converged(100);
    await cluster.stopMember(first);
    const second = await cluster.leader([first]);
    assert.notEqual(second, first);
    const { result } = await cluster.node(second).propose(command(100));
    assert.equal(result, 101);
    await cluster.converged(101);
    await cluster.stop();
  });

  it('a restarted follower catches up on what it missed', async () => {
    const cluster = await startCluster({ size: 3, storage: 'memory' });
    const leader = await cluster.leader();
    await proposeAll(cluster, leader, 0, 50);
    await cluster.converged(50);
    const follower = cluster.ids.find((id) => id !== leader) as string;
    await cluster.stopMember(follower);
    await proposeAll(cluster, leader, 50, 50);
    await cluster.startMember(follower);
    const digest = await cluster.converged(100);
    assert.equal(cluster.member(follower).fsm.digest(), digest);
    await cluster.stop();
  });

  it('a follower behind the compacted log receives the snapshot in chunks over TCP', async () => {
    const cluster = await startCluster({
      size: 3,
      storage: 'memory',
      snapshotThreshold: 100,
      trailingLogs: 10,
    });
    const leader = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== leader) as string;
    await cluster.stopMember(follower);
    // 3000 commands of 1 KiB: the snapshot (~3 MiB) needs several 1 MiB chunks.
    for (let batch = 0; batch < 30; batch++)
      await proposeAll(cluster, leader, batch * 100, 100, 1024);
    assert.ok(cluster.node(leader).status().lastSnapshotIndex > 0, 'the leader compacted');
    await cluster.startMember(follower);
    const digest = await cluster.converged(3000);
    const restarted = cluster.member(follower);
    assert.ok(restarted.fsm.restoredAt > 0, 'the follower restored from a snapshot');
    assert.equal(restarted.fsm.digest(), digest);
    await cluster.stop();
  });

  it('three servers on SQLite survive restarts: a follower catches up from disk and the leader fails over', async () => {
    const cluster = await startCluster({
      size: 3,
      storage: 'sqlite',
      snapshotThreshold: 200,
      trailingLogs: 20,
    });
    const leader = await cluster.leader();
    await proposeAll(cluster, leader, 0, 100);
    await cluster.converged(100);
    const follower = cluster.ids.find((id) => id !== leader) as string;
    await cluster.stopMember(follower);
    for (let batch = 0; batch < 4; batch++)
      await proposeAll(cluster, leader, 100 + batch * 100, 100);
    await cluster.startMember(follower);
    await cluster.converged(500);
    assert.ok(cluster.member(follower).fsm.restoredAt > 0, 'caught up through InstallSnapshot');

    await cluster.stopMember(leader);
    const next = await cluster.leader([leader]);
    await proposeAll(cluster, next, 500, 10);
    await cluster.startMember(leader);
    const digest = await cluster.converged(510);
    assert.equal(cluster.member(leader).fsm.digest(), digest);
    await cluster.stop();
  });
});
