// Operator actions on a three-server cluster over TCP: the configuration as any server sees it,
// removing a peer and transferring leadership through a follower (forwarded to the leader).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { ConnPool } from '../../src/rpc';
import { LeaderForwarder, PeerNotFoundError, RaftOperator, serveRaftRpc } from '../../src/server';
import { leaderOf, silent, startCluster, stopServer, waitFor, type Server } from './cluster';

const pools: ConnPool[] = [];
after(() => pools.forEach((pool) => pool.close()));

async function operatorCluster(): Promise<{
  servers: Server[];
  operators: Map<string, RaftOperator>;
}> {
  const servers = await startCluster(3);
  const operators = new Map<string, RaftOperator>();
  for (const server of servers) {
    serveRaftRpc(server.rpc, server.node);
    const pool = new ConnPool({ logger: silent });
    pools.push(pool);
    const operator = new RaftOperator(
      server.node,
      new LeaderForwarder(server.node, pool),
      (id) => `node-${id}`,
    );
    operator.serve(server.rpc);
    operators.set(server.id, operator);
  }
  return { servers, operators };
}

describe('raft operator', () => {
  it('every server reports the same configuration with one leader', async () => {
    const { servers, operators } = await operatorCluster();
    const leader = await waitFor('a leader', () => leaderOf(servers));
    await waitFor('every server to know the leader', () =>
      servers.every((s) => s.node.status().leaderId === leader.id),
    );
    for (const server of servers) {
      const view = operators.get(server.id)?.configuration();
      assert.ok(view !== undefined);
      assert.deepEqual(
        view.servers.map((s) => [s.id, s.node, s.voter, s.leader]),
        servers.map((s) => [s.id, `node-${s.id}`, true, s.id === leader.id]),
      );
      assert.ok(view.index > 0);
    }
    for (const server of servers) await stopServer(server);
  });

  it('a follower removes a peer through the leader', async () => {
    const { servers, operators } = await operatorCluster();
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const [follower, removed] = servers.filter((s) => s !== leader);
    await operators.get(follower.id)?.removePeer({ address: removed.address });
    await waitFor('the removal to reach the follower', () =>
      follower.node.status().membership.servers.every((s) => s.id !== removed.id),
    );
    await assert.rejects(
      operators.get(follower.id)?.removePeer({ id: 'nope' }) ?? Promise.resolve(),
      PeerNotFoundError,
    );
    for (const server of servers) await stopServer(server);
  });

  it('a follower hands leadership to a chosen server', async () => {
    const { servers, operators } = await operatorCluster();
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const [asker, target] = servers.filter((s) => s !== leader);
    await operators.get(asker.id)?.transferLeader(target.id);
    await waitFor('the chosen server to lead', () => target.node.isLeader());
    for (const server of servers) await stopServer(server);
  });
});
