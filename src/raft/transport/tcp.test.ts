// RaftNodes of one process talking over real TCP through the server port: elections,
// replication, failover, catch-up through InstallSnapshot, and hostile bytes on a Raft stream.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import pino from 'pino';

import { RpcServer, RpcType } from '../../rpc';
import { RaftNode } from '../node';
import { MemoryStorage } from '../storage/memory';
import { SqliteStorage } from '../storage/sqlite-storage';
import type { RaftStorage } from '../storage/types';
import type { LogEntry, Membership, SnapshotMeta, StateMachine } from '../types';
import { TcpTransport } from './tcp';

const silent = pino({ level: 'silent' });

/** The state is the list of applied numbers. */
class ListFsm implements StateMachine {
  values: number[] = [];

  apply(entry: LogEntry): unknown {
    this.values.push(Number(new TextDecoder().decode(entry.data)));
    return this.values.length;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.values));
  }

  restore(data: Uint8Array, _meta: SnapshotMeta): void {
    this.values = JSON.parse(new TextDecoder().decode(data)) as number[];
  }
}

interface Server {
  id: string;
  address: string;
  port: number;
  rpc: RpcServer;
  node: RaftNode;
  fsm: ListFsm;
  storage: RaftStorage;
}

interface ClusterOptions {
  storage?: (id: string) => Promise<RaftStorage>;
  snapshotThreshold?: number;
  trailingLogs?: number;
}

const everyServer: Server[] = [];
after(async () => {
  for (const server of everyServer) await stopServer(server);
});

async function listen(port = 0): Promise<RpcServer> {
  const rpc = new RpcServer({ host: '127.0.0.1', port, logger: silent });
  await rpc.listen();
  return rpc;
}

async function startServer(
  id: string,
  rpc: RpcServer,
  membership: Membership,
  storage: RaftStorage,
  options: ClusterOptions,
): Promise<Server> {
  const fsm = new ListFsm();
  const node = new RaftNode({
    id,
    address: rpc.address,
    storage,
    fsm,
    transport: new TcpTransport({ server: rpc, logger: silent }),
    bootstrap: membership,
    tickMs: 20,
    snapshotThreshold: options.snapshotThreshold,
    trailingLogs: options.trailingLogs,
  });
  await node.start();
  const server = { id, address: rpc.address, port: rpc.port, rpc, node, fsm, storage };
  everyServer.push(server);
  return server;
}

async function stopServer(server: Server): Promise<void> {
  await server.node.stop();
  await server.rpc.close();
}

async function startCluster(size: number, options: ClusterOptions = {}): Promise<Server[]> {
  const listeners = await Promise.all(Array.from({ length: size }, () => listen()));
  const membership: Membership = {
    servers: listeners.map((rpc, i) => ({ id: `s${i}`, address: rpc.address, voter: true })),
  };
  const makeStorage = options.storage ?? (async () => new MemoryStorage());
  return Promise.all(
    listeners.map(async (rpc, i) =>
      startServer(`s${i}`, rpc, membership, await makeStorage(`s${i}`), options),
    ),
  );
}

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function leaderOf(servers: Server[]): Server | null {
  const leaders = servers.filter((s) => s.node.isLeader());
  return leaders.length === 1 ? leaders[0] : null;
}

function value(n: number): Uint8Array {
  return new TextEncoder().encode(String(n));
}

async function proposeMany(leader: Server, from: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => leader.node.propose(value(from + i))));
}

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
