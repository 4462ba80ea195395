// The deterministic cluster simulator: N servers on a fake clock and a fake network, with
// crashes, partitions, membership changes, transfers and snapshots, checked after every step.
import { RaftCore } from '../core';
import type { RaftMessage } from '../messages';
import { bootstrapState, isVoter } from '../membership';
import { seededRandom, type RandomSource } from '../random';
import { EntryType, NotLeaderError, type Membership, type NodeId } from '../types';
import { SafetyChecker, SafetyViolation } from './checker';
import { commandPayload } from './fsm';
import { SimHost, type HostObserver, type HostTuning } from './host';
import { SimNetwork } from './network';

export interface SimulationOptions {
  seed: number;
  /** Bootstrapped voters; one extra server starts empty and joins through membership changes. */
  nodes: number;
  steps: number;
}

export interface SimulationResult {
  ticks: number;
  elections: number;
  committed: number;
  proposalsAccepted: number;
  snapshotsInstalled: number;
  crashes: number;
  membershipChanges: number;
}

export function replayCommand(options: SimulationOptions): string {
  return `node dist/src/raft/sim/replay.js --seed ${options.seed} --nodes ${options.nodes} --steps ${options.steps}`;
}

const ELECTION_TICKS = 10;
const MAX_UNCOMMITTED = 64;

interface Accepted {
  index: number;
  term: number;
  id: number;
}

export class Simulation {
  private readonly random: RandomSource;
  private readonly servers: SimHost[] = [];
  private readonly byId = new Map<NodeId, SimHost>();
  private readonly network: SimNetwork;
  readonly checker = new SafetyChecker();
  private now = 0;
  private nextProposal = 1;
  private nextRead = 1;
  private readonly reads = new Map<number, number>();
  private readonly accepted: Accepted[] = [];
  private readonly stats = { snapshotsInstalled: 0, crashes: 0, membershipChanges: 0 };

  constructor(private readonly options: SimulationOptions) {
    this.random = seededRandom(options.seed);
    const r = this.random;
    const ids = Array.from({ length: options.nodes + 1 }, (_, i) => `n${i + 1}`);
    this.network = new SimNetwork(r, (id) => Number(id.slice(1)) - 1, ids.length);
    this.network.dropRate = r() * 0.1;
    this.network.duplicateRate = r() * 0.05;
    const membership: Membership = {
      servers: ids
        .slice(0, options.nodes)
        .map((id) => ({ id, address: `${id}:8300`, voter: true })),
    };
    const boot = bootstrapState(membership);
    const tuning: HostTuning = {
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: 1,
      trailingLogs: Math.floor(r() * 5),
      snapshotEvery: 4 + Math.floor(r() * 20),
      snapshotChunkSize: 8 + Math.floor(r() * 40),
      maxInflight: 1 + Math.floor(r() * 6),
      maxAppendEntries: 1 + Math.floor(r() * 8),
    };
    const observer = this.observer();
    for (const id of ids) {
      const server = new SimHost(id, tuning, options.seed, observer);
      // The last server starts empty: it joins only through membership changes.
      if (id !== ids[ids.length - 1]) {
        server.disk.write([boot.entry]);
        server.disk.hardState = boot.hardState;
        server.disk.membership = membership;
      }
      this.servers.push(server);
      this.byId.set(id, server);
      server.start();
    }
  }

  /** Wires host events to the safety checker and the network. */
  private observer(): HostObserver {
    const checker = this.checker;
    return {
      send: (msg) => this.network.send(msg, this.now),
      onPersist: (host, entries) => checker.onPersist(host.id, entries),
      onCommit: (host, from, to, leading) => {
        const core = host.core as RaftCore;
        const voters = leading ? this.voterIds(core) : null;
        checker.onCommit(host.id, from, to, core, voters, (id, index, term) =>
          (this.byId.get(id) as SimHost).disk.holds(index, term),
        );
      },
      onApply: (host, entry) => checker.onApply(host.id, entry, host.fsm.hash),
      onRestore: (host, index) => {
        checker.onRestore(host.id, index, host.fsm.hash);
        this.stats.snapshotsInstalled++;
      },
      onRead: (host, read) =>
        checker.onRead(host.id, read.index, this.reads.get(read.requestId) ?? 0),
      onLeader: (host, term) => checker.onLeader(host.id, term, host.core as RaftCore),
    };
  }

