// Collects the KV bench's measurements over runs and prints them as markdown: the targets
// (ratios against the peers, PASS/FAIL), then every cell and every fan-out run.
import type { CellResult, FanoutOutcome } from '../lib';
import { fmt, fmtMB, markdownTable, median } from '../lib';
import { PEER_NAMES, type PeerName } from './workloads';

interface CellRuns {
  peer: PeerName;
  operation: string;
  concurrency: number;
  runs: CellResult[];
}

interface FanoutRuns {
  peer: PeerName;
  watchers: number;
  runs: FanoutOutcome[];
}

type Medians<T> = { [K in keyof T]: T[K] extends number ? number : T[K] };

/** Median of every numeric field across runs (errors are summed, samples concatenated). */
function medianCell(runs: CellResult[]): Medians<CellResult> {
  const of = (pick: (r: CellResult) => number): number => median(runs.map(pick));
  return {
    ops: of((r) => r.ops),
    opsPerSec: of((r) => r.opsPerSec),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    errorSamples: runs.flatMap((r) => r.errorSamples).slice(0, 3),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    maxMs: of((r) => r.maxMs),
    serverCpuMsPer1kOps: of((r) => r.serverCpuMsPer1kOps),
    serverCpuPct: of((r) => r.serverCpuPct),
    loadgenCpuPct: of((r) => r.loadgenCpuPct),
    otherCpuPct: of((r) => r.otherCpuPct),
    otherTop: runs.map((r) => r.otherTop).join(' / '),
  };
}

interface FanoutSummary {
  lastMs: number;
  sentToLastMs: number;
  p50Ms: number;
  p99Ms: number;
  triggerMs: number;
  rss: number;
  rssBefore: number;
  registered: number;
  early: number;
  missing: number;
  armMs: number;
  armCpuMsPer1k: number;
  fireCpuMs: number;
  earlySamples: string[];
}

function medianFanout(runs: FanoutOutcome[]): FanoutSummary {
  const of = (pick: (r: FanoutOutcome) => number): number => median(runs.map(pick));
  return {
    lastMs: of((r) => r.lastMs),
    sentToLastMs: of((r) => r.sentToLastMs),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    triggerMs: of((r) => r.triggerMs),
    rss: of((r) => r.rssWhileWaiting),
    rssBefore: of((r) => r.rssBefore),
    registered: Math.min(...runs.map((r) => r.armed.ready - r.armed.early)),
    early: Math.max(...runs.map((r) => r.armed.early)),
    missing: Math.max(...runs.map((r) => r.missing)),
    armMs: of((r) => r.armed.armMs),
    armCpuMsPer1k: of((r) => r.armCpuMsPer1k),
    fireCpuMs: of((r) => r.fireCpuMs),
    earlySamples: runs.flatMap((r) => r.armed.earlySamples).slice(0, 3),
  };
}

export class BenchReport {
  readonly notes: string[] = [];
  readonly descriptions = new Map<PeerName, string>();
  private readonly cells = new Map<string, CellRuns>();
  private readonly fanouts = new Map<string, FanoutRuns>();

  constructor(private readonly topConcurrency: number) {}

  addCell(peer: PeerName, operation: string, concurrency: number, result: CellResult): void {
    const id = `${peer}/${operation}/${concurrency}`;
    const entry = this.cells.get(id) ?? { peer, operation, concurrency, runs: [] };
    entry.runs.push(result);
    this.cells.set(id, entry);
  }

  addFanout(peer: PeerName, watchers: number, outcome: FanoutOutcome): void {
    const id = `${peer}/${watchers}`;
    const entry = this.fanouts.get(id) ?? { peer, watchers, runs: [] };
    entry.runs.push(outcome);
    this.fanouts.set(id, entry);
  }

  private cell(peer: PeerName, operation: string): Medians<CellResult> | undefined {
    const entry = this.cells.get(`${peer}/${operation}/${this.topConcurrency}`);
    return entry === undefined ? undefined : medianCell(entry.runs);
  }

  private fanout(peer: PeerName, watchers: number): FanoutSummary | undefined {
    const entry = this.fanouts.get(`${peer}/${watchers}`);
    return entry === undefined ? undefined : medianFanout(entry.runs);
  }

