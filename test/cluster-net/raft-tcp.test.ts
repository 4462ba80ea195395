// RaftNodes of one process talking over real TCP through the server port: elections,
// replication, failover, catch-up through InstallSnapshot, and hostile bytes on a Raft stream.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { MemoryStorage } from '../../src/raft';
import { RpcType } from '../../src/rpc';
import { SqliteStorage } from '../../src/raft/storage';
import {
  leaderOf,
  listen,
  proposeMany,
  silent,
  startCluster,
  startServer,
  stopServer,
  waitFor,
  type Server,
} from './cluster';

describe('Raft over TCP', () => {
  it('three servers elect one leader and replicate to every follower', async () => {
    const servers = await startCluster(3);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    await proposeMany(leader, 0, 200);
    const expected = Array.from({ length: 200 }, (_, i) => i);
    for (const server of servers) {
      await waitFor(`${server.id} to apply`, () => server.fsm.values.length === 200);
      assert.deepEqual(
        [...server.fsm.values].sort((a, b) => a - b),
        expected,
      );
    }
    assert.deepEqual(servers[0].fsm.values, servers[1].fsm.values);
    assert.deepEqual(servers[1].fsm.values, servers[2].fsm.values);
    for (const server of servers) await stopServer(server);
  });

  it('a new leader serves writes after the old one stops, and the old one catches up on restart', async () => {
    const servers = await startCluster(3);
    const first = await waitFor('a leader', () => leaderOf(servers));
    await proposeMany(first, 0, 50);
    await stopServer(first);
    const rest = servers.filter((s) => s !== first);
    const second = await waitFor('a new leader', () => leaderOf(rest));
    assert.notEqual(second.id, first.id);
    await proposeMany(second, 50, 50);

    // The old leader comes back on its address with its storage and catches up.
    const membership = {
      servers: servers.map((s) => ({ id: s.id, address: s.address, voter: true })),
    };
    const restarted = await startServer(
      first.id,
      await listen(first.port),
      membership,
      first.storage,
      {},
    );
    await waitFor('the restarted server to catch up', () => restarted.fsm.values.length === 100);
    assert.deepEqual(restarted.fsm.values, second.fsm.values);
    for (const server of [...rest, restarted]) await stopServer(server);
  });

  it('a follower that missed compacted entries catches up through InstallSnapshot', async () => {
    const servers = await startCluster(3, { snapshotThreshold: 20, trailingLogs: 5 });
    const leader = await waitFor('a leader', () => leaderOf(servers));
    const follower = servers.find((s) => s !== leader) as Server;
    await stopServer(follower);
    await proposeMany(leader, 0, 150);
    const status = leader.node.status();
    assert.ok(status.lastSnapshotIndex > 0, 'the leader compacted its log');

    const membership = {
      servers: servers.map((s) => ({ id: s.id, address: s.address, voter: true })),
    };
    const fresh = new MemoryStorage();
    const back = await startServer(follower.id, await listen(follower.port), membership, fresh, {
      snapshotThreshold: 20,
      trailingLogs: 5,
    });
    await waitFor('the follower to catch up', () => back.fsm.values.length === 150);
    assert.deepEqual(back.fsm.values, leader.fsm.values);
    assert.ok(back.node.status().lastSnapshotIndex > 0, 'it was brought up by a snapshot');
    for (const server of servers.filter((s) => s !== follower)) await stopServer(server);
    await stopServer(back);
  });

  it('five servers on SQLite storage keep committing with two of them down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-tcp-'));
    try {
      const servers = await startCluster(5, {
        storage: (id) => SqliteStorage.open(join(dir, id), { logger: silent }),
      });
      const leader = await waitFor('a leader', () => leaderOf(servers));
      await proposeMany(leader, 0, 20);
      const followers = servers.filter((s) => s !== leader);
      await stopServer(followers[0]);
      await stopServer(followers[1]);
      await proposeMany(leader, 20, 20);
      for (const server of [leader, followers[2], followers[3]]) {
        await waitFor(`${server.id} to apply`, () => server.fsm.values.length === 40);
      }
      for (const server of [leader, followers[2], followers[3]]) await stopServer(server);
      for (const server of servers) await server.storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('garbage on a Raft connection closes that connection and the cluster keeps working', async () => {
    const servers = await startCluster(3);
    const leader = await waitFor('a leader', () => leaderOf(servers));
    for (const junk of [
      Buffer.from([RpcType.Raft, 0xff, 0xff, 0xff, 0xff]), // announces a 4 GiB frame
      Buffer.concat([Buffer.from([RpcType.Raft, 0, 0, 0, 3]), Buffer.from([0xc1, 0xc1, 0xc1])]),
      Buffer.concat([Buffer.from([RpcType.Raft, 0, 0, 0, 1]), Buffer.from([0x2a])]), // the number 42
    ]) {
      const socket = connect({ host: '127.0.0.1', port: leader.port });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(junk);
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    }
    await proposeMany(leader, 0, 10);
    for (const server of servers) {
      await waitFor(`${server.id} to apply`, () => server.fsm.values.length === 10);
    }
    for (const server of servers) await stopServer(server);
  });
});
