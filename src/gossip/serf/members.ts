// serf's member table (serf.go handleNodeJoin/Leave/Update, handleNode*Intent, reap): memberlist
// reports joins and deaths; join/leave intents carry the member clock and decide leaving/left;
// intents about members not yet known are held for a while. Pure: `now` is passed in (ms).
import type { LamportClock } from './lamport';
import type { JoinMessage, LeaveMessage } from './messages';
import { decodeTags } from './messages';

export type MemberStatus = 'none' | 'alive' | 'leaving' | 'left' | 'failed';

/** serf's MemberStatus numbers (`/v1/agent/members` Status). */
export const MEMBER_STATUS_CODE: Record<MemberStatus, number> = {
  none: 0,
  alive: 1,
  leaving: 2,
  left: 3,
  failed: 4,
};

export interface SerfMember {
  name: string;
  /** IP address text (IPv4 dotted or IPv6). */
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: MemberStatus;
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

/** What serf needs of a memberlist node. */
export interface GossipNode {
  name: string;
  addr: string;
  port: number;
  meta: Uint8Array;
  pMin: number;
  pMax: number;
  pCur: number;
  dMin: number;
  dMax: number;
  dCur: number;
}

export type MemberEventType =
  'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap';

export interface MemberEvent {
  type: MemberEventType;
  members: SerfMember[];
}

interface MemberState {
  member: SerfMember;
  /** Member-clock time of the last intent applied. */
  statusLTime: number;
  /** When it left or failed (ms); 0 while alive. */
  leaveTime: number;
}

interface NodeIntent {
  type: 'join' | 'leave';
  ltime: number;
  wallTime: number;
}

export interface LeaveIntentResult {
  rebroadcast: boolean;
  events: MemberEvent[];
  /** The intent is about ourselves while we are alive: broadcast a fresh join intent. */
  refute: boolean;
  /** Erase this member now, or after BroadcastTimeout + LeavePropagateDelay if it was leaving. */
  prune: { name: string; delayed: boolean } | null;
}

function snapshotOf(m: SerfMember): SerfMember {
  return { ...m, tags: { ...m.tags } };
}

export class MemberTable {
  private readonly members = new Map<string, MemberState>();
  private failed: string[] = [];
  private left: string[] = [];
  private readonly intents = new Map<string, NodeIntent>();

  constructor(
    private readonly localName: string,
    private readonly clock: LamportClock,
  ) {}

  get(name: string): SerfMember | undefined {
    const s = this.members.get(name);
    return s && snapshotOf(s.member);
  }

  list(): SerfMember[] {
    return [...this.members.values()].map((s) => snapshotOf(s.member));
  }

  size(): number {
    return this.members.size;
  }

  failedCount(): number {
    return this.failed.length;
  }

  leftCount(): number {
    return this.left.length;
  }

  leftNames(): string[] {
    return [...this.left];
  }

