// Gossip failure detection and traffic: N real serf agents (LAN profile) and N Consulate
// members (bench/gossip/node.ts: our Serf with Consul's LAN settings), one pool per side, on
// 127.0.80.x / 127.0.81.x, for N = 10 and 30. For each: kill -9 of one member → time until every
// other member has reported it failed (p50/p99 over repeats); gossip payload bytes/s per member
// at rest (tcpdump on lo); RSS per member. Not a test: prints a markdown table.
// Usage: npm run bench:gossip -- [--sizes 10,30] [--repeats 5] [--rest-seconds 10] [--sides serf,consulate]
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serfBinary } from '../../test/gossip/serf/serf-agent';
import { fmt, fmtMB, markdownTable, quantileOf, rssBytes } from '../lib';

type Side = 'serf' | 'consulate';

interface Member {
  name: string;
  ip: string;
  proc: ChildProcess;
  /** name → when this member reported it failed (ms) */
  failedAt: Map<string, number>;
  alive: Set<string>;
  /** Our members say when their join succeeded; serf agents exit if theirs fails. */
  ready: boolean;
}

interface Row {
  side: Side;
  n: number;
  detectP50: number;
  detectP99: number;
  bytesPerSec: number;
  rss: number;
  repeats: number;
  /** Why the pool could not be measured (the table says so instead of a number). */
  error?: string;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function log(message: string): void {
  process.stderr.write(`[bench:gossip ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string | (() => string),
  cond: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(50);
  }
}

function subnet(side: Side): string {
  return side === 'serf' ? '127.0.80.' : '127.0.81.';
}

/** serf agents report member events through a handler script that timestamps each line. */
function startSerfMember(name: string, ip: string, join: string | null, dir: string): Member {
  const handler = path.join(dir, `${name}.sh`);
  const logFile = path.join(dir, `${name}.events`);
  writeFileSync(
    handler,
    `#!/bin/sh\nt=$(date +%s%3N)\nwhile read -r n rest; do echo "$t $SERF_EVENT $n" >> ${logFile}; done\n`,
  );
  chmodSync(handler, 0o755);
  const args = [
    'agent',
    `-node=${name}`,
    `-bind=${ip}:7946`,
    `-rpc-addr=${ip}:7373`,
    '-profile=lan',
    `-event-handler=${handler}`,
    '-log-level=warn',
  ];
  if (join) args.push(`-join=${join}`);
  const proc = spawn(serfBinary(), args, { stdio: 'ignore' });
  const m: Member = { name, ip, proc, failedAt: new Map(), alive: new Set(), ready: true };
  const poll = setInterval(() => {
    if (!existsSync(logFile)) return;
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const [t, type, who] = line.split(' ');
      if (!who) continue;
      if (type === 'member-join') m.alive.add(who);
      if (type === 'member-failed' && !m.failedAt.has(who)) m.failedAt.set(who, Number(t));
    }
  }, 100);
  proc.on('exit', () => clearInterval(poll));
  return m;
}

function startOurMember(name: string, ip: string, join: string | null): Member {
  const script = path.join(__dirname, 'node.js');
  const args = [script, '--name', name, '--ip', ip];
  if (join) args.push('--join', join);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const m: Member = { name, ip, proc, failedAt: new Map(), alive: new Set(), ready: false };
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as { t: number; type: string; names: string[] };
      if (e.type === 'ready') m.ready = true;
      for (const who of e.names) {
        if (e.type === 'member-join') m.alive.add(who);
        if (e.type === 'member-failed' && !m.failedAt.has(who)) m.failedAt.set(who, e.t);
      }
    }
  });
  return m;
}

/** Payload bytes sent by each source IP of the subnet during `seconds` (tcpdump on lo). */
async function trafficBySource(prefix: string, seconds: number): Promise<Map<string, number>> {
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '-nn', '-q', '-l', '-tt', 'net', `${prefix}0/24`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const bytes = new Map<string, number>();
  let buf = '';
  tcpdump.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      // "1700000000.000000 IP 127.0.80.1.7946 > 127.0.80.2.7946: UDP, length 123" / "… tcp 123"
      const m = /IP (\d+\.\d+\.\d+\.\d+)\.\d+ > [^:]+: (?:UDP, length|tcp) (\d+)/.exec(line);
      if (m) bytes.set(m[1], (bytes.get(m[1]) ?? 0) + Number(m[2]));
    }
  });
  await sleep(seconds * 1000);
  tcpdump.kill('SIGTERM');
  await new Promise((r) => tcpdump.once('exit', r));
  return bytes;
}

