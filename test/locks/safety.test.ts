// Safety of locks under contention and crashes: SDK contenders (each its own process, kill -9'd
// while holding) and `consulate lock` contenders take one lock over and over. Every holder
// appends `acquire`/`release` to one history file (appends are atomic and ordered by the
// kernel); the test appends `killed` once a holder is dead. Checked from that history: never
// two holders at once, and a killed holder's lock is taken over within 2 x TTL + lock-delay.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { EPHEMERAL_PORTS, MAIN, startAgent, type RunningAgent } from '../agent/spawn-agent';

const CONTENDER = join(__dirname, 'contender.js');
const PREFIX = 'safety/job';
const KEY = `${PREFIX}/.lock`;
const SDK_TTL_MS = 2000;
const SDK_LOCK_DELAY_MS = 300;
const TARGET_ACQUISITIONS = 14;
const TARGET_KILLS = 3;

let agent: RunningAgent;
let dir: string;
let history: string;
const running = new Set<ChildProcess>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-safety-'));
  history = join(dir, 'history.log');
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS, '-hcl', 'session_ttl_min = "1s"']);
});

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await agent.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function startSdk(id: string): ChildProcess {
  return track(
    spawn(process.execPath, [CONTENDER, agent.baseUrl, KEY, history, id], { stdio: 'ignore' }),
  );
}

function startCli(id: string): ChildProcess {
  const script =
    `echo "acquire ${id} $(date +%s%3N)" >> ${history}; sleep 0.15; ` +
    `echo "release ${id} $(date +%s%3N)" >> ${history}`;
  return track(
    spawn(process.execPath, [MAIN, 'lock', PREFIX, script], {
      env: { ...process.env, CONSUL_HTTP_ADDR: agent.address },
      stdio: 'ignore',
    }),
  );
}

interface Event {
  kind: 'acquire' | 'release' | 'killed';
  id: string;
  at: number;
}

function readHistory(): Event[] {
  if (!existsSync(history)) return [];
  return readFileSync(history, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [kind, id, at] = line.split(' ');
      return { kind: kind as Event['kind'], id, at: Number(at) };
    });
}

/** Every violation of mutual exclusion in `events`, as text. */
function violations(events: Event[]): string[] {
  const found: string[] = [];
  let holder: string | null = null;
  events.forEach((event, i) => {
    if (event.kind === 'acquire') {
      if (holder !== null) found.push(`#${i}: ${event.id} acquired while ${holder} held it`);
      holder = event.id;
    } else if (event.kind === 'release') {
      if (holder !== event.id) found.push(`#${i}: ${event.id} released a lock it did not hold`);
      holder = null;
    } else if (holder === event.id) {
      holder = null;
    }
  });
  return found;
}

test('never two holders at once, with kill -9 of SDK holders and consulate lock contenders', async () => {
  let sdkSerial = 0;
  let cliSerial = 0;
  const sdk = new Map<string, ChildProcess>();
  for (let i = 0; i < 3; i++) {
    const id = `sdk-${sdkSerial++}`;
    sdk.set(id, startSdk(id));
  }
  const cli = new Set<ChildProcess>();
  const respawnCli = (): void => {
    const child = startCli(`cli-${cliSerial++}`);
    cli.add(child);
    child.once('exit', () => {
      cli.delete(child);
      if (!stopping) respawnCli();
    });
  };
  let stopping = false;
  for (let i = 0; i < 2; i++) respawnCli();

  let kills = 0;
  const deadline = Date.now() + 100_000;
  for (;;) {
    const events = readHistory();
    const acquisitions = events.filter((event) => event.kind === 'acquire');
    const byCli = acquisitions.filter((event) => event.id.startsWith('cli-')).length;
    if (acquisitions.length >= TARGET_ACQUISITIONS && kills >= TARGET_KILLS && byCli >= 2) break;
    assert.ok(
      Date.now() < deadline,
      `only ${acquisitions.length} acquisitions (${byCli} by consulate lock) and ${kills} kills`,
    );
    const last = events[events.length - 1];
    // An SDK contender holds the lock right now: crash it.
    if (last?.kind === 'acquire' && kills < TARGET_KILLS && sdk.has(last.id)) {
      const victim = sdk.get(last.id) as ChildProcess;
      sdk.delete(last.id);
      victim.kill('SIGKILL');
      await once(victim, 'exit');
      appendFileSync(history, `killed ${last.id} ${Date.now()}\n`);
      kills++;
      const id = `sdk-${sdkSerial++}`;
      sdk.set(id, startSdk(id));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stopping = true;
  for (const child of sdk.values()) child.kill('SIGKILL');
  await Promise.all(
    [...cli].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }),
  );

  const events = readHistory();
  assert.deepEqual(violations(events), [], events.map((e) => `${e.kind} ${e.id}`).join('\n'));
  const holders = new Set(events.filter((e) => e.kind === 'acquire').map((e) => e.id));
  assert.ok(
    [...holders].some((id) => id.startsWith('cli-')),
    'a consulate lock contender held it',
  );
  assert.ok(
    [...holders].some((id) => id.startsWith('sdk-')),
    'an SDK contender held it',
  );
  // A crashed holder's lock is free again after its session's grace (2 x TTL) and lock-delay;
  // allow a little for the server and the contenders' retry pause.
  const bound = 2 * SDK_TTL_MS + SDK_LOCK_DELAY_MS + 3000;
  events.forEach((event, i) => {
    if (event.kind !== 'killed') return;
    const next = events.slice(i + 1).find((later) => later.kind === 'acquire');
    if (next === undefined) return;
    assert.ok(next.at - event.at <= bound, `taken over ${next.at - event.at} ms after a kill`);
  });
});
