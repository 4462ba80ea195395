// In-process Raft clusters over real TCP through the server port, for the cluster-net tests:
// each server is an RpcServer on 127.0.0.1 with a RaftNode whose transport rides on it.
import { after } from 'node:test';

import pino from 'pino';

import { MemoryStorage, RaftNode, TcpTransport } from '../../src/raft';
import type { LogEntry, Membership, SnapshotMeta, StateMachine } from '../../src/raft';
import type { RaftStorage } from '../../src/raft/storage';
import { RpcServer } from '../../src/rpc';

export const silent = pino({ level: 'silent' });

/** The state is the list of applied numbers. */
export class ListFsm implements StateMachine {
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

export interface Server {
  id: string;
  address: string;
  port: number;
  rpc: RpcServer;
  node: RaftNode;
  fsm: ListFsm;
  storage: RaftStorage;
}

export interface ClusterOptions {
  storage?: (id: string) => Promise<RaftStorage>;
  snapshotThreshold?: number;
  trailingLogs?: number;
}

const everyServer: Server[] = [];
after(async () => {
  for (const server of everyServer) await stopServer(server);
});

export async function listen(port = 0): Promise<RpcServer> {
  const rpc = new RpcServer({ host: '127.0.0.1', port, logger: silent });
  await rpc.listen();
  return rpc;
}

export async function startServer(
  id: string,
  rpc: RpcServer,
  membership: Membership | undefined,
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

export async function stopServer(server: Server): Promise<void> {
  await server.node.stop();
  await server.rpc.close();
}

export async function startCluster(size: number, options: ClusterOptions = {}): Promise<Server[]> {
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

export async function waitFor<T>(
  what: string,
  probe: () => T | null | undefined | false,
  ms = 10_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function leaderOf(servers: Server[]): Server | null {
  const leaders = servers.filter((s) => s.node.isLeader());
  return leaders.length === 1 ? leaders[0] : null;
}

export function value(n: number): Uint8Array {
  return new TextEncoder().encode(String(n));
}

export async function proposeMany(leader: Server, from: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => leader.node.propose(value(from + i))));
}
