// Coalescing of member and user events (serf coalesce*.go), used when a coalesce period is set:
// events are held until `quiescentMs` of silence or `coalesceMs` after the first one, then
// flushed — per member only the latest event, repeats of what was last delivered suppressed
// (updates always pass); per user-event name only the events with the highest LTime. Pure:
// `now` is passed in; the host calls `due(now)` from a timer.
import type { MemberEvent, MemberEventType, SerfMember } from './members';
import type { SerfEvent, UserEvent } from './events';

export class EventCoalescer {
  private quantumDeadline: number | null = null;
  private quiescentDeadline: number | null = null;
  private readonly latestMember = new Map<string, { type: MemberEventType; member: SerfMember }>();
  private readonly lastMember = new Map<string, MemberEventType>();
  private readonly latestUser = new Map<string, { ltime: number; events: UserEvent[] }>();

  constructor(
    private readonly member: { coalesceMs: number; quiescentMs: number } | null,
    private readonly user: { coalesceMs: number; quiescentMs: number } | null,
  ) {}

  /** Takes an event; returns what passes straight through (not coalesced). */
  push(e: SerfEvent, now: number): SerfEvent[] {
    if (e.type === 'query') return [e];
    if (e.type === 'user') {
      if (this.user === null || !e.coalesce) return [e];
      const latest = this.latestUser.get(e.name);
      if (latest === undefined || latest.ltime < e.ltime)
        this.latestUser.set(e.name, { ltime: e.ltime, events: [e] });
      else if (latest.ltime === e.ltime) latest.events.push(e);
      this.arm(this.user, now);
      return [];
    }
    if (this.member === null) return [e];
    for (const m of e.members) this.latestMember.set(m.name, { type: e.type, member: m });
    this.arm(this.member, now);
    return [];
  }

  private arm(p: { coalesceMs: number; quiescentMs: number }, now: number): void {
    if (this.quantumDeadline === null) this.quantumDeadline = now + p.coalesceMs;
    this.quiescentDeadline = now + p.quiescentMs;
  }

  /** When `due` should next be called (null: nothing held). */
  nextDeadline(): number | null {
    if (this.quantumDeadline === null || this.quiescentDeadline === null) return null;
    return Math.min(this.quantumDeadline, this.quiescentDeadline);
  }

  /** The coalesced events once a deadline has passed (or always when `force`, at shutdown). */
  due(now: number, force = false): SerfEvent[] {
    const deadline = this.nextDeadline();
    if (deadline === null || (!force && now < deadline)) return [];
    this.quantumDeadline = null;
    this.quiescentDeadline = null;
    const out: SerfEvent[] = [];
    const byType = new Map<MemberEventType, MemberEvent>();
    for (const [name, latest] of this.latestMember) {
      const previous = this.lastMember.get(name);
      if (previous === latest.type && latest.type !== 'member-update') continue;
      this.lastMember.set(name, latest.type);
      let ev = byType.get(latest.type);
      if (ev === undefined) {
        ev = { type: latest.type, members: [] };
        byType.set(latest.type, ev);
        out.push(ev);
      }
      ev.members.push(latest.member);
    }
    this.latestMember.clear();
    for (const latest of this.latestUser.values()) out.push(...latest.events);
    this.latestUser.clear();
    return out;
  }
}
