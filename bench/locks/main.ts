// Locks bench: lock hand-off latency (release → the next contender holds it) with N contenders,
// and session renew throughput with many TTL sessions, against etcd's v3 lock API and lease
// keep-alive (through its JSON gateway) started in the same run.
// Run: npm run bench:locks -- [--contenders 100] [--handoffs 300] [--sessions 10000] [--seconds 5]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { Consul } from '../../clients/typescript/src';
import {
  cpuMs,
  fmt,
  killAllServers,
  LatencyHistogram,
  markdownTable,
  startEtcd,
  type EtcdPeer,
  type Target,
} from '../lib';
import { agentRevision, DEFAULT_AGENT_COMMAND, startAgent } from '../kv/agent';

interface Options {
  contenders: number;
  handoffs: number;
  sessions: number;
  seconds: number;
  concurrency: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    contenders: 100,
    handoffs: 300,
    sessions: 10_000,
    seconds: 5,
    concurrency: 32,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '') as keyof Options;
    if (!(name in options)) throw new Error(`unknown option ${argv[i]}`);
    options[name] = Number(argv[i + 1]);
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench:locks ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** JSON over a keep-alive agent. */
async function call(
  agent: http.Agent,
  target: Target,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method,
        path: pathname,
        agent,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface HandoffResult {
  p50: number;
  p99: number;
  count: number;
}

/**
 * N contenders loop acquire → release; the hand-off is the time from a holder starting its
 * release to the next holder's acquire returning.
 */
let releaseErrors = 0;

async function consulateHandoff(target: Target, options: Options): Promise<HandoffResult> {
  const histogram = new LatencyHistogram();
  let releasedAt = 0;
  let count = 0;
  let done = false;
  const address = `http://${target.host}:${target.port}`;
  const contenders = Array.from({ length: options.contenders }, async () => {
    const consul = new Consul({ address, timeoutMs: 120_000 });
    while (!done) {
      const lock = consul.lock('bench/lock/.lock', { lockDelay: 0, retryMs: 50, waitMs: 60_000 });
      const held = await lock.acquire().catch(async () => {
        releaseErrors++;
        await lock.release().catch(() => undefined);
        return false;
      });
      if (!held) continue;
      if (releasedAt > 0) {
        histogram.record(performance.now() - releasedAt);
        count++;
      }
      if (count >= options.handoffs) done = true;
      releasedAt = performance.now();
      // A release that fails (a keep-alive socket the agent just closed) still ends the
      // session, which frees the lock: count it and go on.
      await lock.release().catch(() => releaseErrors++);
    }
    consul.close();
  });
  await Promise.race([Promise.all(contenders), waitUntil(() => done)]);
  done = true;
  return { p50: histogram.quantile(0.5), p99: histogram.quantile(0.99), count };
}

async function etcdHandoff(etcd: EtcdPeer, options: Options): Promise<HandoffResult> {
  const histogram = new LatencyHistogram();
  let releasedAt = 0;
  let count = 0;
  let done = false;
  const name = Buffer.from('bench-lock').toString('base64');
  const contenders = Array.from({ length: options.contenders }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lease = JSON.parse(
      (await call(agent, etcd.target, 'POST', `${etcd.gateway}/lease/grant`, { TTL: 60 })).text,
    ) as { ID: string };
    while (!done) {
      const locked = await call(agent, etcd.target, 'POST', `${etcd.gateway}/lock/lock`, {
        name,
        lease: lease.ID,
      });
      if (locked.status !== 200) throw new Error(`etcd lock: ${locked.status} ${locked.text}`);
      const { key } = JSON.parse(locked.text) as { key: string };
      if (releasedAt > 0) {
        histogram.record(performance.now() - releasedAt);
        count++;
      }
      if (count >= options.handoffs) done = true;
      releasedAt = performance.now();
      await call(agent, etcd.target, 'POST', `${etcd.gateway}/lock/unlock`, { key });
    }
    agent.destroy();
  });
  await Promise.race([Promise.all(contenders), waitUntil(() => done)]);
  done = true;
  return { p50: histogram.quantile(0.5), p99: histogram.quantile(0.99), count };
}

interface RenewResult {
  perSecond: number;
  cpuPercent: number;
  errors: number;
}

/** Closed loop of renewals over `ids` for `seconds`, with the server's CPU over the window. */
async function renewLoop(
  ids: string[],
  options: Options,
  pids: number[],
  renew: (agent: http.Agent, id: string) => Promise<boolean>,
): Promise<RenewResult> {
  let ops = 0;
  let errors = 0;
  let next = 0;
  const cpuBefore = cpuMs(pids);
  const started = performance.now();
  const until = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (performance.now() < until) {
        const id = ids[next++ % ids.length];
        if (await renew(agent, id)) ops++;
        else errors++;
      }
      agent.destroy();
    }),
  );
  const elapsedMs = performance.now() - started;
  return {
    perSecond: (ops * 1000) / elapsedMs,
    cpuPercent: ((cpuMs(pids) - cpuBefore) * 100) / elapsedMs,
    errors,
  };
}

