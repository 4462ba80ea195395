// Faults applied to a running cluster while the workload runs, one step at a time: each step
// hurts a server or the network, holds, heals, and waits until the cluster serves writes again.
import { performance } from 'node:perf_hooks';

import type { NetLab } from './netlab';
import { waitUntil, type FaultableCluster } from './target';
import type { Workload } from './workload';

export type Fault =
  /** kill -9 of the leader; restarted once another leader acknowledged writes. */
  | 'kill-leader'
  /** SIGSTOP of the leader for the hold time, then SIGCONT. */
  | 'pause-leader'
  /** The leader loses every peer (clients still reach it). */
  | 'isolate-leader'
  /** One follower loses every peer. */
  | 'isolate-follower'
  /** The leader loses one follower only; the other follower still sees both. */
  | 'bridge-leader'
  /** The leader's packets to its peers are dropped; theirs still reach it. */
  | 'mute-leader'
  /** The leader and one follower on one side, the rest on the other (5 servers: 2 | 3). */
  | 'split-minority-leader'
  /**
   * kill -9 of a follower, then writes until every live server's snapshot (less the trailing
   * logs it keeps) is past the follower's last entry, then a restart: the follower can only
   * catch up through InstallSnapshot. Needs a cluster that reports its Raft indexes.
   */
  | 'kill-follower-compact';

export interface Step {
  fault: Fault;
  holdMs: number;
}

export interface NemesisContext {
  cluster: FaultableCluster;
  lab: NetLab;
  workload: Workload;
  /** performance.now() at the start of the run: event times count from it. */
  origin: number;
}

/** Client numbers of the nemesis' own requests in the history. */
const PROBE_CLIENT = -100;

const name = (i: number): string => `s${i + 1}`;

export class Nemesis {
  readonly events: string[] = [];
  private probes = 0;

  constructor(private readonly ctx: NemesisContext) {}

  private note(what: string): void {
    const at = (performance.now() - this.ctx.origin).toFixed(0);
    this.events.push(`${at.padStart(7)} ms  ${what}`);
  }

  async run(steps: readonly Step[]): Promise<void> {
    for (const step of steps) {
      await this.ctx.cluster.settled?.();
      await this.apply(step);
    }
    await this.ctx.cluster.settled?.();
  }

  /** Waits until a majority names a leader other than `old` (which they name for a while). */
  private async newLeader(old: number): Promise<number> {
    const next = await waitUntil(
      `a leader other than ${name(old)}`,
      async () => {
        const leader = await this.ctx.cluster.leader(2000);
        return leader === old ? null : leader + 1;
      },
      30_000,
    );
    return next - 1;
  }

  /** Resolves once the workload has `more` acknowledged writes than now. */
  async progress(more = 3, timeoutMs = 30_000): Promise<void> {
    const target = this.ctx.workload.acknowledgedWrites() + more;
    await waitUntil(
      `${more} more acknowledged writes`,
      async () => this.ctx.workload.acknowledgedWrites() >= target,
      timeoutMs,
    );
  }

