// A fake network for the simulator: delays, drops, duplicates, reorders and partitions messages,
// all decided by the simulation's seeded random source.
import type { RaftMessage } from '../messages';
import type { RandomSource } from '../random';

interface InFlight {
  msg: RaftMessage;
  deliverAt: number;
}

export class SimNetwork {
  private queue: InFlight[] = [];
  /** blocked[from][to]: messages on that directed link are lost. */
  private readonly blocked: boolean[][];
  dropRate = 0.02;
  duplicateRate = 0.02;
  maxDelay = 2;

  constructor(
    private readonly random: RandomSource,
    private readonly indexOf: (id: string) => number,
    size: number,
  ) {
    this.blocked = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  }

  send(msg: RaftMessage, now: number): void {
    if (this.blocked[this.indexOf(msg.from)][this.indexOf(msg.to)]) return;
    if (this.random() < this.dropRate) return;
    this.queue.push({ msg, deliverAt: now + Math.floor(this.random() * (this.maxDelay + 1)) });
    if (this.random() < this.duplicateRate) {
      this.queue.push({ msg, deliverAt: now + Math.floor(this.random() * (this.maxDelay + 2)) });
    }
  }

  /** Removes and returns a random message due by `now` (random choice = reordering), or null. */
  takeDue(now: number): RaftMessage | null {
    let due = 0;
    for (const item of this.queue) if (item.deliverAt <= now) due++;
    if (due === 0) return null;
    let pick = Math.floor(this.random() * due);
    for (let i = 0; i < this.queue.length; i++) {
      if (this.queue[i].deliverAt > now || pick-- > 0) continue;
      const { msg } = this.queue[i];
      this.queue[i] = this.queue[this.queue.length - 1];
      this.queue.pop();
      // A partition that started while the message was in flight still cuts it.
      return this.blocked[this.indexOf(msg.from)][this.indexOf(msg.to)] ? this.takeDue(now) : msg;
    }
    return null;
  }

  hasDue(now: number): boolean {
    return this.queue.some((item) => item.deliverAt <= now);
  }

  /** Loses each in-flight message from or to `id` with probability `rate` (a crash). */
  loseMessagesOf(id: string, rate: number): void {
    this.queue = this.queue.filter(
      (item) => (item.msg.from !== id && item.msg.to !== id) || this.random() >= rate,
    );
  }

  /** Splits the servers into two sides that cannot talk (each side keeps talking within). */
  partition(sideA: Set<number>): void {
    for (let a = 0; a < this.blocked.length; a++) {
      for (let b = 0; b < this.blocked.length; b++)
        this.blocked[a][b] = sideA.has(a) !== sideA.has(b);
    }
  }

  /** Cuts one direction only: `from` cannot reach `to` but hears from it. */
  cutOneWay(from: number, to: number): void {
    this.blocked[from][to] = true;
  }

  heal(): void {
    for (const row of this.blocked) row.fill(false);
  }
}
