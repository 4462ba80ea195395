// `consulate dev-cluster`: three servers and one client as real processes; the members list seen
// through the client, a KV write through the client read on a server, and SIGINT stopping all.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

import { MAIN } from '../agent/spawn-agent';

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what} did not happen: ${String(last)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  'dev-cluster runs 3 servers and 1 client, and SIGINT stops every agent',
  { timeout: 180_000 },
  async () => {
    const octet = 100 + Math.floor(Math.random() * 150);
    const first = `127.0.${octet}.10`;
    const basePort = 20_000 + Math.floor(Math.random() * 30_000);
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'dev-cluster',
        '-servers=3',
        '-clients=1',
        `-base-port=${basePort}`,
        `-first-address=${first}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await eventually('the cluster banner', async () =>
        /Press Ctrl-C/.test(stdout) ? true : child.exitCode === null ? undefined : false,
      );
      assert.match(
        stdout,
        new RegExp(`export CONSUL_HTTP_ADDR=http://127\\.0\\.${octet}\\.13:${basePort}`),
      );
      const clientUrl = `http://127.0.${octet}.13:${basePort}`;
      const serverUrl = `http://127.0.${octet}.11:${basePort}`;
      await eventually('4 alive members through the client', async () => {
        const { status, body } = await get(`${clientUrl}/v1/agent/members`);
        if (status !== 200) return undefined;
        const members = JSON.parse(body) as { Name: string; Status: number }[];
        const alive = members.filter((member) => member.Status === 1).map((member) => member.Name);
        return alive.length === 4 ? alive : undefined;
      });
      await eventually('a KV write through the client', async () => {
        const { status, body } = await get(`${clientUrl}/v1/kv/dev/cluster`, {
          method: 'PUT',
          body: 'hello',
        });
        return status === 200 && body.trim() === 'true' ? true : undefined;
      });
      const read = await eventually('the value read on a server', async () => {
        const { status, body } = await get(`${serverUrl}/v1/kv/dev/cluster?raw`);
        return status === 200 ? body : undefined;
      });
      assert.equal(read, 'hello');
    } finally {
      const pids = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((line) => line !== '')
        .map(Number);
      if (child.exitCode === null) child.kill('SIGINT');
      const [code] = await exited;
      const left = pids.filter(alive);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
      assert.equal(pids.length, 4, 'four agent processes were children of dev-cluster');
      assert.deepEqual(left, [], 'no agent process is left after SIGINT');
    }
  },
);
