// A small hand-driven cluster for focused tests: FIFO delivery, links that can be cut, message
// filters, crash and restart. The randomized simulator is simulation.ts.
import type { RaftCore } from '../core';
import { bootstrapState } from '../membership';
import type { RaftMessage } from '../messages';
import type { ReadState } from '../ready';
import { EntryType, type LogEntry, type Membership, type NodeId } from '../types';
import { commandPayload } from './fsm';
import { SimHost, type HostTuning } from './host';

export interface TestClusterOptions {
  /** Bootstrapped voters. */
  voters: NodeId[];
  /** Servers that start empty (to be added by membership changes). */
  spares?: NodeId[];
  tuning?: Partial<HostTuning>;
  seed?: number;
}

export class TestCluster {
  readonly hosts = new Map<NodeId, SimHost>();
  /** Every message handed to the network, delivered or not. */
  readonly sent: RaftMessage[] = [];
  readonly applied = new Map<NodeId, LogEntry[]>();
  readonly reads = new Map<NodeId, ReadState[]>();
  /** Return false to drop a message. */
  filter: (msg: RaftMessage) => boolean = () => true;
  private queue: RaftMessage[] = [];
  private readonly cut = new Set<string>();
  private nextCommand = 1;

  constructor(options: TestClusterOptions) {
    const tuning: HostTuning = {
      electionTicks: 10,
      heartbeatTicks: 1,
      snapshotEvery: 0,
      ...options.tuning,
    };
    const membership: Membership = {
      servers: options.voters.map((id) => ({ id, address: `${id}:8300`, voter: true })),
    };
    const boot = bootstrapState(membership);
    for (const id of [...options.voters, ...(options.spares ?? [])]) {
      const host = new SimHost(id, tuning, options.seed ?? 7, {
        send: (msg) => {
          this.sent.push(msg);
          this.queue.push(msg);
        },
        onApply: (h, entry) => this.applied.get(h.id)?.push(entry),
        onRestore: (h) => this.applied.set(h.id, []),
        onRead: (h, read) => this.reads.get(h.id)?.push(read),
      });
      if (options.voters.includes(id)) {
        host.disk.write([boot.entry]);
        host.disk.hardState = boot.hardState;
        host.disk.membership = membership;
      }
      this.hosts.set(id, host);
      this.applied.set(id, []);
      this.reads.set(id, []);
    }
    for (const host of this.hosts.values()) host.start();
  }

  host(id: NodeId): SimHost {
    const host = this.hosts.get(id);
    if (host === undefined) throw new Error(`no server ${id}`);
    return host;
  }

  core(id: NodeId): RaftCore {
    const core = this.host(id).core;
    if (core === null) throw new Error(`server ${id} is down`);
    return core;
  }

  /** Runs `action` against a server's core, then handles its Ready. */
  on<T>(id: NodeId, action: (core: RaftCore) => T): T {
    const result = action(this.core(id));
    this.host(id).process();
    return result;
  }

  /** Makes `id` campaign and delivers until quiet. */
  elect(id: NodeId): void {
    this.on(id, (core) => core.campaign());
    this.deliverAll();
  }

  propose(id: NodeId, count = 1): number[] {
    return this.on(id, (core) =>
      Array.from({ length: count }, () =>
        core.propose(EntryType.Command, commandPayload(this.nextCommand++)),
      ),
    );
  }

  /** Delivers queued messages in order (and those they cause) until none is left. */
  deliverAll(limit = 100_000): void {
    for (let n = 0; this.queue.length > 0; n++) {
      if (n >= limit) throw new Error(`still delivering after ${limit} messages`);
      this.deliverOne(this.queue.shift() as RaftMessage);
    }
  }

  /** Drops everything in flight. */
  dropAll(): void {
    this.queue = [];
  }

  /** Ticks every live server `n` times, delivering until quiet after each tick. */
  tick(n = 1, ids?: NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const [id, host] of this.hosts) {
        if (host.core === null || (ids !== undefined && !ids.includes(id))) continue;
        host.core.tick();
        host.process();
      }
      this.deliverAll();
    }
  }

  isolate(id: NodeId): void {
    for (const other of this.hosts.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: NodeId): void {
    this.host(id).crash();
  }

  restart(id: NodeId): void {
    this.applied.set(id, []);
    this.host(id).start();
  }

  leaders(): NodeId[] {
    return [...this.hosts].filter(([, h]) => h.core?.isLeader()).map(([id]) => id);
  }

  private deliverOne(msg: RaftMessage): void {
    const host = this.hosts.get(msg.to);
    if (host?.core == null || this.cut.has(`${msg.from}>${msg.to}`) || !this.filter(msg)) return;
    host.core.step(msg);
    host.process();
  }
}
