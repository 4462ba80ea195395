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
  | 'split-minority-leader';

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

export class Nemesis {
  readonly events: string[] = [];

  constructor(private readonly ctx: NemesisContext) {}

  private note(what: string): void {
    const at = (performance.now() - this.ctx.origin).toFixed(0);
    this.events.push(`${at.padStart(7)} ms  ${what}`);
  }

  async run(steps: readonly Step[]): Promise<void> {
    for (const step of steps) await this.apply(step);
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
    const name = (i: number): string => `s${i + 1}`;
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
      case 'isolate-leader':
        this.note(`isolate ${name(leader)} (leader)`);
        await lab.isolate(leader);
        this.note(`${name(await cluster.leader())} leads`);
        await hold();
        break;
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
        this.note(`${name(await cluster.leader())} leads`);
        await hold();
        break;
      case 'split-minority-leader': {
        const minority = [leader, follower];
        const majority = [...Array(n).keys()].filter((i) => !minority.includes(i));
        this.note(`partition ${minority.map(name)} | ${majority.map(name)}`);
        await lab.partition(minority, majority);
        this.note(`${name(await cluster.leader())} leads`);
        await hold();
        break;
      }
    }
    if (lab.currentCuts().length > 0) {
      await lab.healAll();
      this.note('healed');
    }
    const after = await cluster.leader();
    await this.progress();
    this.note(`${name(after)} leads, writes acknowledged again`);
  }
}
