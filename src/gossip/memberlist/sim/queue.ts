// A binary min-heap of timed events; ties fire in insertion order so runs are reproducible.

export interface SimEventEntry {
  at: number;
  seq: number;
  fire: () => void;
}

export class EventQueue {
  private heap: SimEventEntry[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, fire: () => void): void {
    this.heap.push({ at, seq: this.seq++, fire });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(this.heap[i], this.heap[parent])) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent], this.heap[i]];
      i = parent;
    }
  }

  peekTime(): number | null {
    return this.heap.length === 0 ? null : this.heap[0].at;
  }

  pop(): SimEventEntry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last !== undefined) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && less(this.heap[l], this.heap[m])) m = l;
        if (r < this.heap.length && less(this.heap[r], this.heap[m])) m = r;
        if (m === i) break;
        [this.heap[i], this.heap[m]] = [this.heap[m], this.heap[i]];
        i = m;
      }
    }
    return top;
  }
}

function less(a: SimEventEntry, b: SimEventEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
