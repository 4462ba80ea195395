// A linearizability checker for histories of KV operations (Wing & Gong's search with the
// state-caching of Lowe / Porcupine). Each key is an independent register, so a history is
// checked key by key. Writes whose outcome the client could not learn (timeout, lost
// connection, "leadership lost") may have taken effect at any time after they were issued:
// they get no return time and may be linearized anywhere later, or never.
//
// Values are unique per write, so Consul's index-based CAS (`?cas=<ModifyIndex read earlier>`)
// is the same as "succeeds iff the key still holds the value that was read".

export type KvOperation =
  | { kind: 'put'; value: string }
  | { kind: 'delete' }
  /** `expected` null: create only if absent (`?cas=0`). */
  | { kind: 'cas'; expected: string | null; value: string }
  | { kind: 'get' };

export type KvOutcome =
  | { kind: 'ok' }
  | { kind: 'cas'; swapped: boolean }
  | { kind: 'read'; value: string | null }
  /** The client does not know whether the write happened. */
  | { kind: 'unknown' };

export interface HistoryEntry {
  client: number;
  key: string;
  op: KvOperation;
  outcome: KvOutcome;
  /** Monotonic time (ms) when the request was sent and when its answer arrived. */
  call: number;
  ret: number;
  /** Printed with the entry when a check fails (the server asked, the read mode…). */
  label?: string;
}

export interface CheckResult {
  ok: boolean;
  /** The first key whose history is not linearizable, with that history. */
  failure?: { key: string; history: HistoryEntry[] };
}

/** Checks every key's sub-history; stops at the first that cannot be linearized. */
export function checkHistory(history: readonly HistoryEntry[]): CheckResult {
  const byKey = new Map<string, HistoryEntry[]>();
  for (const entry of history) {
    // A read that failed tells nothing; an unknown write still constrains what others saw.
    if (entry.op.kind === 'get' && entry.outcome.kind === 'unknown') continue;
    const list = byKey.get(entry.key) ?? [];
    list.push(entry);
    byKey.set(entry.key, list);
  }
  for (const [key, entries] of byKey) {
    if (!linearizable(collapseUnseen(entries))) {
      return { ok: false, failure: { key, history: entries } };
    }
  }
  return { ok: true };
}

type State = string | null;

/** Stands for every written value that no read returned and no CAS expected. */
const UNSEEN = '\u0000unseen';

/**
 * Values nobody observed are interchangeable: whichever of them the register holds, every read
 * and CAS of the history steps the same way. Writing them all as one value lets the search's
 * cache merge states that differ only in which unobserved value was written last.
 */
function collapseUnseen(entries: HistoryEntry[]): HistoryEntry[] {
  const observed = new Set<string>();
  for (const { op, outcome } of entries) {
    if (outcome.kind === 'read' && outcome.value !== null) observed.add(outcome.value);
    if (op.kind === 'cas' && op.expected !== null) observed.add(op.expected);
  }
  return entries.map((entry) => {
    const { op } = entry;
    if ((op.kind === 'put' || op.kind === 'cas') && !observed.has(op.value)) {
      return { ...entry, op: { ...op, value: UNSEEN } };
    }
    return entry;
  });
}

/** Applies `op` to `state`: the next state, or null when the observed outcome is impossible. */
function step(state: State, op: KvOperation, outcome: KvOutcome): { next: State } | null {
  const unknown = outcome.kind === 'unknown';
  switch (op.kind) {
    case 'put':
      return { next: op.value };
    case 'delete':
      return { next: null };
    case 'cas': {
      const matches = state === op.expected;
      if (unknown) return matches ? { next: op.value } : { next: state };
      if (outcome.kind !== 'cas') return null;
      if (outcome.swapped !== matches) return null;
      return { next: matches ? op.value : state };
    }
    case 'get':
      if (outcome.kind !== 'read') return null;
      return outcome.value === state ? { next: state } : null;
  }
}

interface Node {
  entry: HistoryEntry;
  id: number;
}

/**
 * Wing & Gong: repeatedly pick an operation that is minimal (called before every pending
 * return), apply it if the model allows, backtrack otherwise; (linearized set, state) pairs
 * already explored are cached so that the search stays polynomial on real histories.
 */
function linearizable(entries: HistoryEntry[]): boolean {
  const nodes: Node[] = entries.map((entry, id) => ({ entry, id }));
  const retOf = (node: Node): number =>
    node.entry.outcome.kind === 'unknown' ? Infinity : node.entry.ret;
  // Unknown writes need not happen at all: the search may finish without them.
  const required = nodes.filter((node) => node.entry.outcome.kind !== 'unknown').length;
  const done = new Uint8Array(nodes.length);
  const seen = new Set<string>();
  interface Frame {
    state: State;
    chosen: number; // node id applied to reach this frame, -1 at the root
    candidates: Node[];
    next: number;
    requiredDone: number;
  }
  const candidatesFor = (): Node[] => {
    let minRet = Infinity;
    for (const node of nodes) if (!done[node.id]) minRet = Math.min(minRet, retOf(node));
    return nodes.filter((node) => !done[node.id] && node.entry.call <= minRet);
  };
  const stack: Frame[] = [
    { state: null, chosen: -1, candidates: candidatesFor(), next: 0, requiredDone: 0 },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.requiredDone === required) return true;
    if (frame.next >= frame.candidates.length) {
      stack.pop();
      if (frame.chosen >= 0) done[frame.chosen] = 0;
      continue;
    }
    const node = frame.candidates[frame.next++];
    const result = step(frame.state, node.entry.op, node.entry.outcome);
    if (result === null) continue;
    done[node.id] = 1;
    const key = `${result.next === null ? '\u0000' : result.next}|${doneKey(done)}`;
    if (seen.has(key)) {
      done[node.id] = 0;
      continue;
    }
    seen.add(key);
    const requiredDone = frame.requiredDone + (node.entry.outcome.kind === 'unknown' ? 0 : 1);
    stack.push({
      state: result.next,
      chosen: node.id,
      candidates: candidatesFor(),
      next: 0,
      requiredDone,
    });
  }
  return false;
}

function doneKey(done: Uint8Array): string {
  return Buffer.from(done).toString('base64');
}

/** The history of one key as lines a person can read (times from `origin`) when a check fails. */
export function describeHistory(history: readonly HistoryEntry[], origin?: number): string {
  const start = origin ?? Math.min(...history.map((entry) => entry.call));
  return [...history]
    .sort((a, b) => a.call - b.call)
    .map((entry) => {
      const op =
        entry.op.kind === 'put'
          ? `put ${entry.op.value}`
          : entry.op.kind === 'cas'
            ? `cas ${entry.op.expected ?? '(absent)'} -> ${entry.op.value}`
            : entry.op.kind;
      const outcome =
        entry.outcome.kind === 'read'
          ? `= ${entry.outcome.value ?? '(absent)'}`
          : entry.outcome.kind === 'cas'
            ? `= ${entry.outcome.swapped}`
            : entry.outcome.kind;
      const ret = entry.outcome.kind === 'unknown' ? '?' : (entry.ret - start).toFixed(1);
      const label = entry.label === undefined ? '' : ` (${entry.label})`;
      return `client ${entry.client} [${(entry.call - start).toFixed(1)}, ${ret}] ${op} ${outcome}${label}`;
    })
    .join('\n');
}
