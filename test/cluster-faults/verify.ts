// What a fault run must show, checked over its recorded history:
// - writes with `?consistent` reads are linearizable (and so no acknowledged write is lost:
//   the final reads of every key on every server come after all of them);
// - default-mode reads too, where the schedule allows no deposed leader to answer them;
// - a `?stale` read saw a state the key held at some moment no earlier than its LastContact
//   (plus `staleSlackMs`, which may be Infinity: any state before its return) before the read
//   was sent: it is checked as a read that may take effect anywhere from that moment to its
//   return, so a stale read never shows an uncommitted write or one from its future.
import { checkHistory, describeHistory, type HistoryEntry } from '../linearizability/checker';
import type { RecordedEntry } from './workload';

export interface VerifyOptions {
  seed: number;
  /**
   * Include default-mode reads in the linearizability check; otherwise they are checked as
   * stale reads (Consul documents that a deposed leader may answer them with old data).
   */
  defaultReadsLinearizable: boolean;
  /** Check ?stale reads against their LastContact bound (plus this slack, ms); null: skip. */
  staleSlackMs: number | null;
  /** performance.now() at the start of the run: times in the report count from it. */
  origin: number;
}

export interface Verdict {
  ok: boolean;
  /** Which check failed, the seed, and the offending key's history. */
  report: string;
  summary: string;
}

export function verifyHistory(recorded: readonly RecordedEntry[], options: VerifyOptions): Verdict {
  const history = recorded.map((e) => ({ ...e, label: labelOf(e) }));
  const writes = history.filter((e) => e.op.kind !== 'get');
  const reads = (mode: string): RecordedEntry[] =>
    history.filter((e) => e.op.kind === 'get' && e.mode === mode);
  const consistent = reads('consistent');
  const defaults = reads('default');
  const stale = reads('stale');
  const summary =
    `${history.length} operations: ${writes.length} writes ` +
    `(${writes.filter((e) => e.outcome.kind === 'unknown').length} of unknown outcome), ` +
    `${consistent.length} consistent, ${defaults.length} default and ${stale.length} stale reads`;
  const checks: { name: string; entries: HistoryEntry[] }[] = [
    { name: 'writes and ?consistent reads', entries: [...writes, ...consistent] },
  ];
  if (options.defaultReadsLinearizable) {
    checks.push({
      name: 'writes, ?consistent and default reads',
      entries: [...writes, ...consistent, ...defaults],
    });
  }
  // Default reads that may come from a deposed leader are held to what a stale read promises.
  const loose = options.defaultReadsLinearizable ? stale : [...stale, ...defaults];
  for (const check of checks) {
    const failure = firstFailure(check.name, check.entries, options, summary);
    if (failure !== null) return failure;
  }
  // Each loose read alone beside the writes and consistent reads: a read that may take effect
  // over a wide window is a candidate at every step of the search, and a few hundred of them
  // together make it exponential; one at a time, each check stays as cheap as the strict one.
  if (options.staleSlackMs !== null) {
    const slack = options.staleSlackMs;
    const name =
      slack === Infinity
        ? '?stale (and unchecked default) reads returned a state held before they returned'
        : `?stale reads within LastContact + ${slack} ms`;
    const base = [...writes, ...consistent];
    for (const read of loose) {
      const widened = { ...read, call: read.call - (read.lastContactMs ?? 0) - slack };
      const failure = firstFailure(
        name,
        [...base.filter((e) => e.key === read.key), widened],
        options,
        summary,
      );
      if (failure !== null) return failure;
    }
  }
  return { ok: true, report: `linearizable (seed ${options.seed}): ${summary}`, summary };
}

function firstFailure(
  name: string,
  entries: HistoryEntry[],
  options: VerifyOptions,
  summary: string,
): Verdict | null {
  const result = checkHistory(entries);
  if (result.ok || result.failure === undefined) return null;
  const report = [
    `NOT LINEARIZABLE: ${name} (seed ${options.seed})`,
    summary,
    `key ${result.failure.key}:`,
    describeHistory(result.failure.history, options.origin),
  ].join('\n');
  return { ok: false, report, summary };
}

function labelOf(entry: RecordedEntry): string {
  const parts = [`s${entry.server + 1}`];
  if (entry.mode !== undefined) parts.push(entry.mode);
  if (entry.lastContactMs !== undefined && entry.mode === 'stale') {
    parts.push(`lastcontact ${entry.lastContactMs} ms`);
  }
  return parts.join(' ');
}