  targetsTable(): string {
    const c = this.topConcurrency;
    const rows: string[][] = [];
    const throughput = (
      name: string,
      ours: [PeerName, string],
      theirs: [PeerName, string],
      atLeast: number,
    ): void => {
      const a = this.cell(...ours);
      const b = this.cell(...theirs);
      const ratio = a !== undefined && b !== undefined ? a.opsPerSec / b.opsPerSec : Number.NaN;
      const cpuRatio =
        a !== undefined && b !== undefined
          ? b.serverCpuMsPer1kOps / a.serverCpuMsPer1kOps
          : Number.NaN;
      const broken = (a?.errors ?? 0) > 0 || (b?.errors ?? 0) > 0;
      rows.push([
        name,
        a === undefined ? 'not run' : `${fmt(a.opsPerSec, 0)} ops/s`,
        b === undefined ? 'not run' : `${fmt(b.opsPerSec, 0)} ops/s`,
        Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : 'n/a',
        `≥ ${atLeast}×`,
        verdict(Number.isFinite(ratio) ? ratio >= atLeast && !broken : undefined, broken),
        Number.isFinite(cpuRatio) ? `${fmt(cpuRatio, 2)}×` : 'n/a',
      ]);
    };
    throughput(`PUT (durable) @${c} vs etcd put`, ['consulate', 'PUT'], ['etcd', 'put'], 1.5);
    throughput(
      `default GET @${c} vs etcd serializable range`,
      ['consulate', 'GET default'],
      ['etcd', 'range serializable'],
      3,
    );
    throughput(
      `?consistent GET @${c} vs etcd linearizable range`,
      ['consulate', 'GET ?consistent'],
      ['etcd', 'range linearizable'],
      1.5,
    );
    throughput(
      `default GET @${c} vs bare Fastify`,
      ['consulate', 'GET default'],
      ['fastify', 'GET /'],
      0.5,
    );

    const ours1k = this.fanout('consulate', 1000);
    const etcd1k = this.fanout('etcd', 1000);
    const fanRatio =
      ours1k !== undefined && etcd1k !== undefined ? ours1k.lastMs / etcd1k.lastMs : Number.NaN;
    const fanBroken = incomplete(ours1k) || incomplete(etcd1k);
    rows.push([
      'fan-out @1,000: write → last watcher vs etcd watch',
      ours1k === undefined ? 'not run' : `${fmt(ours1k.lastMs)} ms${incompleteNote(ours1k)}`,
      etcd1k === undefined ? 'not run' : `${fmt(etcd1k.lastMs)} ms${incompleteNote(etcd1k)}`,
      Number.isFinite(fanRatio) ? `${fmt(fanRatio, 2)}×` : 'n/a',
      '≤ 0.5×',
      verdict(Number.isFinite(fanRatio) ? fanRatio <= 0.5 && !fanBroken : undefined, fanBroken),
      '',
    ]);
    const ours10k = this.fanout('consulate', 10000);
    rows.push([
      'fan-out @10,000: p99 of arrivals',
      ours10k === undefined ? 'not run' : `${fmt(ours10k.p99Ms)} ms${incompleteNote(ours10k)}`,
      '—',
      '—',
      '≤ 100 ms',
      verdict(
        ours10k === undefined ? undefined : ours10k.p99Ms <= 100 && !incomplete(ours10k),
        incomplete(ours10k),
      ),
      '',
    ]);
    rows.push([
      'agent RSS with 10,000 waiting',
      ours10k === undefined ? 'not run' : fmtMB(ours10k.rss),
      '—',
      '—',
      '≤ 400 MB',
      verdict(ours10k === undefined ? undefined : ours10k.rss <= 400e6, false),
      '',
    ]);
    return markdownTable(
      ['target', 'consulate', 'peer', 'ratio', 'goal', 'result', 'server CPU/op: peer ÷ consulate'],
      rows,
    );
  }

  cellsTable(): string {
    const operations = [...new Set([...this.cells.values()].map((e) => e.operation))];
    const order = (e: CellRuns): number[] => [
      PEER_NAMES.indexOf(e.peer),
      operations.indexOf(e.operation),
      e.concurrency,
    ];
    const sorted = [...this.cells.values()].sort((a, b) => {
      const [x, y] = [order(a), order(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    const rows = sorted.map((entry) => {
      const m = medianCell(entry.runs);
      return [
        entry.peer,
        entry.operation,
        String(entry.concurrency),
        fmt(m.opsPerSec, 0),
        fmt(m.p50Ms, 2),
        fmt(m.p99Ms, 2),
        fmt(m.serverCpuMsPer1kOps, 1),
        fmt(m.serverCpuPct, 0),
        fmt(m.loadgenCpuPct, 0),
        fmt(Math.max(0, m.otherCpuPct), 0),
        m.errors === 0 ? '0' : `${m.errors} (${m.errorSamples.join('; ')})`,
      ];
    });
    return markdownTable(
      [
        'peer',
        'operation',
        'clients',
        'ops/s',
        'p50 ms',
        'p99 ms',
        'server CPU ms/1k ops',
        'server CPU %',
        'loadgen CPU %',
        'other CPU %',
        'errors',
      ],
      rows,
    );
  }

  fanoutTable(): string {
    const rows = [...this.fanouts.values()].map((entry) => {
      const m = medianFanout(entry.runs);
      return [
        entry.peer,
        entry.watchers.toLocaleString('en-US'),
        String(m.registered),
        m.early === 0 ? '0' : `${m.early} (${m.earlySamples.join('; ')})`,
        fmt(m.armMs / 1000, 1),
        fmt(m.triggerMs, 1),
        fmt(m.lastMs, 1),
        fmt(m.sentToLastMs, 1),
        fmt(m.p50Ms, 1),
        fmt(m.p99Ms, 1),
        String(m.missing),
        fmtMB(m.rssBefore),
        fmtMB(m.rss),
        fmt(m.armCpuMsPer1k, 0),
        fmt(m.fireCpuMs, 0),
      ];
    });
    return markdownTable(
      [
        'peer',
        'watchers',
        'registered',
        'early',
        'arm s',
        'write ms',
        'write → last ms',
        'sent → last ms',
        'p50 ms',
        'p99 ms',
        'missing',
        'server RSS before',
        'server RSS waiting',
        'server CPU ms/1k to arm',
        'server CPU ms to deliver',
      ],
      rows,
    );
  }
}

function incomplete(summary: FanoutSummary | undefined): boolean {
  return summary !== undefined && (summary.missing > 0 || summary.early > 0);
}

function incompleteNote(summary: FanoutSummary): string {
  return incomplete(summary) ? ` (${summary.early} early, ${summary.missing} missing)` : '';
}

function verdict(pass: boolean | undefined, broken: boolean): string {
  if (pass === undefined) return 'n/a (not measured)';
  if (broken) return 'FAIL (errors)';
  return pass ? 'PASS' : 'FAIL';
}
