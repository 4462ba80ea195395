// A deterministic simulator for MemberlistCore: many cores on one virtual clock, a network
// with per-packet delay, loss and partitions, and TCP (push/pull, fallback pings) modelled as
// a few round trips that fail when any of their segments is lost. Same seed, same run.
import pino from 'pino';
import { seededRandom } from '../../../raft';
import { ipToBytes } from '../address';
import { lanConfig, type MemberlistConfig } from '../config';
import { MemberlistCore, type CoreCommand } from '../core';
import type { Address } from '../address';
import type { MemberlistNode } from '../types';
import { EventQueue } from './queue';

export interface SimOptions {
  seed: number;
  /** Probability that one UDP packet (or one TCP segment exchange) is lost. */
  loss?: number;
  /** One-way delay range in ms. */
  minDelay?: number;
  maxDelay?: number;
  /** Starting configuration for every node (name, addresses and delegates are set per node). */
  config?: () => MemberlistConfig;
  /** Receives every node's log lines (JSON text), for debugging a seed. */
  log?: (observer: string, at: number, line: string) => void;
}

/** A membership change seen by one node's event delegate. */
export interface SimEvent {
  at: number;
  observer: string;
  kind: 'join' | 'leave' | 'update';
  node: string;
  state: MemberlistNode['state'];
}

interface SimNode {
  name: string;
  ip: string;
  core: MemberlistCore;
  crashed: boolean;
  wakeAt: number;
}

const PORT = 7946;

export class SimCluster {
  readonly random: () => number;
  now = 0;
  private readonly queue = new EventQueue();
  private readonly nodes = new Map<string, SimNode>();
  private readonly byIp = new Map<string, SimNode>();
  /** Partition group per node name; nodes in different groups cannot reach each other. */
  private readonly group = new Map<string, number>();
  readonly events: SimEvent[] = [];
  loss: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly makeConfig: () => MemberlistConfig;
  private readonly log: SimOptions['log'];
  packetsSent = 0;

  constructor(opts: SimOptions) {
    this.random = seededRandom(opts.seed);
    this.loss = opts.loss ?? 0;
    this.minDelay = opts.minDelay ?? 1;
    this.maxDelay = opts.maxDelay ?? 10;
    this.makeConfig = opts.config ?? lanConfig;
    this.log = opts.log;
  }

  /** Creates and starts a node; it joins through `seed` (if given) after `joinDelay`. */
  addNode(name: string, seed: string | null = null, joinDelay = 0): void {
    const index = this.nodes.size + 1;
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    const config: MemberlistConfig = {
      ...this.makeConfig(),
      name,
      bindAddr: ip,
      bindPort: PORT,
      advertiseAddr: ip,
      advertisePort: PORT,
      logger:
        this.log === undefined
          ? pino({ level: 'silent' })
          : pino({ level: 'debug' }, { write: (line: string) => this.log?.(name, this.now, line) }),
    };
    config.events = {
      notifyJoin: (n) => this.record(name, 'join', n),
      notifyLeave: (n) => this.record(name, 'leave', n),
      notifyUpdate: (n) => this.record(name, 'update', n),
    };
    const core = new MemberlistCore({
      config,
      random: seededRandom(Math.floor(this.random() * 2 ** 32)),
      now: this.now,
      advertiseIp: ipToBytes(ip),
      advertisePort: PORT,
    });
    const node: SimNode = { name, ip, core, crashed: false, wakeAt: Infinity };
    this.nodes.set(name, node);
    this.byIp.set(ip, node);
    this.group.set(name, 0);
    core.start(this.now);
    this.settle(node);
    if (seed !== null) {
      this.queue.push(this.now + joinDelay, () => this.pushPull(node, this.addressOf(seed), true));
    }
  }

  private record(observer: string, kind: SimEvent['kind'], n: MemberlistNode): void {
    this.events.push({ at: this.now, observer, kind, node: n.name, state: n.state });
  }

  addressOf(name: string): Address {
    const n = this.mustGet(name);
    return { ip: n.ip, port: PORT, name };
  }

  core(name: string): MemberlistCore {
    return this.mustGet(name).core;
  }

  names(): string[] {
    return [...this.nodes.keys()];
  }

  liveNames(): string[] {
    return [...this.nodes.values()].filter((n) => !n.crashed).map((n) => n.name);
  }

  /** Stops a node dead (kill -9): it neither sends nor receives from now on. */
  crash(name: string): void {
    const n = this.mustGet(name);
    n.crashed = true;
    n.core.stop();
  }