async function stopAll(members: Member[]): Promise<void> {
  await Promise.all(
    members.map(
      (m) =>
        new Promise<void>((resolve) => {
          if (m.proc.exitCode !== null || m.proc.signalCode !== null) return resolve();
          m.proc.once('exit', () => resolve());
          m.proc.kill('SIGKILL');
        }),
    ),
  );
}

async function benchPool(
  side: Side,
  n: number,
  repeats: number,
  restSeconds: number,
): Promise<Row> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-gossip-${side}-`));
  const prefix = subnet(side);
  const members: Member[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const ip = `${prefix}${i + 1}`;
      const join = i === 0 ? null : `${prefix}1:7946`;
      const name = `${side}-${i + 1}`;
      const m =
        side === 'serf' ? startSerfMember(name, ip, join, dir) : startOurMember(name, ip, join);
      members.push(m);
      // One at a time: 30 processes starting at once on a small machine time out their joins.
      if (side === 'consulate') await until(`${name} to join`, () => m.ready, 60_000);
      else if (i === 0) await sleep(500);
    }
    await until(
      () =>
        `${side} pool of ${n} to converge (members seen: ${members.map((m) => m.alive.size).join(',')})`,
      () => members.every((m) => members.every((o) => o === m || m.alive.has(o.name))),
      120_000,
    );
    log(`${side} N=${n}: converged; resting ${restSeconds}s`);
    await sleep(3000);
    const traffic = await trafficBySource(prefix, restSeconds);
    const total = [...traffic.values()].reduce((a, b) => a + b, 0);
    const rss = rssBytes(members.map((m) => m.proc.pid ?? 0)) / n;
    const detections: number[] = [];
    const live = [...members];
    for (let r = 0; r < repeats; r++) {
      const victim = live.splice(1 + (r % (live.length - 1)), 1)[0];
      const t0 = Date.now();
      victim.proc.kill('SIGKILL');
      await until(
        `${victim.name} failed everywhere`,
        () => live.every((m) => m.failedAt.has(victim.name)),
        120_000,
      );
      const detect = Math.max(...live.map((m) => (m.failedAt.get(victim.name) ?? t0) - t0));
      detections.push(detect / 1000);
      log(
        `${side} N=${n}: kill -9 ${victim.name} → failed everywhere after ${fmt(detect / 1000, 2)} s`,
      );
      await sleep(2000);
    }
    return {
      side,
      n,
      detectP50: quantileOf(detections, 0.5),
      detectP99: quantileOf(detections, 0.99),
      bytesPerSec: total / restSeconds / n,
      rss,
      repeats,
    };
  } finally {
    await stopAll(members);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = option('sizes', '10,30').split(',').map(Number);
  const repeats = Number(option('repeats', '5'));
  const restSeconds = Number(option('rest-seconds', '10'));
  const sides = option('sides', 'serf,consulate').split(',') as Side[];
  serfBinary();
  const rows: Row[] = [];
  for (const n of sizes) {
    for (const side of sides) {
      log(`${side}: starting ${n} members`);
      try {
        rows.push(await benchPool(side, n, repeats, restSeconds));
      } catch (err) {
        log(`${side} N=${n}: ${(err as Error).message}`);
        rows.push({
          side,
          n,
          detectP50: NaN,
          detectP99: NaN,
          bytesPerSec: NaN,
          rss: NaN,
          repeats: 0,
          error: (err as Error).message,
        });
      }
    }
  }
  const table: string[][] = [];
  for (const n of sizes) {
    const serf = rows.find((r) => r.side === 'serf' && r.n === n);
    const ours = rows.find((r) => r.side === 'consulate' && r.n === n);
    if (!serf || !ours) continue;
    for (const r of [serf, ours]) {
      table.push([
        (r.side === 'serf' ? 'serf 0.9 (Debian)' : 'Consulate') +
          (r.error ? ` — not measured: ${r.error}` : ''),
        String(n),
        fmt(r.detectP50, 2),
        fmt(r.detectP99, 2),
        fmt(r.bytesPerSec, 0),
        fmtMB(r.rss),
      ]);
    }
    table.push([
      'ratio Consulate/serf',
      String(n),
      fmt(ours.detectP50 / serf.detectP50, 2),
      fmt(ours.detectP99 / serf.detectP99, 2),
      fmt(ours.bytesPerSec / serf.bytesPerSec, 2),
      fmt(ours.rss / serf.rss, 2),
    ]);
  }
  process.stdout.write(
    `\nGossip pools on one machine (${os.cpus().length} cores), LAN timing, ${repeats} kills per pool; bytes/s = UDP+TCP payload sent per member at rest\n\n` +
      markdownTable(
        [
          'system',
          'N',
          'kill -9 → failed everywhere p50 (s)',
          'p99 (s)',
          'bytes/s per member',
          'RSS per member',
        ],
        table,
      ) +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:gossip failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
