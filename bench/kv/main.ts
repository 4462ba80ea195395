// KV bench: the agent's KV API against a single-node etcd and a bare Fastify, driven by the same
// closed-loop load generator, plus blocking-query fan-out against etcd watches.
// Run: npm run bench:kv -- [--runs 3] [--only etcd,fastify,consulate] [--agent-cmd '...']
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  killAllServers,
  LoadGenerator,
  openFilesLimit,
  startEtcd,
  startFastifyHello,
  type KeySpace,
} from '../lib';
import { agentRevision, startAgent } from './agent';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { BenchReport } from './report';
import {
  consulateWorkload,
  etcdWorkload,
  fastifyWorkload,
  type PeerName,
  type Workload,
} from './workloads';

const FD_HEADROOM = 256;

function log(message: string): void {
  process.stderr.write(`[bench:kv ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function startWorkload(
  peer: PeerName,
  options: BenchOptions,
  workDir: string,
): Promise<Workload> {
  const dir = path.join(workDir, peer);
  mkdirSync(dir, { recursive: true });
  switch (peer) {
    case 'etcd':
      return etcdWorkload(await startEtcd(dir, options.etcdBinary));
    case 'fastify':
      return fastifyWorkload(await startFastifyHello(dir));
    case 'consulate': {
      const started = await startAgent(
        options.agentCommand,
        path.join(dir, 'data'),
        path.join(dir, 'agent.log'),
      );
      log(`agent: ${started.command}`);
      return consulateWorkload(started.server, started.target, agentRevision());
    }
  }
}

function keySpace(options: BenchOptions): KeySpace {
  return { prefix: 'bench/k', count: options.keys, valueBytes: options.valueBytes };
}

/** Writes every key once, so that the reads find them. */
async function populate(
  workload: Workload,
  options: BenchOptions,
  loadgen: LoadGenerator,
): Promise<void> {
  if (workload.populate === undefined) return;
  const keys = keySpace(options);
  const spec = {
    target: workload.target,
    request: workload.populate,
    keys,
    order: 'each-once' as const,
    warmupMs: 0,
    durationMs: 0,
  };
  const filled = await loadgen.closedLoop(spec, 64, workload.server.pids());
  log(
    `${workload.peer}: wrote ${filled.ops} keys at ${Math.round(filled.opsPerSec)} ops/s` +
      (filled.errors > 0 ? `, ${filled.errors} errors: ${filled.errorSamples.join('; ')}` : ''),
  );
  if (filled.ops !== keys.count) throw new Error(`${workload.peer}: could not write the keys`);
}

async function runCells(
  workload: Workload,
  concurrency: number,
  run: number,
  options: BenchOptions,
  loadgen: LoadGenerator,
  report: BenchReport,
): Promise<void> {
  for (const cell of workload.cells) {
    const spec = {
      target: workload.target,
      request: cell.request,
      keys: keySpace(options),
      order: 'random' as const,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
    };
    const result = await loadgen.closedLoop(spec, concurrency, workload.server.pids());
    report.addCell(workload.peer, cell.operation, concurrency, result);
    log(
      `${workload.peer} ${cell.operation} @${concurrency} run ${run}: ` +
        `${Math.round(result.opsPerSec)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
        `p99 ${result.p99Ms.toFixed(2)} ms, server CPU ${result.serverCpuMsPer1kOps.toFixed(1)} ms/1k ops, ` +
        `loadgen CPU ${Math.round(result.loadgenCpuPct)}%, other ${Math.round(result.otherCpuPct)}% (${result.otherTop})` +
        (result.errors > 0 ? `, ${result.errors} errors: ${result.errorSamples[0]}` : ''),
    );
  }
}

