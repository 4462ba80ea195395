import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RaftNode } from './node';
import { MemoryStorage } from './storage/memory';
import { MemoryNetwork } from './transport/memory';
import {
  NotLeaderError,
  type LogEntry,
  type Membership,
  type SnapshotMeta,
  type StateMachine,
} from './types';

/** Applies commands that are numbers; the state is the list of them. */
class ListFsm implements StateMachine {
  values: number[] = [];
  restoredAt = 0;

  apply(entry: LogEntry): unknown {
    this.values.push(new DataView(entry.data.buffer, entry.data.byteOffset).getUint32(0));
    return this.values.length;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.values));
  }

  restore(data: Uint8Array, meta: SnapshotMeta): void {
    this.values = JSON.parse(new TextDecoder().decode(data)) as number[];
    this.restoredAt = meta.index;
  }
}

function command(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value);
  return data;
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const running: RaftNode[] = [];
after(async () => {
  for (const node of running) await node.stop();
});

describe('RaftNode', () => {
  it('a single voter elects itself at once, applies proposals in one persist per turn and serves reads', async () => {
    const storage = new MemoryStorage();
    let persists = 0;
    const persist = storage.persist.bind(storage);
    storage.persist = (batch) => {
      persists++;
      return persist(batch);
    };
    const fsm = new ListFsm();
    const node = new RaftNode({
      id: 'a',
      address: 'a:8300',
      storage,
      fsm,
      bootstrap: { servers: [{ id: 'a', address: 'a:8300', voter: true }] },
      tickMs: 1000, // the election must not need a tick
    });
    running.push(node);
    await node.start();
    await waitFor('leadership', () => node.isLeader(), 200);
    const before = persists;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => node.propose(command(i))),
    );
    assert.deepEqual(
      fsm.values,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.deepEqual(
      results.map((r) => r.result),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.ok(
      persists - before <= 3,
      `group commit: ${persists - before} persists for 1000 proposals`,
    );
    const read = await node.readBarrier();
    assert.ok(read >= results[999].index);
    await node.stop();
  });

  it('three nodes replicate, read on the leader, refuse writes on followers and survive a restart', async () => {
    const network = new MemoryNetwork();
    const ids = ['n1', 'n2', 'n3'];
    const membership: Membership = {
      servers: ids.map((id) => ({ id, address: `${id}:8300`, voter: true })),
    };
    const storages = new Map(ids.map((id) => [id, new MemoryStorage()]));
    const fsms = new Map<string, ListFsm>();
    const nodes = new Map<string, RaftNode>();
    const startNode = async (id: string): Promise<RaftNode> => {
      const fsm = new ListFsm();
      const node = new RaftNode({
        id,
        address: `${id}:8300`,
        storage: storages.get(id) as MemoryStorage,
        fsm,
        transport: network.transport(`${id}:8300`),
        bootstrap: membership,
        tickMs: 5,
        snapshotThreshold: 20,
        trailingLogs: 5,
        seed: id.charCodeAt(1),
      });
      fsms.set(id, fsm);
      nodes.set(id, node);
      running.push(node);
      await node.start();
      return node;
    };
    for (const id of ids) await startNode(id);
    const leaderId = await waitFor('a leader', () => ids.find((id) => nodes.get(id)?.isLeader()));
    const leader = nodes.get(leaderId) as RaftNode;
    const follower = ids.find((id) => id !== leaderId) as string;

    await Promise.all(Array.from({ length: 30 }, (_, i) => leader.propose(command(i))));
    await assert.rejects(
      nodes.get(follower)?.propose(command(99)) as Promise<unknown>,
      NotLeaderError,
    );
    const readIndex = await leader.readBarrier();
    assert.ok(readIndex >= 31);
    await waitFor('followers applied', () => ids.every((id) => fsms.get(id)?.values.length === 30));

    await nodes.get(follower)?.stop();
    await Promise.all(Array.from({ length: 30 }, (_, i) => leader.propose(command(100 + i))));
    await startNode(follower);
    const expected = [
      ...Array.from({ length: 30 }, (_, i) => i),
      ...Array.from({ length: 30 }, (_, i) => 100 + i),
    ];
    await waitFor(
      'the restarted follower caught up',
      () => fsms.get(follower)?.values.length === 60,
    );
    assert.deepEqual(fsms.get(follower)?.values, expected);
    assert.ok((fsms.get(follower)?.restoredAt ?? 0) > 0, 'restarted from its snapshot');

    await leader.stop();
    const next = await waitFor('a new leader', () =>
      ids.find((id) => id !== leaderId && nodes.get(id)?.isLeader()),
    );
    const { result } = await (nodes.get(next) as RaftNode).propose(command(7));
    assert.equal(result, 61);
    for (const id of ids) await nodes.get(id)?.stop();
  });

  it('a new empty server joins as a non-voter, is promoted, and takes over by transfer', async () => {
    const network = new MemoryNetwork();
    const servers = ['n1', 'n2', 'n3', 'n4'];
    const fsms = new Map(servers.map((id) => [id, new ListFsm()]));
    const nodes = new Map(
      servers.map((id) => [
        id,
        new RaftNode({
          id,
          address: `${id}:8300`,
          storage: new MemoryStorage(),
          fsm: fsms.get(id) as ListFsm,
          transport: network.transport(`${id}:8300`),
          // n4 is not bootstrapped: it knows nobody until the leader contacts it.
          bootstrap:
            id === 'n4'
              ? undefined
              : {
                  servers: servers
                    .slice(0, 3)
                    .map((s) => ({ id: s, address: `${s}:8300`, voter: true })),
                },
          tickMs: 5,
        }),
      ]),
    );
    for (const node of nodes.values()) {
      running.push(node);
      await node.start();
    }
    const leaderId = await waitFor('a leader', () =>
      servers.find((id) => nodes.get(id)?.isLeader()),
    );
    const leader = nodes.get(leaderId) as RaftNode;
    await Promise.all(Array.from({ length: 10 }, (_, i) => leader.propose(command(i))));
    await leader.addNonVoter('n4', 'n4:8300');
    await waitFor('n4 caught up', () => fsms.get('n4')?.values.length === 10);
    await leader.promote('n4');
    const voters = leader
      .status()
      .membership.servers.filter((s) => s.voter)
      .map((s) => s.id);
    assert.deepEqual(voters.sort(), servers);
    await leader.transferLeadership('n4');
    await waitFor('n4 leads', () => nodes.get('n4')?.isLeader());
    const { result } = await (nodes.get('n4') as RaftNode).propose(command(10));
    assert.equal(result, 11);
    for (const node of nodes.values()) await node.stop();
  });
});
