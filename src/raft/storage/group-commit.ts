/** Counters exposed for tests and metrics: how many transactions carried how many writes. */
export interface GroupCommitStats {
  /** Transactions committed (each one sync of the WAL). */
  commits: number;
  /** Writes (persist/append/truncate/...) carried by those transactions. */
  writes: number;
}

/**
 * Runs one group of writes inside one transaction, synchronously. Returns, per write, null when
 * it was applied or the validation error that made it skip that write (checked before it wrote
 * anything). A thrown error aborts the whole transaction.
 */
export type CommitGroup<W> = (writes: W[]) => (Error | null)[];

interface PendingWrite<W> {
  write: W;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Coalesces every write submitted within one turn of the event loop into one transaction, hence
 * one sync; each submitter's promise settles only after that transaction committed.
 */
export class GroupCommit<W> {
  private pending: PendingWrite<W>[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly counters: GroupCommitStats = { commits: 0, writes: 0 };

  constructor(private readonly commitGroup: CommitGroup<W>) {}

  submit(write: W): Promise<void> {
    if (this.closed) return Promise.reject(new Error('raft storage is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      // setImmediate runs after this turn's callbacks and microtasks: everything they submit joins.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is pending now, then refuses new writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  private flush(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let outcomes: (Error | null)[];
    try {
      outcomes = this.commitGroup(group.map((p) => p.write));
    } catch (error: unknown) {
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const p of group) p.reject(cause);
      return;
    }
    this.counters.commits += 1;
    this.counters.writes += group.length;
    group.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome) p.reject(outcome);
      else p.resolve();
    });
  }
}
