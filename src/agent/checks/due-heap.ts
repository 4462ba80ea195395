// A binary min-heap of items ordered by due time (ties: first pushed first), where each item
// knows its slot so that it can be moved or removed in O(log n).

export interface DueItem {
  dueAt: number;
  /** Slot in the heap, -1 when not in it. Owned by the heap. */
  heapIndex: number;
  /** Tie-breaker, owned by the heap. */
  heapSeq: number;
}

export class DueHeap<T extends DueItem> {
  private items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapSeq = this.seq++;
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): void {
    if (!this.has(item)) return;
    const index = item.heapIndex;
    const last = this.items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.down(this.up(index));
  }

  /** Re-positions an item whose dueAt changed, or pushes it if it is not in the heap. */
  reschedule(item: T): void {
    if (!this.has(item)) return this.push(item);
    item.heapSeq = this.seq++;
    this.down(this.up(item.heapIndex));
  }

  private before(a: T, b: T): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.heapSeq < b.heapSeq);
  }

  private up(start: number): number {
    let index = start;
    const item = this.items[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(item, this.items[parent])) break;
      this.place(this.items[parent], index);
      index = parent;
    }
    this.place(item, index);
    return index;
  }

  private down(start: number): void {
    let index = start;
    const item = this.items[index];
    const n = this.items.length;
    while (true) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(this.items[right], this.items[left]) ? right : left;
      if (!this.before(this.items[child], item)) break;
      this.place(this.items[child], index);
      index = child;
    }
    this.place(item, index);
  }

  private place(item: T, index: number): void {
    this.items[index] = item;
    item.heapIndex = index;
  }
}
