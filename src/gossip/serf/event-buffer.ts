// The rings that de-duplicate user events and queries by Lamport time (serf handleUserEvent /
// handleQuery): slot = LTime mod size; a slot holds what was seen at exactly that LTime.
import type { UserEventEntry, UserEventsAt } from './messages';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why an event or query was not accepted (null when it was new). */
export type Rejection = 'before-min-time' | 'too-old' | 'duplicate';

export class UserEventBuffer {
  private readonly slots: Array<UserEventsAt | null>;
  /** Events older than this are ignored (restored snapshot, or a join that ignores old events). */
  minTime = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`event buffer size must be ≥ 1, got ${size}`);
    this.slots = new Array<UserEventsAt | null>(size).fill(null);
  }

  /**
   * Records an event seen at `ltime` when the event clock reads `clockTime` (after witnessing it);
   * returns null when it is new (deliver and re-gossip it), else why it is dropped.
   */
  accept(ltime: number, event: UserEventEntry, clockTime: number): Rejection | null {
    if (ltime < this.minTime) return 'before-min-time';
    const size = this.slots.length;
    if (clockTime > size && ltime < clockTime - size) return 'too-old';
    const idx = ltime % size;
    let seen = this.slots[idx];
    if (seen !== null && seen.ltime === ltime) {
      if (seen.events.some((e) => e.name === event.name && sameBytes(e.payload, event.payload)))
        return 'duplicate';
    } else {
      seen = { ltime, events: [] };
      this.slots[idx] = seen;
    }
    seen.events.push(event);
    return null;
  }

  /** The ring as push/pull carries it (null for empty slots). */
  snapshot(): Array<UserEventsAt | null> {
    return this.slots.map((s) => (s === null ? null : { ltime: s.ltime, events: [...s.events] }));
  }
}

export class QueryBuffer {
  private readonly slots: Array<{ ltime: number; ids: number[] } | null>;
  minTime = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`query buffer size must be ≥ 1, got ${size}`);
    this.slots = new Array<{ ltime: number; ids: number[] } | null>(size).fill(null);
  }

  accept(ltime: number, id: number, clockTime: number): Rejection | null {
    if (ltime < this.minTime) return 'before-min-time';
    const size = this.slots.length;
    if (clockTime > size && ltime < clockTime - size) return 'too-old';
    const idx = ltime % size;
    let seen = this.slots[idx];
    if (seen !== null && seen.ltime === ltime) {
      if (seen.ids.includes(id)) return 'duplicate';
    } else {
      seen = { ltime, ids: [] };
      this.slots[idx] = seen;
    }
    seen.ids.push(id);
    return null;
  }
}
