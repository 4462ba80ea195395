// Forming a cluster the way Consul does: servers that expect N bootstrap once N are seen, a
// server arriving later is added by the leader's autopilot as a non-voter and promoted once
// stable, a server that leaves is removed. Membership comes from a ServerDiscovery the test
// drives (the gossip pool feeds the same interface in the agent).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { MemoryStorage } from '../../src/raft';
import { ConnPool } from '../../src/rpc';
import {
  Autopilot,
  DEFAULT_AUTOPILOT,
  ExpectBootstrapper,
  serveRaftRpc,
  type KnownServer,
  type ServerDiscovery,
} from '../../src/server';
import { leaderOf, listen, silent, startServer, stopServer, waitFor, type Server } from './cluster';

/** The servers a gossip pool would report, changed by the test. */
class TestDiscovery implements ServerDiscovery {
  private readonly known = new Map<string, KnownServer>();
  private readonly listeners = new Set<() => void>();

  servers(): KnownServer[] {
    return [...this.known.values()];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(server: KnownServer): void {
    this.known.set(server.id, server);
    for (const listener of this.listeners) listener();
  }
}

const stops: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

interface Member {
  server: Server;
  known: KnownServer;
}

async function emptyServer(id: string, discovery: TestDiscovery, expect: number): Promise<Member> {
  const rpc = await listen();
  const server = await startServer(id, rpc, undefined, new MemoryStorage(), {});
  serveRaftRpc(rpc, server.node);
  const pool = new ConnPool({ logger: silent });
  const bootstrapper = new ExpectBootstrapper({
    expect,
    datacenter: 'dc1',
    raft: server.node,
    discovery,
    pool,
    logger: silent,
    peerQueryAttempts: 3,
    firstRetryMs: 100,
  });
  const autopilot = new Autopilot({
    raft: server.node,
    discovery,
    datacenter: 'dc1',
    config: () => ({ ...DEFAULT_AUTOPILOT, serverStabilizationTimeMs: 300 }),
    logger: silent,
    intervalMs: 100,
  });
  const follow = (): void => autopilot.setEnabled(server.node.isLeader());
  server.node.onLeaderChange(follow);
  stops.push(
    () => pool.close(),
    () => bootstrapper.stop(),
    () => autopilot.stop(),
    () => stopServer(server),
  );
  const known: KnownServer = {
    id,
    name: `node-${id}`,
    address: rpc.address,
    datacenter: 'dc1',
    status: 'alive',
    expect,
    bootstrap: false,
    readReplica: false,
  };
  return { server, known };
}

function voters(server: Server): string[] {
  return server.node
    .status()
    .membership.servers.filter((s) => s.voter)
    .map((s) => s.id)
    .sort();
}

describe('cluster formation', () => {
  it('three servers expecting 3 bootstrap once the third is seen, then a fourth is added and promoted', async () => {
    const discovery = new TestDiscovery();
    const members = [
      await emptyServer('a', discovery, 3),
      await emptyServer('b', discovery, 3),
      await emptyServer('c', discovery, 3),
    ];
    discovery.set(members[0].known);
    discovery.set(members[1].known);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(members[0].server.node.status().lastLogIndex, 0, 'two of three: no bootstrap');

    discovery.set(members[2].known);
    const servers = members.map((m) => m.server);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    assert.deepEqual(voters(leader), ['a', 'b', 'c']);

    const fourth = await emptyServer('d', discovery, 3);
    discovery.set(fourth.known);
    await waitFor('the fourth server to join as a non-voter', () =>
      leader.node.status().membership.servers.some((s) => s.id === 'd'),
    );
    await waitFor('the fourth server to be promoted', () => voters(leader).includes('d'), 15_000);
    assert.equal(fourth.server.node.status().lastLogIndex > 0, true, 'it did not bootstrap alone');
    await waitFor('the fourth server to apply its promotion', () =>
      voters(fourth.server).includes('d'),
    );
    assert.deepEqual(voters(fourth.server), ['a', 'b', 'c', 'd']);

    discovery.set({ ...fourth.known, status: 'left' });
    await waitFor('the server that left to be removed', () => !voters(leader).includes('d'));
  });

  it('a server with a different expect value stops everyone from bootstrapping', async () => {
    const discovery = new TestDiscovery();
    const members = [await emptyServer('x', discovery, 2), await emptyServer('y', discovery, 3)];
    for (const member of members) discovery.set(member.known);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const member of members) assert.equal(member.server.node.status().lastLogIndex, 0);
  });
});
