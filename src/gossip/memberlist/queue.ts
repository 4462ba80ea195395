// The piggyback broadcast queue (memberlist's queue.go). Each message is sent at most
// RetransmitMult × ceil(log10(N+1)) times; fewer transmissions first, then larger, then newer.
// A named broadcast replaces the queued one of the same name; a plain broadcast removes every
// plain queued broadcast it invalidates; unique broadcasts never replace anything.

export interface Broadcast {
  /** True if this broadcast makes `other` obsolete (only consulted for plain broadcasts). */
  invalidates(other: Broadcast): boolean;
  message(): Uint8Array;
  /** Called once when the broadcast leaves the queue (sent enough times or replaced). */
  finished(): void;
}

/** A broadcast with a name: queuing it replaces any queued broadcast of the same name. */
export interface NamedBroadcast extends Broadcast {
  name(): string;
}

/** A broadcast that never invalidates others (serf's own messages). */
export interface UniqueBroadcast extends Broadcast {
  uniqueBroadcast(): void;
}

export function isNamedBroadcast(b: Broadcast): b is NamedBroadcast {
  return typeof (b as Partial<NamedBroadcast>).name === 'function';
}

export function isUniqueBroadcast(b: Broadcast): b is UniqueBroadcast {
  return typeof (b as Partial<UniqueBroadcast>).uniqueBroadcast === 'function';
}

export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

interface Limited {
  transmits: number;
  msgLen: number;
  id: number;
  b: Broadcast;
  name: string;
  unique: boolean;
}

// Queue order: transmits ascending, then message length descending, then id descending.
function before(a: Limited, b: Limited): boolean {
  if (a.transmits !== b.transmits) return a.transmits < b.transmits;
  if (a.msgLen !== b.msgLen) return a.msgLen > b.msgLen;
  return a.id > b.id;
}

export class TransmitLimitedQueue {
  private items: Limited[] = [];
  private byName = new Map<string, Limited>();
  private idGen = 0;

  constructor(
    private readonly numNodes: () => number,
    private readonly retransmitMult: number,
  ) {}

  queueBroadcast(b: Broadcast, initialTransmits = 0): void {
    this.idGen = this.idGen >= Number.MAX_SAFE_INTEGER ? 1 : this.idGen + 1;
    const lb: Limited = {
      transmits: initialTransmits,
      msgLen: b.message().length,
      id: this.idGen,
      b,
      name: isNamedBroadcast(b) ? b.name() : '',
      unique: !isNamedBroadcast(b) && isUniqueBroadcast(b),
    };
    if (lb.name !== '') {
      const old = this.byName.get(lb.name);
      if (old !== undefined) {
        old.b.finished();
        this.remove(old);
      }
    } else if (!lb.unique) {
      for (const cur of [...this.items]) {
        if (cur.name !== '' || cur.unique) continue;
        if (b.invalidates(cur.b)) {
          cur.b.finished();
          this.remove(cur);
        }
      }
    }
    this.insert(lb);
  }

  /** Messages that fit in `limit` bytes, each costing `overhead` more; counts their transmits. */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    const toSend: Uint8Array[] = [];
    const reinsert: Limited[] = [];
    let bytesUsed = 0;
    let transmits = this.items[0].transmits;
    const maxTransmits = this.items[this.items.length - 1].transmits;
    while (transmits <= maxTransmits) {
      const free = limit - bytesUsed - overhead;
      if (free <= 0) break;
      const keep = this.items.find((it) => it.transmits === transmits && it.msgLen <= free);
      if (keep === undefined) {
        transmits++;
        continue;
      }
      const msg = keep.b.message();
      bytesUsed += overhead + msg.length;
      toSend.push(msg);
      this.remove(keep);
      if (keep.transmits + 1 >= transmitLimit) keep.b.finished();
      else {
        keep.transmits++;
        reinsert.push(keep);
      }
    }
    for (const cur of reinsert) this.insert(cur);
    return toSend;
  }

  numQueued(): number {
    return this.items.length;
  }

  /** Drops everything, calling finished() on each. */
  reset(): void {
    for (const cur of this.items) cur.b.finished();
    this.items = [];
    this.byName.clear();
    this.idGen = 0;
  }

  /** Keeps at most maxRetain broadcasts, dropping the most transmitted first. */
  prune(maxRetain: number): void {
    while (this.items.length > maxRetain) {
      const cur = this.items[this.items.length - 1];
      cur.b.finished();
      this.remove(cur);
    }
  }

  private insert(lb: Limited): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid], lb)) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, lb);
    if (lb.name !== '') this.byName.set(lb.name, lb);
  }

  private remove(lb: Limited): void {
    const i = this.items.indexOf(lb);
    if (i >= 0) this.items.splice(i, 1);
    if (lb.name !== '' && this.byName.get(lb.name) === lb) this.byName.delete(lb.name);
    if (this.items.length === 0) this.idGen = 0;
  }
}
