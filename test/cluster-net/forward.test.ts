// A follower forwards writes to the leader over the server port and serves reads once it has
// applied what the leader had; without a leader both give up after the hold timeout.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { NotLeaderError } from '../../src/raft';
import { ConnPool } from '../../src/rpc';
import { LeaderForwarder, serveRaftRpc } from '../../src/server';
import { leaderOf, silent, startCluster, stopServer, value, waitFor, type Server } from './cluster';

const pools: ConnPool[] = [];
after(() => pools.forEach((pool) => pool.close()));

async function forwardingCluster(size: number): Promise<Server[]> {
  const servers = await startCluster(size);
  for (const server of servers) serveRaftRpc(server.rpc, server.node);
  return servers;
}

function forwarderOf(server: Server, holdTimeoutMs?: number): LeaderForwarder {
  const pool = new ConnPool({ logger: silent });
  pools.push(pool);
  return new LeaderForwarder(server.node, pool, holdTimeoutMs);
}

describe('forwarding between servers', () => {
  it('a write sent to a follower is applied by the leader and replicated everywhere', async () => {
    const servers = await forwardingCluster(3);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const follower = servers.find((s) => s !== leader) as Server;
    const forwarder = forwarderOf(follower);
    const replies = await Promise.all([1, 2, 3].map((n) => forwarder.apply(value(n))));
    assert.deepEqual(
      replies.map((reply) => reply.result),
      [1, 2, 3],
    );
    for (const server of servers) {
      await waitFor(`${server.id} to apply`, () => server.fsm.values.length === 3);
    }
    for (const server of servers) await stopServer(server);
  });

  it('a follower read waits until the follower has applied every acknowledged write', async () => {
    const servers = await forwardingCluster(3);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const follower = servers.find((s) => s !== leader) as Server;
    const forwarder = forwarderOf(follower);
    for (let n = 0; n < 20; n++) {
      const written = await leader.node.propose(value(n));
      for (const consistent of [false, true]) {
        const index = await forwarder.readIndex(consistent);
        assert.ok(index >= written.index, `read index ${index} covers write ${written.index}`);
        assert.ok(follower.fsm.values.includes(n), 'the follower holds the write when it reads');
      }
    }
    for (const server of servers) await stopServer(server);
  });

  it('without a quorum, writes and reads through a follower fail with No cluster leader', async () => {
    const servers = await forwardingCluster(3);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const [survivor, other] = servers.filter((s) => s !== leader);
    await stopServer(leader);
    await stopServer(other);
    const forwarder = forwarderOf(survivor, 800);
    await assert.rejects(forwarder.apply(value(1)), NotLeaderError);
    await assert.rejects(forwarder.readIndex(false), NotLeaderError);
    await stopServer(survivor);
  });
});