  statusLTimes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, s] of this.members) out.set(name, s.statusLTime);
    return out;
  }

  hasAliveMembers(): boolean {
    for (const [name, s] of this.members)
      if (name !== this.localName && s.member.status === 'alive') return true;
    return false;
  }

  /** memberlist says the node is alive (new, or back from dead/left). */
  nodeJoin(n: GossipNode): MemberEvent {
    let state = this.members.get(n.name);
    let oldStatus: MemberStatus = 'none';
    if (state === undefined) {
      state = {
        member: {
          name: n.name,
          addr: n.addr,
          port: n.port,
          tags: decodeTags(n.meta),
          status: 'alive',
          protocolMin: 0,
          protocolMax: 0,
          protocolCur: 0,
          delegateMin: 0,
          delegateMax: 0,
          delegateCur: 0,
        },
        statusLTime: 0,
        leaveTime: 0,
      };
      const intent = this.intents.get(n.name);
      if (intent?.type === 'join') state.statusLTime = intent.ltime;
      if (intent?.type === 'leave') {
        state.member.status = 'leaving';
        state.statusLTime = intent.ltime;
      }
      this.members.set(n.name, state);
    } else {
      oldStatus = state.member.status;
      state.member.status = 'alive';
      state.leaveTime = 0;
      state.member.addr = n.addr;
      state.member.port = n.port;
      state.member.tags = decodeTags(n.meta);
    }
    this.setVersions(state.member, n);
    if (oldStatus === 'failed' || oldStatus === 'left') {
      this.failed = this.failed.filter((x) => x !== n.name);
      this.left = this.left.filter((x) => x !== n.name);
    }
    return { type: 'member-join', members: [snapshotOf(state.member)] };
  }

  /** memberlist says the node is dead or has left: leaving → left, alive → failed. */
  nodeLeave(n: GossipNode, now: number): MemberEvent | null {
    const state = this.members.get(n.name);
    if (state === undefined) return null;
    switch (state.member.status) {
      case 'leaving':
        state.member.status = 'left';
        state.leaveTime = now;
        this.left.push(n.name);
        return { type: 'member-leave', members: [snapshotOf(state.member)] };
      case 'alive':
        state.member.status = 'failed';
        state.leaveTime = now;
        this.failed.push(n.name);
        return { type: 'member-failed', members: [snapshotOf(state.member)] };
      default:
        return null;
    }
  }

  /** memberlist saw new meta or versions for a live node. */
  nodeUpdate(n: GossipNode): MemberEvent | null {
    const state = this.members.get(n.name);
    if (state === undefined) return null;
    state.member.addr = n.addr;
    state.member.port = n.port;
    state.member.tags = decodeTags(n.meta);
    this.setVersions(state.member, n);
    return { type: 'member-update', members: [snapshotOf(state.member)] };
  }

  private setVersions(m: SerfMember, n: GossipNode): void {
    m.protocolMin = n.pMin;
    m.protocolMax = n.pMax;
    m.protocolCur = n.pCur;
    m.delegateMin = n.dMin;
    m.delegateMax = n.dMax;
    m.delegateCur = n.dCur;
  }

  private upsertIntent(node: string, type: 'join' | 'leave', ltime: number, now: number): boolean {
    const existing = this.intents.get(node);
    if (existing === undefined || ltime > existing.ltime) {
      this.intents.set(node, { type, ltime, wallTime: now });
      return true;
    }
    return false;
  }

  /** Applies a join intent; returns whether to re-gossip it. */
  joinIntent(msg: JoinMessage, now: number): boolean {
    this.clock.witness(msg.ltime);
    const state = this.members.get(msg.node);
    if (state === undefined) return this.upsertIntent(msg.node, 'join', msg.ltime, now);
    if (msg.ltime <= state.statusLTime) return false;
    state.statusLTime = msg.ltime;
    if (state.member.status === 'leaving') state.member.status = 'alive';
    return true;
  }

  /** Applies a leave intent. `localAlive`: our own serf is alive (so an intent about us is refuted). */
  leaveIntent(msg: LeaveMessage, now: number, localAlive: boolean): LeaveIntentResult {
    const none: LeaveIntentResult = { rebroadcast: false, events: [], refute: false, prune: null };
    this.clock.witness(msg.ltime);
    const state = this.members.get(msg.node);
    if (state === undefined)
      return { ...none, rebroadcast: this.upsertIntent(msg.node, 'leave', msg.ltime, now) };
    if (msg.ltime <= state.statusLTime) return none;
    if (msg.node === this.localName && localAlive) return { ...none, refute: true };
    state.statusLTime = msg.ltime;
    const prune = msg.prune ? { name: msg.node, delayed: state.member.status === 'leaving' } : null;
    switch (state.member.status) {
      case 'alive':
        state.member.status = 'leaving';
        return { ...none, rebroadcast: true, prune };
      case 'failed':
        state.member.status = 'left';
        this.failed = this.failed.filter((x) => x !== msg.node);
        this.left.push(msg.node);
        return {
          rebroadcast: true,
          refute: false,
          events: [{ type: 'member-leave', members: [snapshotOf(state.member)] }],
          prune,
        };
      case 'leaving':
      case 'left':
        return { ...none, rebroadcast: true, prune };
      default:
        return none;
    }
  }

  /** Forgets a member at once (forced prune); returns the reap event, null if unknown. */
  erase(name: string): MemberEvent | null {
    const state = this.members.get(name);
    if (state === undefined) return null;
    this.members.delete(name);
    this.left = this.left.filter((x) => x !== name);
    this.failed = this.failed.filter((x) => x !== name);
    return { type: 'member-reap', members: [snapshotOf(state.member)] };
  }

  /** Erases failed members older than reconnectTimeout and left ones older than tombstoneTimeout. */
  reap(
    now: number,
    reconnectTimeoutMs: number,
    tombstoneTimeoutMs: number,
    intentTimeoutMs: number,
  ): MemberEvent[] {
    const events: MemberEvent[] = [];
    const sweep = (names: string[], timeout: number): string[] =>
      names.filter((name) => {
        const s = this.members.get(name);
        if (s === undefined) return false;
        if (now - s.leaveTime <= timeout) return true;
        this.members.delete(name);
        events.push({ type: 'member-reap', members: [snapshotOf(s.member)] });
        return false;
      });
    this.failed = sweep(this.failed, reconnectTimeoutMs);
    this.left = sweep(this.left, tombstoneTimeoutMs);
    for (const [node, intent] of this.intents)
      if (now - intent.wallTime > intentTimeoutMs) this.intents.delete(node);
    return events;
  }

  /**
   * The failed member to try reconnecting to, or null: with probability failed/alive, one at
   * random (serf reconnect()). `random` returns [0, 1).
   */
  reconnectCandidate(random: () => number): SerfMember | null {
    const n = this.failed.length;
    if (n === 0) return null;
    const alive = Math.max(1, this.members.size - this.failed.length - this.left.length);
    if (random() > n / alive) return null;
    const s = this.members.get(this.failed[Math.floor(random() * n)]);
    return s ? snapshotOf(s.member) : null;
  }
}
