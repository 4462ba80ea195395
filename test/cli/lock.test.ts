// `consulate lock` against a real agent process: Consul's key layout for locks and semaphores,
// the child's environment, exit codes, -timeout, the signal passed on to the child, and the
// child stopped when the lock is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  EPHEMERAL_PORTS,
  httpCall,
  MAIN,
  runCli,
  startAgent,
  type RunningAgent,
} from '../agent/spawn-agent';

let agent: RunningAgent;
let dir: string;
const LOCK_FLAGS = '3304740253564472344';
const SEMAPHORE_FLAGS = '16210313421097356768';

const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-lock-'));
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
});

after(async () => {
  await agent.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function api(method: string, path: string): Promise<{ status: number; text: string }> {
  return httpCall(agent.baseUrl, method, path);
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `consulate lock` running in the background. */
function startLock(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN, 'lock', ...args], {
    env: { ...process.env, CONSUL_HTTP_ADDR: agent.address },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

test('runs the child holding <prefix>/.lock with Consul flags and session name, then cleans up', async () => {
  const seen = join(dir, 'seen.txt');
  const sessions = join(dir, 'sessions.json');
  const script =
    `echo "held=$CONSUL_LOCK_HELD" > ${seen}; ` +
    `curl -s "${agent.baseUrl}/v1/kv/cli/lock/.lock" >> ${seen}; ` +
    `curl -s "${agent.baseUrl}/v1/session/list" > ${sessions}`;
  const run = cli(['lock', 'cli/lock', script]);
  assert.equal(run.status, 0, run.stderr);
  const text = readFileSync(seen, 'utf8');
  assert.match(text, /^held=true\n/);
  assert.match(text, new RegExp(`"Flags":\\s*${LOCK_FLAGS}`));
  assert.match(text, /"LockIndex":\s*1/);
  const names = (JSON.parse(readFileSync(sessions, 'utf8')) as { Name: string }[]).map(
    (session) => session.Name,
  );
  assert.deepEqual(names, [`Consul lock for '${script}' at 'cli/lock'`]);
  // Released, cleaned up, and its session destroyed.
  assert.equal((await api('GET', '/v1/kv/cli/lock/.lock')).status, 404);
  assert.equal((await api('GET', '/v1/session/list')).text.includes('cli/lock'), false);
});

test('-child-exit-code exits 2 when the child fails; without it the exit is 0', () => {
  assert.equal(cli(['lock', 'cli/exit', 'exit 3']).status, 0);
  const failed = cli(['lock', '-child-exit-code', 'cli/exit', 'exit 3']);
  assert.equal(failed.status, 2);
  assert.match(failed.stderr, /Child terminated with error/);
});

test('-shell=false runs the argv itself', () => {
  const out = join(dir, 'argv.txt');
  const run = cli(['lock', '-shell=false', 'cli/argv', 'sh', '-c', `echo "$0 $1" > ${out}`, 'a']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8'), 'a \n');
});

test('-n 2 is a semaphore: the .lock document and a contender key per session', () => {
  const seen = join(dir, 'sem.txt');
  const script = `curl -s "${agent.baseUrl}/v1/kv/cli/sem/?recurse" > ${seen}`;
  const run = cli(['lock', '-n', '2', 'cli/sem', script]);
  assert.equal(run.status, 0, run.stderr);
  const pairs = JSON.parse(readFileSync(seen, 'utf8')) as {
    Key: string;
    Flags: number;
    Value: string;
    Session?: string;
  }[];
  const lockPair = pairs.find((pair) => pair.Key === 'cli/sem/.lock');
  const contender = pairs.find((pair) => pair.Key !== 'cli/sem/.lock');
  assert.ok(lockPair && contender);
  const doc = JSON.parse(Buffer.from(lockPair.Value, 'base64').toString()) as unknown;
  assert.deepEqual(doc, { Limit: 2, Holders: { [contender.Session as string]: true } });
  assert.equal(contender.Key, `cli/sem/${contender.Session}`);
  assert.match(readFileSync(seen, 'utf8'), new RegExp(`"Flags":\\s*${SEMAPHORE_FLAGS}`));
});

test('-timeout gives up while another holds the lock (exit 1)', async () => {
  const holder = startLock(['cli/busy', 'sleep 60']);
  await waitFor(
    async () => (await api('GET', '/v1/kv/cli/busy/.lock')).text.includes('Session'),
    'the holder to take the lock',
  );
  const waiter = cli(['lock', '-timeout', '1s', 'cli/busy', 'echo never']);
  assert.equal(waiter.status, 1);
  assert.equal(waiter.stdout, '');
  assert.match(waiter.stderr, /Shutdown triggered or timeout during lock acquisition/);
  holder.child.kill('SIGTERM');
  await once(holder.child, 'exit');
});

test('a signal is passed to the child, then the lock is released and cleaned up', async () => {
  const marker = join(dir, 'term.txt');
  const ready = join(dir, 'term-ready.txt');
  const holder = startLock(['cli/signal', trappingChild(marker, ready)]);
  await waitFor(() => existsSync(ready), 'the child to hold the lock with its trap set');
  holder.child.kill('SIGTERM');
  const [code] = (await once(holder.child, 'exit')) as [number | null];
  assert.equal(code, 0, holder.output());
  assert.equal(readFileSync(marker, 'utf8'), 'TERM\n');
  assert.equal((await api('GET', '/v1/kv/cli/signal/.lock')).status, 404);
});

test('losing the lock stops the child', async () => {
  const marker = join(dir, 'lost.txt');
  const ready = join(dir, 'lost-ready.txt');
  const holder = startLock(['cli/lost', trappingChild(marker, ready)]);
  await waitFor(() => existsSync(ready), 'the child to hold the lock with its trap set');
  let session = '';
  await waitFor(async () => {
    const key = await api('GET', '/v1/kv/cli/lost/.lock');
    session = /"Session":\s*"([^"]+)"/.exec(key.text)?.[1] ?? '';
    return session !== '';
  }, 'the lock');
  assert.equal((await api('PUT', `/v1/session/destroy/${session}`)).status, 200);
  await once(holder.child, 'exit');
  assert.match(holder.output(), /Lock lost, killing child/);
  assert.equal(readFileSync(marker, 'utf8'), 'TERM\n');
});

/** A child that records SIGTERM in `marker`, and says it is ready once its trap is set. */
function trappingChild(marker: string, ready: string): string {
  return `trap 'echo TERM > ${marker}; exit 0' TERM; echo ready > ${ready}; sleep 60 & wait`;
}

test('usage errors', () => {
  const missing = cli(['lock', 'only-prefix']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Key prefix and child command must be specified/);
  const limit = cli(['lock', '-n', '0', 'p', 'true']);
  assert.equal(limit.status, 1);
  assert.match(limit.stderr, /Lock holder limit must be positive/);
});
