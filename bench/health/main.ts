// bench/health: /v1/health/service/web?passing over 1,000 instances of one service, beside a KV
// GET measured on the same agent in the same run (the peer this issue compares against).
//
//   node dist/bench/health/main.js [--instances 1000] [--concurrency 1,16,64] [--duration 5]
//                                  [--warmup 1] [--runs 1]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  connectionAgent,
  fmt,
  httpRequest,
  killAllServers,
  LoadGenerator,
  markdownTable,
  median,
  type CellResult,
  type ClosedLoopSpec,
  type RequestTemplate,
  type Target,
} from '../lib';
import { agentRevision, DEFAULT_AGENT_COMMAND, startAgent } from '../kv/agent';

interface Options {
  instances: number;
  concurrency: number[];
  durationMs: number;
  warmupMs: number;
  runs: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    instances: 1000,
    concurrency: [1, 16, 64],
    durationMs: 5000,
    warmupMs: 1000,
    runs: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].replace(/^--?/, '').split('=', 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`flag -${flag} needs a value`);
    if (flag === 'instances') options.instances = Number(value);
    else if (flag === 'concurrency') options.concurrency = value.split(',').map(Number);
    else if (flag === 'duration') options.durationMs = Number(value) * 1000;
    else if (flag === 'warmup') options.warmupMs = Number(value) * 1000;
    else if (flag === 'runs') options.runs = Number(value);
    else throw new Error(`unknown flag -${flag}`);
  }
  return options;
}

/** One node per instance, each with a passing service check, as a fleet of agents would. */
async function registerInstances(target: Target, instances: number): Promise<void> {
  const agent = connectionAgent();
  try {
    for (let i = 0; i < instances; i++) {
      const node = `node-${String(i).padStart(4, '0')}`;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const body = JSON.stringify({
        Node: node,
        Address: address,
        Service: { ID: `web-${i}`, Service: 'web', Port: 8080, Tags: ['v1'] },
        Check: {
          CheckID: `web-${i}-http`,
          Name: 'web http',
          ServiceID: `web-${i}`,
          Status: 'passing',
        },
      });
      const reply = await httpRequest(agent, target, {
        method: 'PUT',
        path: '/v1/catalog/register',
        body,
        headers: { 'content-type': 'application/json' },
      });
      if (reply.status !== 200) throw new Error(`register ${node}: ${reply.status} ${reply.body}`);
    }
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-health-'));
  const loadgen = LoadGenerator.start(1, 4096);
  try {
    const { server, target } = await startAgent(
      DEFAULT_AGENT_COMMAND,
      dataDir,
      path.join(dataDir, 'agent.log'),
    );
    process.stderr.write(`registering ${options.instances} instances of web…\n`);
    await registerInstances(target, options.instances);
    const keys = { prefix: 'bench/', count: 1000, valueBytes: 256 };
    const put: RequestTemplate = { method: 'PUT', path: '/v1/kv/{key}', body: '{value}' };
    await loadgen.closedLoop(
      { target, request: put, keys, order: 'each-once', warmupMs: 0, durationMs: 0 },
      16,
      server.pids(),
    );

    const health: RequestTemplate = { method: 'GET', path: '/v1/health/service/web?passing' };
    const kvGet: RequestTemplate = { method: 'GET', path: '/v1/kv/{key}' };
    const cells: { name: string; request: RequestTemplate }[] = [
      { name: `health/service/web?passing (${options.instances} instances)`, request: health },
      { name: 'kv GET (256-byte value)', request: kvGet },
    ];
    const results = new Map<string, CellResult[]>();
    for (let run = 0; run < options.runs; run++) {
      for (const concurrency of options.concurrency) {
        for (const cell of cells) {
          const spec: ClosedLoopSpec = {
            target,
            request: cell.request,
            keys,
            order: 'random',
            warmupMs: options.warmupMs,
            durationMs: options.durationMs,
          };
          const result = await loadgen.closedLoop(spec, concurrency, server.pids());
          if (result.errors > 0)
            throw new Error(`${cell.name}: ${result.errors} errors: ${result.errorSamples[0]}`);
          const id = `${cell.name}|${concurrency}`;
          results.set(id, [...(results.get(id) ?? []), result]);
          process.stderr.write(`${id}: ${fmt(result.opsPerSec, 0)} ops/s\n`);
        }
      }
    }

    const rows: string[][] = [];
    for (const concurrency of options.concurrency) {
      const pick = (name: string, f: (r: CellResult) => number): number =>
        median((results.get(`${name}|${concurrency}`) ?? []).map(f));
      const [healthName, kvName] = cells.map((c) => c.name);
      for (const name of [healthName, kvName]) {
        rows.push([
          name,
          String(concurrency),
          fmt(
            pick(name, (r) => r.opsPerSec),
            0,
          ),
          fmt(
            pick(name, (r) => r.p50Ms),
            2,
          ),
          fmt(
            pick(name, (r) => r.p99Ms),
            2,
          ),
          fmt(
            pick(name, (r) => r.serverCpuMsPer1kOps),
            1,
          ),
          fmt(
            pick(name, (r) => r.otherCpuPct),
            0,
          ),
        ]);
      }
      const ratio = pick(healthName, (r) => r.opsPerSec) / pick(kvName, (r) => r.opsPerSec);
      rows.push([
        'ratio health / kv GET',
        String(concurrency),
        `${fmt(ratio, 2)}×`,
        '',
        '',
        '',
        '',
      ]);
    }
    console.log(
      `## /v1/health/service over ${options.instances} instances vs KV GET, same agent, same run\n`,
    );
    console.log(
      `Agent: ${agentRevision()}, \`${DEFAULT_AGENT_COMMAND.split(' ').slice(1, 4).join(' ')} …\`; ` +
        `medians of ${options.runs} run(s); ${options.durationMs / 1000} s per cell; load average ` +
        `${os.loadavg()[0].toFixed(2)} at the end.\n`,
    );
    console.log(
      markdownTable(
        ['request', 'clients', 'ops/s', 'p50 ms', 'p99 ms', 'server CPU ms/1k ops', 'other CPU %'],
        rows,
      ),
    );
  } finally {
    loadgen.stop();
    killAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllServers();
  process.exit(1);
});
