// bench/large-answers: how long a status probe waits while the agent builds a huge answer
// (`GET /v1/kv/?recurse` over 143,000 keys, ~22 MB), against the same probe on the idle agent
// (the peer). The big GET runs in a child process so that reading 22 MB does not slow the
// probing client; the probes run one after another on one keep-alive connection.
//
//   node dist/bench/large-answers/main.js [--keys 143000] [--value 40] [--runs 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  connectionAgent,
  fmt,
  fmtMB,
  httpRequest,
  killAllServers,
  markdownTable,
  median,
  quantileOf,
  type Target,
} from '../lib';
import { agentRevision, DEFAULT_AGENT_COMMAND, startAgent } from '../kv/agent';

interface Options {
  keys: number;
  valueBytes: number;
  runs: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { keys: 143_000, valueBytes: 40, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].replace(/^--?/, '').split('=', 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`flag -${flag} needs a value`);
    if (flag === 'keys') options.keys = Number(value);
    else if (flag === 'value') options.valueBytes = Number(value);
    else if (flag === 'runs') options.runs = Number(value);
    else throw new Error(`unknown flag -${flag}`);
  }
  return options;
}

/** Writes the keys through /v1/txn, 128 sets per transaction. */
async function seed(target: Target, options: Options): Promise<void> {
  const agent = connectionAgent();
  const value = Buffer.alloc(options.valueBytes, 'v').toString('base64');
  try {
    for (let start = 0; start < options.keys; start += 128) {
      const ops = [];
      for (let i = start; i < Math.min(options.keys, start + 128); i++) {
        const key = `app/${String(i).padStart(7, '0')}/config`;
        ops.push({ KV: { Verb: 'set', Key: key, Value: value } });
      }
      const reply = await httpRequest(agent, target, {
        method: 'PUT',
        path: '/v1/txn',
        body: JSON.stringify(ops),
      });
      if (reply.status !== 200) throw new Error(`txn: ${reply.status} ${reply.body}`);
    }
  } finally {
    agent.destroy();
  }
}

interface BigAnswer {
  bytes: number;
  ms: number;
}

/** The big GET in a child process: resolves with its size and duration once it is read. */
function bigGet(target: Target, pathAndQuery: string, gzip: boolean): Promise<BigAnswer> {
  const script = `
    const http = require('node:http');
    const started = performance.now();
    const headers = ${gzip ? "{ 'accept-encoding': 'gzip' }" : '{}'};
    http.get({ host: '${target.host}', port: ${target.port}, path: '${pathAndQuery}', headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, ms: performance.now() - started })));
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`big GET exited with ${code}`));
      const result = JSON.parse(out) as BigAnswer & { status: number };
      if (result.status !== 200) return reject(new Error(`big GET answered ${result.status}`));
      resolve(result);
    });
  });
}

/** Probe latencies (ms), one after another, while `running()` holds (at least `min` probes). */
async function probe(target: Target, running: () => boolean, min = 0): Promise<number[]> {
  const agent = connectionAgent();
  const latencies: number[] = [];
  try {
    while (running() || latencies.length < min) {
      const started = performance.now();
      const reply = await httpRequest(agent, target, { method: 'GET', path: '/v1/status/leader' });
      if (reply.status !== 200) throw new Error(`status/leader: ${reply.status}`);
      latencies.push(performance.now() - started);
    }
  } finally {
    agent.destroy();
  }
  return latencies;
}

interface Cell {
  name: string;
  path: string;
  gzip: boolean;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-large-answers-'));
  try {
    const { target } = await startAgent(
      DEFAULT_AGENT_COMMAND,
      dataDir,
      path.join(dataDir, 'agent.log'),
    );
    process.stderr.write(`writing ${options.keys} keys…\n`);
    await seed(target, options);
    const idle = await probe(target, () => false, 500);
    const cells: Cell[] = [
      { name: 'GET /v1/kv/?recurse', path: '/v1/kv/?recurse', gzip: false },
      { name: 'GET /v1/kv/?recurse (gzip)', path: '/v1/kv/?recurse', gzip: true },
      { name: 'GET /v1/kv/?keys', path: '/v1/kv/?keys', gzip: false },
    ];
    const idleP50 = median(idle);
    const rows: string[][] = [
      ['(idle agent: the peer)', '', '', String(idle.length), fmt(idleP50, 2)],
    ];
    rows[0].push(fmt(quantileOf(idle, 0.99), 2), fmt(Math.max(...idle), 2), '1.0×');
    for (const cell of cells) {
      const runs: { big: BigAnswer; latencies: number[] }[] = [];
      for (let run = 0; run < options.runs; run++) {
        let running = true;
        const big = bigGet(target, cell.path, cell.gzip).finally(() => (running = false));
        const latencies = await probe(target, () => running);
        runs.push({ big: await big, latencies });
      }
      const all = runs.flatMap((r) => r.latencies);
      const worst = Math.max(...all);
      rows.push([
        cell.name,
        fmtMB(runs[0].big.bytes),
        fmt(median(runs.map((r) => r.big.ms)), 0),
        String(all.length),
        fmt(median(all), 2),
        fmt(quantileOf(all, 0.99), 2),
        fmt(worst, 1),
        `${fmt(worst / idleP50, 0)}×`,
      ]);
      process.stderr.write(`${cell.name}: worst probe ${fmt(worst, 1)} ms\n`);
    }
    console.log(`## A status probe while the agent answers ${options.keys} keys at once\n`);
    console.log(
      `Agent: ${agentRevision()}; ${options.valueBytes}-byte values; ${options.runs} run(s) per ` +
        `row, probes one after another on one keep-alive connection; load average ` +
        `${os.loadavg()[0].toFixed(2)} at the end.\n`,
    );
    console.log(
      markdownTable(
        [
          'while',
          'answer',
          'answer ms',
          'probes',
          'probe p50 ms',
          'probe p99 ms',
          'probe max ms',
          'max / idle p50',
        ],
        rows,
      ),
    );
  } finally {
    killAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllServers();
  process.exit(1);
});
