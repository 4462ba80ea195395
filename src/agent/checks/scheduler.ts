// One scheduler for all of an agent's checks: a single timer over a min-heap of due times.
// Interval checks run on a fixed grid (first slot staggered at random over the interval, then
// every interval from the *scheduled* time, so no drift); TTL deadlines sit in the same heap;
// alias checks are pushed by their source. In-flight runs are capped.
import { AliasCheck, type AliasSource } from './alias-check';
import { realClock, type Clock, type TimerHandle } from './clock';
import {
  isIntervalCheckType,
  outputLimit,
  type CheckDefinition,
  type CheckResult,
  type CheckStatus,
  type CheckType,
  validateCheckDefinition,
} from './definition';
import { DueHeap, type DueItem } from './due-heap';
import { LatenessRecorder, type LatenessSummary } from './lateness';
import { errorMessage } from './net-errors';
import { createProbe, type Probe } from './probe';
import { StatusHandler } from './status-handler';
import { TtlCheck } from './ttl-check';

export type CheckResultListener = (checkId: string, status: CheckStatus, output: string) => void;

export interface CheckSchedulerOptions {
  clock?: Clock;
  /** Uniform in [0, 1); drives the first-run stagger. Default Math.random. */
  random?: () => number;
  /** Most runs in flight at once; further due runs wait in FIFO order. Default 512. */
  maxConcurrent?: number;
  /** Builds the probe of an interval check; default the real runners. */
  probeFactory?: (def: CheckDefinition) => Probe;
  /** Where alias checks read the aliased health; without it alias checks cannot be added. */
  aliasSource?: (def: CheckDefinition) => AliasSource;
  /** Lateness samples kept for the percentiles. Default 65,536. */
  latenessWindow?: number;
  /** Told about a listener that threw; default process.emitWarning. */
  onListenerError?: (err: unknown, checkId: string) => void;
}

/** A snapshot of one check as the scheduler holds it. */
export interface CheckState {
  definition: CheckDefinition;
  type: CheckType;
  status: CheckStatus;
  output: string;
  /** Clock time at which the check last became critical; undefined unless critical now. */
  criticalSince: number | undefined;
  /** Interval checks: the next slot; TTL checks: the deadline (undefined once expired). */
  nextDueAt: number | undefined;
  running: boolean;
}

export interface SchedulerStats {
  checks: number;
  inFlight: number;
  queued: number;
  /** Highest number of runs in flight at once since the last reset. */
  peakInFlight: number;
  /** Runs started since the last reset. */
  runs: number;
  /** Slots skipped because the previous run of the same check was still going (or waiting). */
  overlapsSkipped: number;
  /** Slots skipped because the scheduler itself was more than one interval late. */
  lateSlotsSkipped: number;
  /** Actual start − scheduled start of runs, in ms. */
  lateness: LatenessSummary;
}

interface Entry extends DueItem {
  def: CheckDefinition;
  type: CheckType;
  status: CheckStatus;
  output: string;
  criticalSince: number | undefined;
  /** Bumped whenever the runner is replaced or removed: results of older runs are dropped. */
  generation: number;
  probe?: Probe;
  statusHandler?: StatusHandler;
  ttl?: TtlCheck;
  alias?: AliasCheck;
  running: AbortController | undefined;
  queued: boolean;
}

interface QueuedRun {
  entry: Entry;
  generation: number;
  scheduledAt: number;
}

/** Fields that only describe a check; changing them does not restart its runner. */
const DESCRIPTIVE_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'notes',
  'serviceId',
  'status',
  'deregisterCriticalServiceAfter',
]);

