// Snapshots and autopilot on a three-server cluster over TCP, each server with the real state
// store and FSM: a restore asked of a follower reaches every server, a corrupt one changes
// nothing anywhere, and autopilot's configuration and health are shared through the leader.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';

import { MemoryStorage, RaftNode, TcpTransport, type Membership } from '../../src/raft';
import { ConnPool, type RpcServer } from '../../src/rpc';
import {
  Autopilot,
  AutopilotOperator,
  DEFAULT_AUTOPILOT,
  LeaderForwarder,
  RESTORE_CHUNK_BYTES,
  serveRaftRpc,
  SnapshotArchiveError,
  SnapshotService,
  type KnownServer,
} from '../../src/server';
import { encodeCommand, Fsm, StateStore, type Command } from '../../src/state';
import { listen, silent, waitFor } from './cluster';

interface StateServer {
  id: string;
  rpc: RpcServer;
  node: RaftNode;
  store: StateStore;
  apply: (cmd: Command) => Promise<unknown>;
  snapshots: SnapshotService;
  autopilot: AutopilotOperator;
}

const stops: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

async function startStateCluster(): Promise<StateServer[]> {
  const listeners = await Promise.all([listen(), listen(), listen()]);
  const membership: Membership = {
    servers: listeners.map((rpc, i) => ({ id: `s${i}`, address: rpc.address, voter: true })),
  };
  const known: KnownServer[] = membership.servers.map((server) => ({
    id: server.id,
    name: `node-${server.id}`,
    address: server.address,
    datacenter: 'dc1',
    status: 'alive',
    expect: 3,
    bootstrap: false,
    readReplica: false,
  }));
  const discovery = { servers: () => known, onChange: () => () => undefined };
  return Promise.all(
    listeners.map(async (rpc, i) => {
      const store = new StateStore();
      const node = new RaftNode({
        id: `s${i}`,
        address: rpc.address,
        storage: new MemoryStorage(),
        fsm: new Fsm(store),
        transport: new TcpTransport({ server: rpc, logger: silent }),
        bootstrap: membership,
        tickMs: 20,
      });
      await node.start();
      serveRaftRpc(rpc, node);
      const pool = new ConnPool({ logger: silent });
      const forwarder = new LeaderForwarder(node, pool);
      const apply = async (cmd: Command): Promise<unknown> =>
        (await forwarder.apply(encodeCommand(cmd))).result;
      const autopilotRef: { current: AutopilotOperator | null } = { current: null };
      const pilot = new Autopilot({
        raft: node,
        discovery,
        datacenter: 'dc1',
        config: () => autopilotRef.current?.values() ?? DEFAULT_AUTOPILOT,
        logger: silent,
        intervalMs: 100,
      });
      const autopilot = new AutopilotOperator({
        raft: node,
        store,
        forwarder,
        apply,
        seed: { ...DEFAULT_AUTOPILOT, maxTrailingLogs: 500 },
        health: () => pilot.health(),
        logger: silent,
      });
      autopilotRef.current = autopilot;
      const stopServing = autopilot.serve(rpc);
      const follow = (): void => pilot.setEnabled(node.isLeader());
      const stopFollowing = node.onLeaderChange(follow);
      follow();
      const snapshots = new SnapshotService({
        raft: node,
        store,
        apply,
        readIndex: (consistent, signal) => forwarder.readIndex(consistent, signal),
      });
      stops.push(async () => {
        stopFollowing();
        stopServing();
        await pilot.stop();
        await autopilot.stop();
        pool.close();
        await node.stop();
        await rpc.close();
      });
      return { id: `s${i}`, rpc, node, store, apply, snapshots, autopilot };
    }),
  );
}