async function runFanouts(
  workload: Workload,
  run: number,
  options: BenchOptions,
  loadgen: LoadGenerator,
  report: BenchReport,
): Promise<void> {
  if (workload.prepareFanout === undefined) return;
  for (const watchers of workload.peer === 'etcd' ? options.etcdFanout : options.fanout) {
    const needed = watchers + FD_HEADROOM;
    const limits = [
      ['load generator', openFilesLimit(loadgen.pids[0])],
      [workload.peer, openFilesLimit(workload.server.pid)],
    ] as const;
    const short = limits.filter(([, limit]) => limit < needed);
    if (short.length > 0) {
      const note =
        `${workload.peer} fan-out @${watchers} skipped: open-files limit too low (` +
        short.map(([who, limit]) => `${who} ${limit}`).join(', ') +
        `; need ${needed})`;
      if (run === 1) report.notes.push(note);
      log(note);
      continue;
    }
    try {
      const spec = await workload.prepareFanout(watchers);
      const outcome = await loadgen.fanout(spec, () => workload.server.pids());
      report.addFanout(workload.peer, watchers, outcome);
      log(
        `${workload.peer} fan-out @${watchers} run ${run}: armed in ${Math.round(outcome.armed.armMs)} ms ` +
          `(${outcome.armed.early} early), write ${outcome.triggerMs.toFixed(1)} ms, last ` +
          `${outcome.lastMs.toFixed(1)} ms, p99 ${outcome.p99Ms.toFixed(1)} ms, ` +
          `${outcome.missing} missing, RSS ${(outcome.rssBefore / 1e6).toFixed(0)} → ` +
          `${(outcome.rssWhileWaiting / 1e6).toFixed(0)} MB, ` +
          `server CPU ${outcome.armCpuMsPer1k.toFixed(0)} ms/1k watchers to arm, ` +
          `${outcome.fireCpuMs.toFixed(0)} ms to deliver`,
      );
    } catch (error: unknown) {
      const note = `${workload.peer} fan-out @${watchers} run ${run} failed: ${errorMessage(error)}`;
      report.notes.push(note);
      log(note);
    }
    // Let the server drop the watchers' connections before the next run.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function filesystemOf(dir: string): string {
  try {
    return execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).split('\n')[1].trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const maxWatchers = Math.max(0, ...options.fanout, ...options.etcdFanout);
  const ownLimit = openFilesLimit();
  if (ownLimit < maxWatchers + FD_HEADROOM) {
    log(
      `note: this process may open ${ownLimit} files; load generators and servers are started ` +
        `with ulimit -n raised as far as the hard limit allows (fan-out needs ${maxWatchers + FD_HEADROOM})`,
    );
  }
  mkdirSync(options.dataRoot, { recursive: true });
  const workDir = mkdtempSync(path.join(options.dataRoot, 'consulate-bench-kv-'));
  const report = new BenchReport(Math.max(...options.concurrency));
  const loadgen = LoadGenerator.start(options.loadgenProcesses, 65536);
  const startedAt = new Date();
  log(`data and logs in ${workDir} (${filesystemOf(workDir)})`);
  const workloads: Workload[] = [];
  try {
    for (const peer of options.only) {
      try {
        const workload = await startWorkload(peer, options, workDir);
        workloads.push(workload);
        report.descriptions.set(peer, workload.description);
        log(`${peer} up: ${workload.description}, pid ${workload.server.pid}`);
        await populate(workload, options, loadgen);
      } catch (error: unknown) {
        const note = `${peer} failed to start: ${errorMessage(error)}`;
        report.notes.push(note);
        log(note);
      }
    }
    // The peers take turns at each concurrency, so that the cells a target compares run close
    // together in time and a burst of noise on this shared machine hits both sides alike.
    const attempt = async (workload: Workload, what: string, step: () => Promise<void>) => {
      try {
        if (!workload.server.running) throw new Error(`exited: ${workload.server.tail()}`);
        await step();
      } catch (error: unknown) {
        const note = `${workload.peer} ${what} failed: ${errorMessage(error)}`;
        report.notes.push(note);
        log(note);
      }
    };
    for (let run = 1; run <= options.runs; run++) {
      for (const concurrency of options.concurrency) {
        for (const workload of workloads) {
          await attempt(workload, `cells @${concurrency} run ${run}`, () =>
            runCells(workload, concurrency, run, options, loadgen, report),
          );
        }
      }
      for (const workload of workloads) {
        await attempt(workload, `fan-out run ${run}`, () =>
          runFanouts(workload, run, options, loadgen, report),
        );
      }
    }
  } finally {
    await Promise.all(workloads.map((w) => w.server.stop()));
    loadgen.stop();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  }

  const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const lines = [
    `# KV bench (${startedAt.toISOString()})`,
    '',
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ` +
      `Node ${process.version}, data on ${filesystemOf(options.dataRoot)}. ` +
      `Cells: ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured, ` +
      `closed loop, one keep-alive connection per client, ${options.keys.toLocaleString('en-US')} keys ` +
      `of ${options.valueBytes} bytes, ${options.loadgenProcesses} load-generator process(es); ` +
      `${options.runs} run(s)${options.runs > 1 ? ', medians shown' : ''}; took ${seconds} s.`,
    '',
    ...[...report.descriptions].map(([peer, description]) => `- ${peer}: ${description}`),
    '',
    '## Targets',
    '',
    report.targetsTable(),
    '',
    '## Cells',
    '',
    report.cellsTable(),
    '',
    '## Fan-out (one key, each watcher on its own connection; times from the write’s response)',
    '',
    report.fanoutTable(),
    '',
  ];
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  process.stdout.write(lines.join('\n'));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllServers();
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:kv: ${errorMessage(error)}\n(see --help)\n`);
  process.exitCode = 1;
});
