// SDK watch bench: N watchers in one process on K keys while a writer changes the keys at a fixed
// rate; change→callback latency (p50/p99/max) and the watching process's CPU, for this SDK's
// watch() and for the npm `consul` package's watch, against the same agent. After a warm-up the
// two alternate in ABBA order over `--rounds` rounds so that agent warm-up and drift hit both alike.
// Run: npm run build && node dist/bench/sdk/main.js [--watchers 1000] [--keys 100] [--rate 50]
//        [--seconds 30] [--rounds 4] [--warmup 5] [--agent-main dist/src/main.js]
import { fork, spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';

import { Consul } from '../../clients/typescript/src';
import { cpuMs, fmt, freePorts, markdownTable, quantileOf } from '../lib';
import { keyName, wallMs, type ChildMessage, type Library } from './watchers';

interface Options {
  watchers: number;
  keys: number;
  rate: number;
  seconds: number;
  agentMain: string;
  rounds: number;
  warmup: number;
}

interface PhaseResult {
  library: Library;
  expected: number;
  received: number;
  errors: number;
  latenciesMs: number[];
  cpuMs: number;
  /** Length of the CPU measurement window. */
  windowMs: number;
}

function log(message: string): void {
  process.stderr.write(`[bench:sdk ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: string): string => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : fallback;
  };
  return {
    watchers: Number(value('watchers', '1000')),
    keys: Number(value('keys', '100')),
    rate: Number(value('rate', '50')),
    seconds: Number(value('seconds', '30')),
    agentMain: resolve(value('agent-main', resolve(__dirname, '../../src/main.js'))),
    rounds: Number(value('rounds', '4')),
    warmup: Number(value('warmup', '5')),
  };
}

async function startAgent(main: string): Promise<{ process: ChildProcess; address: string }> {
  const [port] = await freePorts(1);
  const child = spawn(
    process.execPath,
    [
      main,
      'agent',
      '-dev',
      '-log-level',
      'warn',
      '-http-port',
      String(port),
      '-dns-port',
      '-1',
      '-grpc-port',
      '-1',
      '-server-port',
      '0',
      '-serf-lan-port',
      '0',
      '-serf-wan-port',
      '0',
      // The watchers all come from 127.0.0.1: above Consul's 200 connections per client.
      '-hcl',
      'limits { http_max_conns_per_client = 65536 }',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((ready, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('HTTP API listening on')) ready();
    });
    child.stderr?.resume(); // keep draining so the agent never blocks on a full pipe
    child.once('exit', (code) => fail(new Error(`agent exited with ${code}:\n${output}`)));
  });
  return { process: child, address: `127.0.0.1:${port}` };
}

function message<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((done, fail) => {
    const onMessage = (m: ChildMessage): void => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      done(m as Extract<ChildMessage, { type: T }>);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => fail(new Error(`watcher process exited with ${code}`)));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function runPhase(
  library: Library,
  seconds: number,
  options: Options,
  address: string,
  writer: Consul,
  seqStart: number,
): Promise<PhaseResult> {
  const child = fork(
    resolve(__dirname, 'watchers.js'),
    [library, address, String(options.watchers), String(options.keys)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_SDK_PROFILE=<dir> writes a CPU profile of each watcher process there.
      execArgv: process.env.BENCH_SDK_PROFILE
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SDK_PROFILE]
        : [],
    },
  );
  await message(child, 'ready');
  log(`${library}: ${options.watchers} watchers have their first result; writing`);
  await sleep(1000);
  const cpuBefore = cpuMs([child.pid as number]);
  const started = wallMs();
  const total = Math.round(options.rate * seconds);
  const pending: Promise<unknown>[] = [];
  let writeErrors = 0;
  for (let n = 0; n < total; n++) {
    await sleep(started + (n * 1000) / options.rate - wallMs());
    const seq = seqStart + n;
    pending.push(
      writer.kv
        .put(keyName(n % options.keys), JSON.stringify({ seq, t: wallMs() }))
        .catch(() => writeErrors++),
    );
  }
  await Promise.all(pending);
  if (writeErrors > 0) log(`${library}: ${writeErrors} writes failed`);
  await sleep(1000); // let the last changes arrive
  const cpuAfter = cpuMs([child.pid as number]);
  const windowMs = wallMs() - started;
  const reportReady = message(child, 'report');
  child.send({ type: 'report' });
  const report = await reportReady;
  return {
    library,
    expected: total * (options.watchers / options.keys),
    received: report.received,
    errors: report.errors,
    latenciesMs: report.latenciesMs,
    cpuMs: cpuAfter - cpuBefore,
    windowMs,
  };
}

interface Summary {
  library: Library;
  expected: number;
  received: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  cpuMs: number;
  windowMs: number;
}

function summarize(library: Library, phases: PhaseResult[]): Summary {
  const mine = phases.filter((p) => p.library === library);
  const latencies = mine.flatMap((p) => p.latenciesMs).sort((a, b) => a - b);
  const sum = (pick: (p: PhaseResult) => number): number =>
    mine.reduce((total, p) => total + pick(p), 0);
  return {
    library,
    expected: sum((p) => p.expected),
    received: sum((p) => p.received),
    errors: sum((p) => p.errors),
    p50: quantileOf(latencies, 0.5),
    p99: quantileOf(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    cpuMs: sum((p) => p.cpuMs),
    windowMs: sum((p) => p.windowMs),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const agent = await startAgent(options.agentMain);
  log(`agent on ${agent.address}`);
  const writer = new Consul({ address: agent.address });
  try {
    for (let k = 0; k < options.keys; k++) {
      await writer.kv.put(keyName(k), JSON.stringify({ seq: 0, t: wallMs() }));
    }
    let seq = 1;
    const phase = async (library: Library, seconds: number): Promise<PhaseResult> => {
      const result = await runPhase(library, seconds, options, agent.address, writer, seq);
      seq += Math.round(options.rate * seconds);
      return result;
    };
    if (options.warmup > 0) {
      log(`warm-up: ${options.warmup} s (not measured)`);
      await phase('sdk', options.warmup);
    }
    const results: PhaseResult[] = [];
    const perRound = options.seconds / options.rounds;
    for (let round = 0; round < options.rounds; round++) {
      const order: Library[] = round % 2 === 0 ? ['sdk', 'consul'] : ['consul', 'sdk'];
      for (const library of order) results.push(await phase(library, perRound));
    }
    const sdk = summarize('sdk', results);
    const peer = summarize('consul', results);
    const row = (r: Summary): string[] => [
      r.library === 'sdk' ? '@consulate/client watch()' : 'npm consul 2.x watch',
      `${r.received} / ${r.expected}`,
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.max, 2),
      fmt(r.cpuMs / 1000, 2),
      `${fmt((r.cpuMs / r.windowMs) * 100, 1)} %`,
      String(r.errors),
    ];
    console.log(
      `\n### SDK watchers: ${options.watchers} watchers on ${options.keys} keys, ` +
        `${options.rate} writes/s, ${options.seconds} s per library in ${options.rounds} alternating rounds ` +
        `(${process.platform}, ${os.cpus().length} CPUs, node ${process.version})\n`,
    );
    console.log(
      markdownTable(
        [
          'library',
          'changes seen / expected',
          'p50 ms',
          'p99 ms',
          'max ms',
          'CPU s',
          'CPU % of a core',
          'errors',
        ],
        [
          row(sdk),
          row(peer),
          [
            'ratio SDK / consul',
            '',
            fmt(sdk.p50 / peer.p50, 2),
            fmt(sdk.p99 / peer.p99, 2),
            fmt(sdk.max / peer.max, 2),
            fmt(sdk.cpuMs / peer.cpuMs, 2),
            '',
            '',
          ],
        ],
      ),
    );
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(
      `\nTargets: p99 ≤ 50 ms: ${verdict(sdk.p99 <= 50)}; ` +
        `CPU ≤ consul package's: ${verdict(sdk.cpuMs <= peer.cpuMs)}.`,
    );
  } finally {
    writer.close();
    agent.process.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