  run(): SimulationResult {
    try {
      for (let step = 0; step < this.options.steps; step++) {
        this.randomEvent();
        const msg = this.random() < 0.9 ? this.network.takeDue(this.now) : null;
        if (msg !== null) this.deliver(msg);
        else this.tick();
      }
      this.healAndConverge();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const failure = new SafetyViolation(
        `seed ${this.options.seed}: ${reason}\n  replay: ${replayCommand(this.options)}`,
      );
      failure.stack = `${failure.message}\n${err instanceof Error ? err.stack : ''}`;
      throw failure;
    }
    return {
      ticks: this.now,
      elections: this.checker.elections,
      committed: this.checker.maxCommitted,
      proposalsAccepted: this.accepted.length,
      ...this.stats,
    };
  }

  // ---- the environment ----------------------------------------------------------------------

  private randomEvent(): void {
    const r = this.random();
    // Clients mostly find the leader, sometimes ask a stale one.
    const target = () =>
      this.random() < 0.8 ? (this.leader() ?? undefined) : this.pick(this.alive());
    if (r < 0.08) this.propose(target(), 1 + Math.floor(this.random() * 4));
    else if (r < 0.11) this.read(target());
    else if (r < 0.1125) this.partitionRandomly();
    else if (r < 0.1145) this.isolateLeader();
    else if (r < 0.1155) this.cutOneWay();
    else if (r < 0.1195) this.network.heal();
    else if (r < 0.1215) this.crash();
    else if (r < 0.1255) this.restart(this.pick(this.servers.filter((s) => s.core === null)));
    else if (r < 0.1295) this.changeMembership();
    else if (r < 0.1325) this.transferLeadership();
  }

  private tick(): void {
    this.now++;
    for (const server of this.servers) {
      if (server.core === null) continue;
      server.core.tick();
      server.process();
    }
  }

  private deliver(msg: RaftMessage): void {
    const server = this.byId.get(msg.to) as SimHost;
    if (server.core === null) return;
    server.core.step(msg);
    server.process();
  }

  private propose(server: SimHost | undefined, count: number): void {
    const core = server?.core;
    if (server === undefined || core === null || core === undefined) return;
    // Clients back off while a leader sits on a long uncommitted tail, or with the slowest
    // tunings (one entry per message, one message in flight) the backlog would grow forever.
    const { lastIndex, commitIndex } = core.status();
    if (lastIndex - commitIndex > MAX_UNCOMMITTED) return;
    for (let i = 0; i < count; i++) {
      const id = this.nextProposal++;
      try {
        const index = core.propose(EntryType.Command, commandPayload(id));
        this.accepted.push({ index, term: core.currentTerm(), id });
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
      }
    }
    server.process();
  }

  private read(server: SimHost | undefined): void {
    if (server?.core === null || server?.core === undefined) return;
    const requestId = this.nextRead++;
    this.reads.set(requestId, this.checker.maxCommitted);
    try {
      server.core.readIndex(requestId);
    } catch (err) {
      if (!(err instanceof NotLeaderError)) throw err;
    }
    server.process();
  }

  private partitionRandomly(): void {
    const side = new Set<number>();
    for (let i = 0; i < this.servers.length; i++) if (this.random() < 0.5) side.add(i);
    this.network.partition(side);
  }

  /** Puts the leader in a minority, alone or with followers that will still answer it. */
  private isolateLeader(): void {
    const leader = this.servers.findIndex((s) => s.core?.isLeader());
    if (leader < 0) return;
    const side = new Set([leader]);
    const minority = Math.floor((this.options.nodes - 1) / 2);
    const size = 1 + Math.floor(this.random() * minority);
    while (side.size < size) side.add(Math.floor(this.random() * this.options.nodes));
    this.network.partition(side);
  }

  private cutOneWay(): void {
    const from = Math.floor(this.random() * this.servers.length);
    const to = Math.floor(this.random() * this.servers.length);
    if (from !== to) this.network.cutOneWay(from, to);
  }

  private crash(): void {
    const alive = this.alive();
    if (alive.length <= 1) return;
    const server = this.pick(alive) as SimHost;
    // Volatile state is gone; the disk keeps what was persisted; messages in flight may be lost.
    server.crash();
    this.network.loseMessagesOf(server.id, 0.5);
    this.stats.crashes++;
  }