async function leaderOf(servers: StateServer[]): Promise<StateServer> {
  const leader = await waitFor('a leader known to every server', () => {
    const leaders = servers.filter((s) => s.node.isLeader());
    if (leaders.length !== 1) return null;
    return servers.every((s) => s.node.status().leaderId === leaders[0].id) ? leaders[0] : null;
  });
  return leader;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every server's KV tree as key=value lines. */
function trees(servers: StateServer[]): string[] {
  return servers.map((s) =>
    s.store
      .kvList('')
      .value.map((e) => `${e.key}=${Buffer.from(e.value).toString()}@${e.modifyIndex}`)
      .join('\n'),
  );
}

const put = (key: string, value: string | Buffer): Command => ({
  type: 'kv-set',
  key,
  value: typeof value === 'string' ? Buffer.from(value) : value,
  flags: 0n,
});

describe('snapshots on a three-server cluster', () => {
  it('a restore asked of a follower reaches every server', async () => {
    const servers = await startStateCluster();
    const leader = await leaderOf(servers);
    const [follower, other] = servers.filter((s) => s !== leader);
    // Enough state for several restore chunks.
    const big = Buffer.alloc(4096, 'v');
    const count = Math.ceil((3 * RESTORE_CHUNK_BYTES) / big.length);
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) =>
          leader.apply(put(`data/${String(i + j).padStart(4, '0')}`, big)),
        ),
      );
    }
    await leader.apply(put('marker', 'saved'));
    const saved = await other.snapshots.save(false);
    const archive = await bytesOf(saved.archive);
    await waitFor('every server to apply the saved state', () =>
      servers.every((s) => s.store.lastIndex() >= saved.index),
    );
    const expected = trees([other])[0];

    await follower.apply(put('marker', 'changed'));
    await follower.apply({ type: 'kv-delete-tree', prefix: 'data/' });
    await follower.snapshots.restore(Readable.from([archive]));

    await waitFor('the restored state on every server', () =>
      trees(servers).every((tree) => tree === expected),
    );
    for (const server of servers) {
      assert.equal(
        Buffer.from(server.store.kvGet('marker').value?.value ?? []).toString(),
        'saved',
      );
      assert.equal(server.store.kvList('data/').value.length, count);
      assert.equal(server.store.restoring(), null);
    }
  });

  it('a corrupt archive asked of a follower is refused and no server changes', async () => {
    const servers = await startStateCluster();
    const leader = await leaderOf(servers);
    const follower = servers.find((s) => s !== leader) ?? leader;
    await leader.apply(put('kept', 'yes'));
    const archive = await bytesOf((await follower.snapshots.save(false)).archive);
    const raw = gunzipSync(archive);
    // One hex digit of state.bin's listed hash: the archive no longer checks out.
    const listed = raw.indexOf('  state.bin\n') - 1;
    raw[listed] = raw[listed] === 0x30 ? 0x31 : 0x30;
    await leader.apply(put('after-save', 'still here'));
    const before = await waitFor('every server to apply the writes', () => {
      const now = trees(servers);
      return now.every((tree) => tree === now[0]) ? now : null;
    });
    const lastLog = leader.node.status().lastLogIndex;
    await assert.rejects(
      follower.snapshots.restore(Readable.from([gzipSync(raw)])),
      SnapshotArchiveError,
    );
    assert.deepEqual(trees(servers), before);
    assert.equal(leader.node.status().lastLogIndex, lastLog);
  });
});

describe('autopilot on a three-server cluster', () => {
  it('the leader seeds the configuration; a CAS update from a follower reaches every server', async () => {
    const servers = await startStateCluster();
    await leaderOf(servers);
    await waitFor('the seeded configuration on every server', () =>
      servers.every((s) => s.store.autopilotConfig()?.maxTrailingLogs === 500),
    );
    const follower = servers.find((s) => !s.node.isLeader()) ?? servers[0];
    const { modifyIndex } = follower.autopilot.configuration();
    const changed = { ...DEFAULT_AUTOPILOT, minQuorum: 3, lastContactThresholdMs: 1000 };
    assert.equal(await follower.autopilot.setConfiguration(changed, modifyIndex + 1), false);
    assert.equal(await follower.autopilot.setConfiguration(changed, modifyIndex), true);
    await waitFor('the update on every server', () =>
      servers.every((s) => s.autopilot.values().minQuorum === 3),
    );
    for (const server of servers) {
      assert.deepEqual(server.autopilot.values(), changed);
      assert.ok(server.autopilot.configuration().modifyIndex > modifyIndex);
    }
  });

  it("every server answers health with the leader's view of all three", async () => {
    const servers = await startStateCluster();
    const leader = await leaderOf(servers);
    await leader.apply(put('k', 'v'));
    for (const server of servers) {
      const deadline = Date.now() + 10_000;
      let report = await server.autopilot.health();
      while (!report.healthy && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        report = await server.autopilot.health();
      }
      assert.equal(report.healthy, true);
      assert.equal(report.failureTolerance, 1);
      assert.deepEqual(
        report.servers.map((s) => [s.id, s.name, s.voter, s.leader]),
        servers.map((s) => [s.id, `node-${s.id}`, true, s === leader]),
      );
      assert.equal(report.term, leader.node.status().term);
    }
  });
});
