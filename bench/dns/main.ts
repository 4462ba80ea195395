// DNS bench: dnsperf against the agent's DNS interface serving 100 services × 10 instances, and
// against dnsmasq serving the same names from a hosts file, in the same run. Both servers are
// pinned to one core (taskset -c 1), dnsperf to another (taskset -c 0).
// Run: npm run build && node dist/bench/dns/main.js [--seconds 8] [--clients 4] [--outstanding 200]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  fmt,
  freePorts,
  killAllServers,
  markdownTable,
  quantileOf,
  ServerProcess,
  shellQuote,
} from '../lib';

const SERVICES = 100;
const INSTANCES = 10;
const FIXED_QPS = 10_000;
const SERVER_CORE = '1';
const CLIENT_CORE = '0';
const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface Options {
  seconds: number;
  clients: number;
  outstanding: number;
}

interface PerfResult {
  qps: number;
  completedPct: number;
  p50Ms: number;
  p99Ms: number;
}

interface PeerResult {
  saturated: PerfResult;
  fixed: PerfResult;
}

function log(message: string): void {
  process.stderr.write(`[bench:dns ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 8, clients: 4, outstanding: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isFinite(value))
      throw new Error(`bad option ${argv[i]} ${argv[i + 1]}`);
    options[key] = value;
  }
  return options;
}

function serviceName(i: number): string {
  return `svc${String(i).padStart(3, '0')}`;
}

function instanceAddress(service: number, instance: number): string {
  return `10.${100 + Math.floor(service / 50)}.${(service % 50) * 5 + Math.floor(instance / 2)}.${10 + (instance % 2)}`;
}

/** Runs dnsperf (pinned) and returns its qps and, when `verbose`, latency quantiles. */
function dnsperf(
  port: number,
  queryFile: string,
  options: Options,
  extra: string[],
  verbose: boolean,
): Promise<PerfResult> {
  const args = [
    '-c',
    CLIENT_CORE,
    'dnsperf',
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queryFile,
    '-l',
    String(options.seconds),
    '-c',
    String(options.clients),
    '-q',
    String(options.outstanding),
    ...extra,
    ...(verbose ? ['-v'] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const latencies: number[] = [];
    let summary = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('> '))
          latencies.push(Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000);
        else summary += `${line}\n`;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (summary += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const qps = /Queries per second:\s+([\d.]+)/.exec(summary);
      const completed = /Queries completed:\s+\d+ \(([\d.]+)%\)/.exec(summary);
      if (code !== 0 || qps === null || completed === null) {
        reject(new Error(`dnsperf failed (${code}):\n${summary}`));
        return;
      }
      latencies.sort((a, b) => a - b);
      resolve({
        qps: Number(qps[1]),
        completedPct: Number(completed[1]),
        p50Ms: verbose ? quantileOf(latencies, 0.5) : NaN,
        p99Ms: verbose ? quantileOf(latencies, 0.99) : NaN,
      });
    });
  });
}

/** Saturation: qps from a plain run, latency from a verbose one; then p99 at a fixed rate. */
async function measure(
  name: string,
  port: number,
  queryFile: string,
  options: Options,
): Promise<PeerResult> {
  const plain = await dnsperf(port, queryFile, options, [], false);
  log(`${name}: ${fmt(plain.qps, 0)} qps at saturation`);
  const verbose = await dnsperf(port, queryFile, options, [], true);
  const fixed = await dnsperf(port, queryFile, options, ['-Q', String(FIXED_QPS)], true);
  log(
    `${name}: p99 ${fmt(verbose.p99Ms, 3)} ms saturated, ${fmt(fixed.p99Ms, 3)} ms at ${FIXED_QPS} qps`,
  );
  return { saturated: { ...plain, p50Ms: verbose.p50Ms, p99Ms: verbose.p99Ms }, fixed };
}

async function startAgent(dir: string): Promise<{ server: ServerProcess; dnsPort: number }> {
  const [httpPort, dnsPort, serverPort, lan, wan] = await freePorts(5);
  const command =
    `taskset -c ${SERVER_CORE} ${shellQuote(process.execPath)} dist/src/main.js agent -dev ` +
    `-log-level warn -node bench-agent -http-port ${httpPort} -dns-port ${dnsPort} ` +
    `-server-port ${serverPort} -serf-lan-port ${lan} -serf-wan-port ${wan} -grpc-port -1 -grpc-tls-port -1`;
  const server = new ServerProcess({
    name: 'consulate',
    command,
    cwd: repoRoot,
    logFile: path.join(dir, 'agent.log'),
  });
  await server.waitUntil(
    'HTTP up',
    () => register(httpPort, { Node: 'probe', Address: '10.99.0.1' }),
    60_000,
  );
  log(`agent up (HTTP ${httpPort}, DNS ${dnsPort}); registering ${SERVICES * INSTANCES} instances`);
  const jobs: Promise<boolean>[] = [];
  for (let s = 0; s < SERVICES; s++) {
    for (let i = 0; i < INSTANCES; i++) {
      jobs.push(
        register(httpPort, {
          Node: `node-${s}-${i}`,
          Address: instanceAddress(s, i),
          Service: { Service: serviceName(s), Port: 8000 + i },
          Checks: [
            {
              CheckID: `chk-${s}-${i}`,
              Name: 'alive',
              Status: 'passing',
              ServiceID: serviceName(s),
            },
          ],
        }),
      );
      if (jobs.length === 50) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
  return { server, dnsPort };
}

async function register(port: number, body: Record<string, unknown>): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify(body),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function startDnsmasq(dir: string): Promise<{ server: ServerProcess; port: number }> {
  const hosts = path.join(dir, 'hosts');
  const lines: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    for (let i = 0; i < INSTANCES; i++)
      lines.push(`${instanceAddress(s, i)} ${serviceName(s)}.service.consul`);
  }
  writeFileSync(hosts, `${lines.join('\n')}\n`);
  const [port] = await freePorts(1);
  const command =
    `taskset -c ${SERVER_CORE} dnsmasq --no-daemon --port ${port} --listen-address 127.0.0.1 ` +
    `--bind-interfaces --no-resolv --no-hosts --addn-hosts ${shellQuote(hosts)} --local-ttl 0 --user=root`;
  const server = new ServerProcess({
    name: 'dnsmasq',
    command,
    logFile: path.join(dir, 'dnsmasq.log'),
  });
  await server.waitForLine(/read .*hosts - \d+ names|started, version/, 10_000);
  return { server, port };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-dns-'));
  const queryFile = path.join(dir, 'queries.txt');
  writeFileSync(
    queryFile,
    Array.from({ length: SERVICES }, (_, s) => `${serviceName(s)}.service.consul A`).join('\n') +
      '\n',
  );
  try {
    const agent = await startAgent(dir);
    const consulate = await measure('consulate', agent.dnsPort, queryFile, options);
    await agent.server.stop();
    const dnsmasq = await startDnsmasq(dir);
    const peer = await measure('dnsmasq', dnsmasq.port, queryFile, options);
    await dnsmasq.server.stop();
    printReport(options, consulate, peer);
  } finally {
    killAllServers();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printReport(options: Options, consulate: PeerResult, dnsmasq: PeerResult): void {
  const ratio = (a: number, b: number): string => `${fmt(a / b, 2)}×`;
  const rows = [
    [
      'queries/s at saturation',
      fmt(consulate.saturated.qps, 0),
      fmt(dnsmasq.saturated.qps, 0),
      ratio(consulate.saturated.qps, dnsmasq.saturated.qps),
    ],
    [
      'p50 latency at saturation (ms)',
      fmt(consulate.saturated.p50Ms, 3),
      fmt(dnsmasq.saturated.p50Ms, 3),
      ratio(consulate.saturated.p50Ms, dnsmasq.saturated.p50Ms),
    ],
    [
      'p99 latency at saturation (ms)',
      fmt(consulate.saturated.p99Ms, 3),
      fmt(dnsmasq.saturated.p99Ms, 3),
      ratio(consulate.saturated.p99Ms, dnsmasq.saturated.p99Ms),
    ],
    [
      `queries/s at -Q ${FIXED_QPS}`,
      fmt(consulate.fixed.qps, 0),
      fmt(dnsmasq.fixed.qps, 0),
      ratio(consulate.fixed.qps, dnsmasq.fixed.qps),
    ],
    [
      `p99 latency at ${FIXED_QPS} qps (ms)`,
      fmt(consulate.fixed.p99Ms, 3),
      fmt(dnsmasq.fixed.p99Ms, 3),
      ratio(consulate.fixed.p99Ms, dnsmasq.fixed.p99Ms),
    ],
    [
      'queries completed (saturation)',
      `${fmt(consulate.saturated.completedPct, 2)}%`,
      `${fmt(dnsmasq.saturated.completedPct, 2)}%`,
      '',
    ],
  ];
  process.stdout.write(
    `\n## DNS: ${SERVICES} services × ${INSTANCES} instances, A queries over UDP without EDNS\n\n` +
      `dnsperf -c ${options.clients} -q ${options.outstanding} -l ${options.seconds} (pinned to core ${CLIENT_CORE}); ` +
      `servers pinned to core ${SERVER_CORE}. The agent answers 3 of 10 records (udp_answer_limit), ` +
      `dnsmasq all 10. Targets: ≥ 0.5× dnsmasq qps, p99 ≤ 2 ms at ${FIXED_QPS} qps.\n\n` +
      markdownTable(['metric', 'consulate', 'dnsmasq', 'consulate / dnsmasq'], rows) +
      '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  killAllServers();
  process.exit(1);
});