  private restart(server: SimHost | undefined): void {
    if (server === undefined || server.core !== null) return;
    server.start();
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (leader === null) return;
    const core = leader.core as RaftCore;
    const membership = core.membership();
    const server = this.pick(this.servers) as SimHost;
    const member = membership.servers.find((s) => s.id === server.id);
    try {
      if (member === undefined) {
        const address = `${server.id}:8300`;
        if (this.random() < 0.5) core.addNonVoter(server.id, address);
        else core.addVoter(server.id, address);
      } else if (!member.voter && this.random() < 0.7) core.promote(server.id);
      else core.removeServer(server.id);
      this.stats.membershipChanges++;
    } catch (err) {
      if (!(err instanceof Error) || err instanceof SafetyViolation) throw err;
      // refused: a change is pending, or the op makes no sense for this server
    }
    leader.process();
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (leader === null) return;
    const core = leader.core as RaftCore;
    const voters = core.membership().servers.filter((s) => s.voter && s.id !== leader.id);
    const target = this.pick(voters);
    if (target === undefined) return;
    core.transferLeadership(target.id);
    leader.process();
  }

  // ---- the host loop, synchronously ---------------------------------------------------------

  // ---- liveness after heal ------------------------------------------------------------------

  /**
   * Heals the network and restarts every server. A leader must then emerge within a bounded
   * number of ticks and commit a marker on every member; everything it accepted in its term
   * before the marker must be committed.
   */
  private healAndConverge(): void {
    this.network.heal();
    this.network.dropRate = 0;
    this.network.duplicateRate = 0;
    for (const server of this.servers) this.restart(server);
    const bound = 60 * ELECTION_TICKS;
    for (let attempt = 0; attempt < 5; attempt++) {
      const leader = this.runUntil(bound, () => this.leader());
      if (leader === null) throw new SafetyViolation(`no leader within ${bound} ticks after heal`);
      const core = leader.core as RaftCore;
      const term = core.currentTerm();
      const marker = this.nextProposal++;
      let index: number;
      try {
        index = core.propose(EntryType.Command, commandPayload(marker));
      } catch (err) {
        // Refused during a leadership transfer: let it finish or time out.
        if (!(err instanceof NotLeaderError)) throw err;
        this.runUntil(2 * ELECTION_TICKS, () => null);
        continue;
      }
      leader.process();
      const members = core.membership().servers.map((s) => this.byId.get(s.id) as SimHost);
      const done = this.runUntil(bound, () =>
        leader.core?.isLeader() && leader.core.currentTerm() === term
          ? members.every((s) => s.lastApplied >= index) || null
          : false,
      );
      if (done === false) continue; // leadership changed under us: try again with the new leader
      if (done === null) {
        const lagging = members
          .filter((s) => s.lastApplied < index)
          .map((s) => `${s.id}@${s.lastApplied}`);
        throw new SafetyViolation(
          `marker ${index} not applied on ${lagging.join(', ')} within ${bound} ticks`,
        );
      }
      for (const p of this.accepted) {
        if (p.term === term && p.index <= index && !this.checker.isCommitted(p.index, p.id)) {
          throw new SafetyViolation(
            `proposal ${p.id} accepted at ${p.index} in term ${term} was lost`,
          );
        }
      }
      return;
    }
    throw new SafetyViolation('leadership kept changing after heal');
  }

  /** Runs the healed cluster until `probe` returns non-null (false aborts), or `ticks` pass. */
  private runUntil<T>(ticks: number, probe: () => T | null): T | null {
    for (let t = 0; t < ticks; t++) {
      let msg = this.network.takeDue(this.now);
      while (msg !== null) {
        this.deliver(msg);
        msg = this.network.takeDue(this.now);
      }
      const found = probe();
      if (found !== null) return found;
      this.tick();
    }
    return null;
  }

  private leader(): SimHost | null {
    for (const server of this.servers) {
      const core = server.core;
      if (core !== null && core.isLeader() && isVoter(core.membership(), server.id)) return server;
    }
    return null;
  }

  private voterIds(core: RaftCore): NodeId[] {
    return core
      .membership()
      .servers.filter((s) => s.voter)
      .map((s) => s.id);
  }

  private alive(): SimHost[] {
    return this.servers.filter((s) => s.core !== null);
  }

  private pick<T>(items: T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}