export class CheckScheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxConcurrent: number;
  private readonly probeFactory: (def: CheckDefinition) => Probe;
  private readonly aliasSource: ((def: CheckDefinition) => AliasSource) | undefined;
  private readonly onListenerError: (err: unknown, checkId: string) => void;
  private readonly entries = new Map<string, Entry>();
  private readonly heap = new DueHeap<Entry>();
  private readonly listeners = new Set<CheckResultListener>();
  private readonly lateness: LatenessRecorder;
  private readonly inFlightRuns = new Set<Promise<void>>();
  private queue: QueuedRun[] = [];
  private queueHead = 0;
  private timer: TimerHandle | undefined;
  private armedFor: number | undefined;
  private stopped = false;
  private counters = { runs: 0, overlapsSkipped: 0, lateSlotsSkipped: 0, peakInFlight: 0 };

  constructor(options: CheckSchedulerOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 512);
    this.probeFactory = options.probeFactory ?? createProbe;
    this.aliasSource = options.aliasSource;
    this.lateness = new LatenessRecorder(options.latenessWindow);
    this.onListenerError =
      options.onListenerError ??
      ((err, checkId) =>
        process.emitWarning(`check result listener failed for ${checkId}: ${errorMessage(err)}`));
  }

  /** Subscribes to status/output changes; returns the unsubscribe function. */
  onResult(listener: CheckResultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Adds a check, or updates the one with the same id. An update that changes only descriptive
   * fields (name, notes, serviceId, status, deregisterCriticalServiceAfter) keeps runner,
   * counters and schedule; any other change restarts the runner with a fresh stagger, keeping
   * the current status and output. Throws Consul's `Invalid check: …` for a malformed
   * definition; intervals under 1s are raised to 1s. A new check starts with the definition's
   * status and `output` (a TTL check's restored state).
   */
  add(definition: CheckDefinition, output = ''): void {
    if (this.stopped) throw new Error('check scheduler is stopped');
    // Structural validation guards the grid (an interval of 0 would spin); whether script
    // checks are allowed at all is the agent's decision, made before it gets here.
    const validation = validateCheckDefinition(definition, { scriptChecksAllowed: () => true });
    if (!validation.ok) throw new Error(validation.error);
    const { check: def, type } = validation;
    if (type === 'alias' && this.aliasSource === undefined)
      throw new Error(`check ${def.id}: alias checks need an alias source`);
    const existing = this.entries.get(def.id);
    if (existing !== undefined && sameRunner(existing.def, def)) {
      existing.def = def;
      return;
    }
    const now = this.clock.now();
    let entry: Entry;
    if (existing !== undefined) {
      this.retire(existing);
      entry = existing;
      entry.def = def;
      entry.type = type;
      entry.generation++;
    } else {
      const status = def.status ?? 'critical';
      entry = {
        def,
        type,
        status,
        output,
        criticalSince: status === 'critical' ? now : undefined,
        generation: 0,
        running: undefined,
        queued: false,
        dueAt: 0,
        heapIndex: -1,
        heapSeq: 0,
      };
      this.entries.set(def.id, entry);
    }
    this.startRunner(entry, now);
  }

  /** Removes a check, cancelling a run in flight; false if it was unknown. */
  remove(checkId: string): boolean {
    const entry = this.entries.get(checkId);
    if (entry === undefined) return false;
    this.retire(entry);
    entry.generation++;
    this.entries.delete(checkId);
    this.arm();
    return true;
  }

  /**
   * A TTL check's status report (pass/warn/fail/update): stores it (output truncated as Consul
   * does), restarts the TTL and returns the stored output.
   */
  updateTtl(checkId: string, status: CheckStatus, output: string): string {
    const entry = this.entries.get(checkId);
    if (entry?.ttl === undefined)
      throw new Error(`CheckID "${checkId}" does not have associated TTL`);
    const now = this.clock.now();
    const result = entry.ttl.update(status, output, now);
    entry.dueAt = entry.ttl.deadline as number;
    this.heap.reschedule(entry);
    this.arm();
    this.apply(entry, result);
    return result.output;
  }

  get(checkId: string): CheckState | undefined {
    const entry = this.entries.get(checkId);
    return entry === undefined ? undefined : snapshot(entry);
  }

  list(): CheckState[] {
    return [...this.entries.values()].map(snapshot);
  }

  /** When the check last became critical, for DeregisterCriticalServiceAfter reaping. */
  criticalSince(checkId: string): number | undefined {
    return this.entries.get(checkId)?.criticalSince;
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): SchedulerStats {
    return {
      checks: this.entries.size,
      inFlight: this.inFlightRuns.size,
      queued: this.queue.length - this.queueHead,
      peakInFlight: this.counters.peakInFlight,
      runs: this.counters.runs,
      overlapsSkipped: this.counters.overlapsSkipped,
      lateSlotsSkipped: this.counters.lateSlotsSkipped,
      lateness: this.lateness.summary(),
    };
  }

  resetStats(): void {
    this.counters = {
      runs: 0,
      overlapsSkipped: 0,
      lateSlotsSkipped: 0,
      peakInFlight: this.inFlightRuns.size,
    };
    this.lateness.reset();
  }

  /** Removes every check, cancels runs in flight and resolves once they have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.entries.keys()]) this.remove(id);
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = undefined;
    await Promise.all([...this.inFlightRuns]);
  }

  private startRunner(entry: Entry, now: number): void {
    const def = entry.def;
    if (isIntervalCheckType(entry.type)) {
      entry.probe = this.probeFactory(def);
      entry.statusHandler = new StatusHandler(def);
      // Consul's lib.RandomStagger: the first run anywhere in the first interval.
      entry.dueAt = now + Math.floor(this.random() * (def.interval as number));
      this.heap.push(entry);
      this.arm();
    } else if (entry.type === 'ttl') {
      entry.ttl = new TtlCheck(def.ttl as number, outputLimit(def), now);
      entry.dueAt = entry.ttl.deadline as number;
      this.heap.push(entry);
      this.arm();
    } else {
      const alias = new AliasCheck((this.aliasSource as (d: CheckDefinition) => AliasSource)(def));
      entry.alias = alias;
      const generation = entry.generation;
      alias.start((result) => {
        if (entry.generation === generation) this.apply(entry, result);
      });
    }
  }

  /** Stops whatever drives an entry (timer slot, run in flight, alias feed). */
  private retire(entry: Entry): void {
    this.heap.remove(entry);
    entry.running?.abort();
    entry.running = undefined;
    entry.queued = false;
    entry.alias?.stop();
    entry.alias = undefined;
    entry.ttl = undefined;
    entry.probe = undefined;
    entry.statusHandler = undefined;
  }

  /** Keeps the one timer set for the earliest due time (an early wake-up just re-arms). */
  private arm(): void {
    const top = this.heap.peek();
    if (top === undefined || this.stopped) return;
    if (this.armedFor !== undefined && this.armedFor <= top.dueAt) return;
    this.timer?.cancel();
    this.armedFor = top.dueAt;
    const delay = Math.max(0, Math.ceil(top.dueAt - this.clock.now()));
    this.timer = this.clock.setTimer(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const now = this.clock.now();
    while (true) {
      const top = this.heap.peek();
      if (top === undefined || top.dueAt > now) break;
      this.heap.pop();
      this.dispatch(top, now);
    }
    this.arm();
  }

  private dispatch(entry: Entry, now: number): void {
    if (entry.ttl !== undefined) {
      this.apply(entry, entry.ttl.expire());
      return;
    }
    const scheduledAt = entry.dueAt;
    const interval = entry.def.interval as number;
    // Next slot on the fixed grid; if the scheduler itself fell behind by whole intervals, skip
    // those slots rather than firing a burst.
    let next = scheduledAt + interval;
    if (next <= now) {
      const missed = Math.floor((now - scheduledAt) / interval);
      this.counters.lateSlotsSkipped += missed;
      next = scheduledAt + (missed + 1) * interval;
    }
    entry.dueAt = next;
    this.heap.push(entry);
    if (entry.running !== undefined || entry.queued) {
      this.counters.overlapsSkipped++;
      return;
    }
    if (this.inFlightRuns.size < this.maxConcurrent) this.run(entry, scheduledAt, now);
    else {
      entry.queued = true;
      this.queue.push({ entry, generation: entry.generation, scheduledAt });
    }
  }

  private run(entry: Entry, scheduledAt: number, now: number): void {
    const probe = entry.probe as Probe;
    const generation = entry.generation;
    const controller = new AbortController();
    entry.running = controller;
    this.lateness.record(now - scheduledAt);
    this.counters.runs++;
    const settled = probe(controller.signal)
      .catch((err: unknown): CheckResult => ({ status: 'critical', output: errorMessage(err) }))
      .then((result) => {
        this.inFlightRuns.delete(settled);
        if (entry.generation === generation && entry.running === controller) {
          entry.running = undefined;
          const reported = (entry.statusHandler as StatusHandler).apply(result);
          if (reported !== undefined) this.apply(entry, reported);
        }
        this.drainQueue();
      });
    this.inFlightRuns.add(settled);
    if (this.inFlightRuns.size > this.counters.peakInFlight)
      this.counters.peakInFlight = this.inFlightRuns.size;
  }

  private drainQueue(): void {
    while (this.queueHead < this.queue.length && this.inFlightRuns.size < this.maxConcurrent) {
      const next = this.queue[this.queueHead++];
      if (next.entry.generation !== next.generation || !next.entry.queued) continue;
      next.entry.queued = false;
      this.run(next.entry, next.scheduledAt, this.clock.now());
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Records a reported result; tells listeners only when status or output changed. */
  private apply(entry: Entry, result: CheckResult): void {
    if (result.status === entry.status && result.output === entry.output) return;
    if (result.status === 'critical') {
      if (entry.status !== 'critical' || entry.criticalSince === undefined)
        entry.criticalSince = this.clock.now();
    } else entry.criticalSince = undefined;
    entry.status = result.status;
    entry.output = result.output;
    const checkId = entry.def.id;
    for (const listener of [...this.listeners]) {
      try {
        listener(checkId, result.status, result.output);
      } catch (err) {
        this.onListenerError(err, checkId);
      }
    }
  }
}

function snapshot(entry: Entry): CheckState {
  return {
    definition: entry.def,
    type: entry.type,
    status: entry.status,
    output: entry.output,
    criticalSince: entry.criticalSince,
    nextDueAt: entry.heapIndex >= 0 ? entry.dueAt : undefined,
    running: entry.running !== undefined,
  };
}

/** True when two definitions of the same id would run the same way. */
function sameRunner(a: CheckDefinition, b: CheckDefinition): boolean {
  return canonical(a) === canonical(b);
}

function canonical(def: CheckDefinition): string {
  const fields = Object.entries(def)
    .filter(([key, value]) => !DESCRIPTIVE_FIELDS.has(key) && value !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify(fields);
}