  async apply(step: Step): Promise<void> {
    const { cluster, lab } = this.ctx;
    const leader = await cluster.leader();
    const n = cluster.size;
    const follower = (leader + 1) % n;
    const hold = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, step.holdMs));
    switch (step.fault) {
      case 'kill-leader': {
        this.note(`kill -9 ${name(leader)} (leader)`);
        await cluster.kill(leader);
        const next = await cluster.leader();
        this.note(`${name(next)} leads`);
        await this.progress();
        await hold();
        await cluster.restart(leader);
        this.note(`${name(leader)} restarted`);
        break;
      }
      case 'pause-leader':
        this.note(`SIGSTOP ${name(leader)} (leader)`);
        cluster.pause(leader);
        this.note(`${name(await cluster.leader())} leads`);
        await hold();
        cluster.resume(leader);
        this.note(`SIGCONT ${name(leader)}`);
        break;
      case 'isolate-leader': {
        this.note(`isolate ${name(leader)} (leader)`);
        await lab.isolate(leader);
        const next = await this.newLeader(leader);
        this.note(`${name(next)} leads`);
        await this.probeDeposed(leader, next);
        await hold();
        break;
      }
      case 'isolate-follower':
        this.note(`isolate ${name(follower)} (follower)`);
        await lab.isolate(follower);
        await hold();
        break;
      case 'bridge-leader':
        this.note(`cut ${name(leader)} <-> ${name(follower)} (leader, follower)`);
        await lab.partition([leader], [follower]);
        await hold();
        break;
      case 'mute-leader':
        this.note(`drop packets from ${name(leader)} (leader) to its peers`);
        for (let i = 0; i < n; i++) if (i !== leader) await lab.cut(leader, i);
        this.note(`${name(await this.newLeader(leader))} leads`);
        await hold();
        break;
      case 'kill-follower-compact':
        await this.killFollowerPastCompaction(follower);
        break;
      case 'split-minority-leader': {
        const minority = [leader, follower];
        const majority = [...Array(n).keys()].filter((i) => !minority.includes(i));
        this.note(`partition ${minority.map(name)} | ${majority.map(name)}`);
        await lab.partition(minority, majority);
        this.note(`${name(await this.newLeader(leader))} leads`);
        await hold();
        break;
      }
    }
    await this.healAndRecover();
  }

  /**
   * Writes a fresh value through the new leader, then reads it from the deposed one (still
   * reachable by clients) in every mode: a deposed leader that answers a consistent or default
   * read with the old value shows in the history.
   */
  private async probeDeposed(deposed: number, next: number): Promise<void> {
    const { workload } = this.ctx;
    const key = workload.keyName(0);
    const value = `probe.${this.probes++}`;
    await workload.probe(PROBE_CLIENT, next, key, { kind: 'put', value });
    await Promise.all(
      (['consistent', 'default', 'stale'] as const).map((mode, i) =>
        workload.probe(PROBE_CLIENT - 1 - i, deposed, key, { kind: 'get' }, mode),
      ),
    );
    this.note(`probed ${name(deposed)} after writing ${value} through ${name(next)}`);
  }

  private async healAndRecover(): Promise<void> {
    const { cluster, lab } = this.ctx;
    if (lab.currentCuts().length > 0) {
      await lab.healAll();
      this.note('healed');
    }
    const after = await cluster.leader();
    await this.progress();
    this.note(`${name(after)} leads, writes acknowledged again`);
  }

  private async killFollowerPastCompaction(follower: number): Promise<void> {
    const { cluster } = this.ctx;
    const indexes = cluster.raftIndexes?.bind(cluster);
    const trailing = cluster.trailingLogs;
    if (indexes === undefined || trailing === undefined) {
      throw new Error('kill-follower-compact needs a cluster that reports its Raft indexes');
    }
    const name = `s${follower + 1}`;
    this.note(`kill -9 ${name} (follower)`);
    await cluster.kill(follower);
    // The follower's log cannot reach past what the leader had when it died.
    const leader = await cluster.leader();
    const reached = (await indexes(leader))?.lastLogIndex;
    if (reached === undefined) throw new Error('the leader does not report its Raft indexes');
    const live = [...Array(cluster.size).keys()].filter((i) => i !== follower);
    const compacted = await waitUntil(
      `every live server to compact its log past index ${reached}`,
      async () => {
        const all = await Promise.all(live.map((i) => indexes(i)));
        if (all.some((s) => s === null || s.lastSnapshotIndex - trailing <= reached)) return null;
        return Math.min(...all.map((s) => s?.lastSnapshotIndex ?? 0));
      },
      60_000,
    );
    this.note(
      `${name} stopped at or before index ${reached}; every log now starts after ${compacted - trailing}`,
    );
    await cluster.restart(follower);
    const target = (await indexes(leader))?.appliedIndex ?? Infinity;
    await waitUntil(
      `${name} to catch up to index ${target}`,
      async () => ((await indexes(follower))?.appliedIndex ?? 0) >= target,
      30_000,
    );
    this.note(`${name} restarted and caught up to ${target} through a snapshot`);
  }
}
