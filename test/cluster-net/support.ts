// Shared by the cluster-net tests (and bench/raft-net): an FSM that keeps every command it
// applied, and an in-process cluster of RaftNodes talking real TCP on 127.0.0.x.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  MemoryStorage,
  RaftNode,
  TcpTransport,
  type LogEntry,
  type Membership,
  type SnapshotMeta,
  type StateMachine,
} from '../../src/raft';
import { SqliteStorage, type RaftStorage } from '../../src/raft/storage';
import { RpcServer } from '../../src/rpc';

/** Keeps each applied command's bytes; the snapshot is all of them, length-prefixed. */
export class RecordingFsm implements StateMachine {
  commands: Uint8Array[] = [];
  restoredAt = 0;

  apply(entry: LogEntry): unknown {
    this.commands.push(Uint8Array.from(entry.data));
    return this.commands.length;
  }

  snapshot(): Uint8Array {
    const total = this.commands.reduce((sum, c) => sum + 4 + c.length, 0);
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const c of this.commands) {
      out.writeUInt32BE(c.length, at);
      out.set(c, at + 4);
      at += 4 + c.length;
    }
    return out;
  }

  restore(data: Uint8Array, meta: SnapshotMeta): void {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.commands = [];
    for (let at = 0; at < buf.length;) {
      const length = buf.readUInt32BE(at);
      this.commands.push(Uint8Array.from(buf.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    this.restoredAt = meta.index;
  }

  /** A digest of everything applied, in order. */
  digest(): string {
    const hash = createHash('sha256');
    for (const c of this.commands) hash.update(c);
    return `${this.commands.length}:${hash.digest('hex')}`;
  }
}

/** Command `n` with `padding` extra bytes: distinct and checkable. */
export function command(n: number, padding = 0): Uint8Array {
  const data = Buffer.alloc(4 + padding, n % 251);
  data.writeUInt32BE(n, 0);
  return data;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port that was free on `host` a moment ago. */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ClusterOptions {
  size: number;
  storage: 'memory' | 'sqlite';
  tickMs?: number;
  electionTicks?: number;
  snapshotThreshold?: number;
  trailingLogs?: number;
  logger?: Logger;
}

interface Member {
  id: string;
  host: string;
  port: number;
  address: string;
  fsm: RecordingFsm;
  node: RaftNode | null;
  server: RpcServer | null;
  storage: RaftStorage | null;
  memory: MemoryStorage;
}

/** RaftNodes in this process, each with its own RpcServer on 127.0.0.(i+1). */
export class NetCluster {
  readonly members: Member[] = [];
  private dataDir: string | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: ClusterOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
  }

  get ids(): string[] {
    return this.members.map((m) => m.id);
  }

  async start(): Promise<void> {
    if (this.options.storage === 'sqlite') {
      this.dataDir = await mkdtemp(join(tmpdir(), 'cluster-net-'));
    }
    for (let i = 0; i < this.options.size; i++) {
      const host = `127.0.0.${i + 1}`;
      const server = new RpcServer({ host, port: 0, logger: this.logger });
      await server.listen();
      this.members.push({
        id: `s${i + 1}`,
        host,
        port: server.port,
        address: server.address,
        fsm: new RecordingFsm(),
        node: null,
        server,
        storage: null,
        memory: new MemoryStorage(),
      });
    }
    for (const member of this.members) await this.startMember(member.id);
  }

  membership(): Membership {
    return { servers: this.members.map((m) => ({ id: m.id, address: m.address, voter: true })) };
  }

  member(id: string): Member {
    const member = this.members.find((m) => m.id === id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  node(id: string): RaftNode {
    const node = this.member(id).node;
    if (node === null) throw new Error(`${id} is stopped`);
    return node;
  }

  /** Starts (or restarts) `id` with what its storage holds; its FSM starts empty. */
  async startMember(id: string): Promise<RaftNode> {
    const member = this.member(id);
    if (member.server === null) {
      member.server = new RpcServer({ host: member.host, port: member.port, logger: this.logger });
      await member.server.listen();
    }
    member.storage =
      this.options.storage === 'memory'
        ? member.memory
        : await SqliteStorage.open(join(this.dataDir as string, id), { logger: this.logger });
    member.fsm = new RecordingFsm();
    const node = new RaftNode({
      id,
      address: member.address,
      storage: member.storage,
      fsm: member.fsm,
      transport: new TcpTransport({ server: member.server, logger: this.logger }),
      bootstrap: this.membership(),
      tickMs: this.options.tickMs ?? 25,
      electionTicks: this.options.electionTicks ?? 10,
      snapshotThreshold: this.options.snapshotThreshold,
      trailingLogs: this.options.trailingLogs,
      logger: this.logger,
    });
    member.node = node;
    await node.start();
    return node;
  }

  /** Stops `id` and closes its listener, as a server process going away would. */
  async stopMember(id: string): Promise<void> {
    const member = this.member(id);
    await member.node?.stop();
    member.node = null;
    await member.server?.close();
    member.server = null;
    if (this.options.storage === 'sqlite') await member.storage?.close();
    member.storage = null;
  }

  running(): Member[] {
    return this.members.filter((m) => m.node !== null);
  }

  /** Waits until exactly one running member leads and every running member agrees on it. */
  async leader(except: string[] = []): Promise<string> {
    return waitFor('one agreed leader', () => {
      const running = this.running().filter((m) => !except.includes(m.id));
      const leaders = running.filter((m) => m.node?.isLeader());
      if (leaders.length !== 1) return null;
      const id = leaders[0].id;
      return running.every((m) => m.node?.status().leaderId === id) ? id : null;
    });
  }

  /** Waits until every running member applied the same `count` commands. */
  async converged(count: number): Promise<string> {
    return waitFor(`every running member to apply ${count} commands`, () => {
      const digests = new Set(this.running().map((m) => m.fsm.digest()));
      const [digest] = digests;
      return digests.size === 1 && digest.startsWith(`${count}:`) ? digest : null;
    });
  }

  async stop(): Promise<void> {
    for (const member of this.members) await this.stopMember(member.id);
    if (this.dataDir !== null) await rm(this.dataDir, { recursive: true, force: true });
  }
}