  /** A graceful leave followed by shutdown once the leave has been gossiped (or 5 s). */
  leave(name: string): void {
    const n = this.mustGet(name);
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.crash(name);
    };
    n.core.leave(this.now, () => this.queue.push(this.now, stop));
    this.settle(n);
    this.queue.push(this.now + 5000, stop);
  }

  /** A join (push/pull with join=true) from one node to another, as Memberlist.join does. */
  join(from: string, to: string): void {
    this.pushPull(this.mustGet(from), this.addressOf(to), true);
  }

  /** Puts each listed set of names in its own partition; everyone else stays in group 0. */
  partition(groups: string[][]): void {
    groups.forEach((g, i) => g.forEach((name) => this.group.set(name, i + 1)));
  }

  heal(): void {
    for (const name of this.group.keys()) this.group.set(name, 0);
  }

  runFor(ms: number): void {
    this.runUntil(() => false, this.now + ms);
  }

  /**
   * Runs until `done()` holds or the deadline; returns whether it held. The condition is
   * checked every `checkEvery` ms of simulated time (checking after every event is too slow).
   */
  runUntil(done: () => boolean, deadline: number, checkEvery = 50): boolean {
    if (done()) return true;
    let nextCheck = this.now + checkEvery;
    for (;;) {
      const next = this.queue.peekTime();
      if (next === null || next > deadline) {
        this.now = deadline;
        return done();
      }
      if (next > nextCheck) {
        this.now = nextCheck;
        if (done()) return true;
        nextCheck += checkEvery;
        continue;
      }
      const ev = this.queue.pop()!;
      this.now = ev.at;
      ev.fire();
    }
  }

  /** Every live node lists exactly the live nodes as members. */
  converged(): boolean {
    const live = this.liveNames();
    return live.every((name) => {
      const core = this.core(name);
      if (core.numMembers() !== live.length) return false;
      return live.every((other) => {
        const st = core.stateOf(other);
        return st === 'alive' || st === 'suspect';
      });
    });
  }

  // ---- network -----------------------------------------------------------------------------

  private mustGet(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no simulated node ${name}`);
    return n;
  }

  private delay(): number {
    return this.minDelay + this.random() * (this.maxDelay - this.minDelay);
  }

  private reachable(from: SimNode, to: SimNode | undefined): to is SimNode {
    return to !== undefined && !to.crashed && this.group.get(from.name) === this.group.get(to.name);
  }

  private lost(): boolean {
    return this.loss > 0 && this.random() < this.loss;
  }

  /** Delivers a node's commands and re-arms its wake-up for the core's next deadline. */
  private settle(node: SimNode): void {
    if (node.crashed) return;
    for (const cmd of node.core.takeCommands()) this.execute(node, cmd);
    const next = node.core.nextDeadline();
    if (next !== null && next < node.wakeAt) {
      node.wakeAt = next;
      this.queue.push(next, () => {
        if (node.wakeAt !== next || node.crashed) return;
        node.wakeAt = Infinity;
        node.core.tick(this.now);
        this.settle(node);
      });
    }
  }

  private execute(from: SimNode, cmd: CoreCommand): void {
    switch (cmd.kind) {
      case 'packet': {
        this.packetsSent++;
        const to = this.byIp.get(cmd.to.ip);
        if (this.lost()) return;
        const msg = cmd.msg;
        this.queue.push(this.now + this.delay(), () => {
          if (!this.reachable(from, to)) return;
          to.core.handlePacket(this.now, msg, { ip: from.ip, port: PORT, name: '' });
          this.settle(to);
        });
        return;
      }
      case 'pushPull':
        this.pushPull(from, cmd.to, false);
        return;
      case 'fallbackPing': {
        const to = this.byIp.get(cmd.to.ip);
        // SYN, SYN-ACK, ping, ack: lost segments cost retransmission timeouts.
        const latency = this.tcpLatency(4);
        const ok = this.reachable(from, to) && this.now + latency <= cmd.deadline;
        this.queue.push(ok ? this.now + latency : cmd.deadline, () => {
          if (from.crashed) return;
          from.core.fallbackPingResult(this.now, cmd.seqNo, ok && this.reachable(from, to));
          this.settle(from);
        });
        return;
      }
    }
  }

  /**
   * Time for `segments` one-way TCP segments in sequence. A lost segment is resent after the
   * retransmission timeout (1 s for the SYN, 200 ms doubling for data, as Linux does).
   */
  private tcpLatency(segments: number): number {
    let total = 0;
    for (let i = 0; i < segments; i++) {
      let rto = i === 0 ? 1000 : 200;
      while (this.lost()) {
        total += rto;
        rto *= 2;
      }
      total += this.delay();
    }
    return total;
  }

  /** A push/pull: the responder merges after connect + request, the initiator after the reply. */
  private pushPull(from: SimNode, toAddr: Address, join: boolean): void {
    if (from.crashed) return;
    const to = this.byIp.get(toAddr.ip);
    const local = from.core.localState(join);
    this.queue.push(this.now + this.tcpLatency(3), () => {
      if (!this.reachable(from, to)) return;
      const remote = to.core.localState(join);
      to.core.mergeRemoteState(this.now, join, local.nodes, local.userState);
      this.settle(to);
      this.queue.push(this.now + this.tcpLatency(1), () => {
        if (from.crashed || !this.reachable(from, to)) return;
        from.core.mergeRemoteState(this.now, join, remote.nodes, remote.userState);
        this.settle(from);
      });
    });
  }
}