async function createMany<T>(
  count: number,
  concurrency: number,
  create: (agent: http.Agent) => Promise<T>,
): Promise<T[]> {
  const made: T[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (made.length < count) made.push(await create(agent));
      agent.destroy();
    }),
  );
  return made.slice(0, count);
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-locks-'));
  try {
    mkdirSync(path.join(workDir, 'consulate'), { recursive: true });
    const consulate = await startAgent(
      DEFAULT_AGENT_COMMAND,
      path.join(workDir, 'consulate', 'data'),
      path.join(workDir, 'consulate', 'agent.log'),
    );
    const etcd = await startEtcd(workDir);
    log(`etcd ${etcd.version}; consulate ${agentRevision()}`);

    log(`hand-off with ${options.contenders} contenders: consulate`);
    const consulateLock = await consulateHandoff(consulate.target, options);
    log(`hand-off with ${options.contenders} contenders: etcd`);
    const etcdLock = await etcdHandoff(etcd, options);

    // Created with a long TTL: creating 10,000 takes longer here than a 10 s TTL's 20 s grace,
    // and a renewal costs the same whatever the TTL (a timer reset / a lease refresh).
    log(`creating ${options.sessions} sessions and etcd leases`);
    const sessions = await createMany(options.sessions, options.concurrency, async (agent) => {
      const created = await call(agent, consulate.target, 'PUT', '/v1/session/create', {
        TTL: '3600s',
        Checks: [],
      });
      return (JSON.parse(created.text) as { ID: string }).ID;
    });
    const leases = await createMany(options.sessions, options.concurrency, async (agent) => {
      const granted = await call(agent, etcd.target, 'POST', `${etcd.gateway}/lease/grant`, {
        TTL: 3600,
      });
      return (JSON.parse(granted.text) as { ID: string }).ID;
    });
    log('renewing');
    const consulateRenew = await renewLoop(
      sessions,
      options,
      consulate.server.pids(),
      async (agent, id) =>
        (await call(agent, consulate.target, 'PUT', `/v1/session/renew/${id}`)).status === 200,
    );
    const etcdRenew = await renewLoop(leases, options, etcd.server.pids(), async (agent, id) =>
      (
        await call(agent, etcd.target, 'POST', `${etcd.gateway}/lease/keepalive`, { ID: id })
      ).text.includes('"TTL"'),
    );
    await Promise.all([consulate.server.stop(), etcd.server.stop()]);

    process.stdout.write(
      `## bench/locks (${os.cpus().length} CPUs, load avg ${os.loadavg()[0].toFixed(1)})\n\n` +
        markdownTable(
          ['measure', 'consulate', `etcd ${etcd.version}`, 'ratio'],
          [
            [
              `lock hand-off p50 (ms), ${options.contenders} contenders`,
              fmt(consulateLock.p50),
              fmt(etcdLock.p50),
              fmt(consulateLock.p50 / etcdLock.p50, 2),
            ],
            [
              `lock hand-off p99 (ms), ${options.contenders} contenders`,
              fmt(consulateLock.p99),
              fmt(etcdLock.p99),
              fmt(consulateLock.p99 / etcdLock.p99, 2),
            ],
            [
              `renewals/s over ${options.sessions} sessions / leases`,
              fmt(consulateRenew.perSecond, 0),
              fmt(etcdRenew.perSecond, 0),
              fmt(consulateRenew.perSecond / etcdRenew.perSecond, 2),
            ],
            [
              'server CPU % while renewing',
              fmt(consulateRenew.cpuPercent, 0),
              fmt(etcdRenew.cpuPercent, 0),
              fmt(consulateRenew.cpuPercent / etcdRenew.cpuPercent, 2),
            ],
            ['failed renewals', String(consulateRenew.errors), String(etcdRenew.errors), ''],
          ],
        ) +
        `\nHand-offs measured: consulate ${consulateLock.count} (${releaseErrors} requests failed on a closed keep-alive socket; the session was ended, which frees the lock), etcd ${etcdLock.count}. ` +
        'Consulate contenders use the SDK lock (api.Lock layout, lock-delay 0, one session per hold); ' +
        'etcd contenders use the v3 lock API with one lease each. Renewals: PUT /v1/session/renew vs ' +
        `POST ${etcd.gateway}/lease/keepalive, ${options.concurrency} keep-alive clients, ${options.seconds} s.\n`,
    );
  } finally {
    killAllServers();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  killAllServers();
  process.exit(1);
});
