// A durable agent whose data dir fills up: writes fail with a clear 500, reads go on, writes
// resume on their own once space is freed, and after kill -9 every acknowledged write is back.
// The data dir is a small tmpfs the test mounts (CI runs as root); it never skips.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from './spawn-agent';

const VALUE_BYTES = 16 * 1024;

function mount(args: string[]): void {
  const result = spawnSync('mount', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mount ${args.join(' ')}: ${result.stderr}`);
}

function valueFor(i: number): string {
  return String(i % 10).repeat(VALUE_BYTES);
}

async function put(agent: RunningAgent, key: string, value: string): Promise<Response> {
  return fetch(`${agent.baseUrl}/v1/kv/${key}`, { method: 'PUT', body: value });
}

describe('a full disk under a durable agent', () => {
  let dir: string;
  let mountPoint: string;
  let agent: RunningAgent | null = null;

  before(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a tmpfs and must run as root (CI does)');
    }
    dir = mkdtempSync(join(tmpdir(), 'consulate-diskfull-'));
    mountPoint = join(dir, 'mnt');
    spawnSync('mkdir', ['-p', mountPoint]);
    mount(['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    spawnSync('umount', ['-l', mountPoint]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writes while full, keeps serving reads, resumes by itself and loses nothing acknowledged', async () => {
    const dataDir = join(mountPoint, 'data');
    const args = ['-dev', '-data-dir', dataDir, ...EPHEMERAL_PORTS];
    agent = await startAgent(args);

    // Leave about 1 MiB free beside the agent's files.
    const filler = join(mountPoint, 'filler');
    const stats = statfsSync(mountPoint);
    writeFileSync(filler, Buffer.alloc(Number(stats.bavail) * Number(stats.bsize) - 1024 * 1024));

    const acknowledged = new Map<string, string>();
    const refused: string[] = [];
    let failure = '';
    for (let i = 0; i < 400 && failure === ''; i++) {
      const key = `fill/${i}`;
      const response = await put(agent, key, valueFor(i));
      const text = await response.text();
      if (response.status === 200) acknowledged.set(key, valueFor(i));
      else {
        assert.equal(response.status, 500, text);
        failure = text;
        refused.push(key);
      }
    }
    assert.match(failure, /^Raft log write failed: disk full/);
    assert.ok(acknowledged.size > 0, 'some writes fit before the disk filled');

    // The agent is up, reads are served, and further writes fail at once with the same reason.
    const leader = await fetch(`${agent.baseUrl}/v1/status/leader`);
    assert.equal(leader.status, 200);
    const [firstKey, firstValue] = acknowledged.entries().next().value as [string, string];
    const read = await fetch(`${agent.baseUrl}/v1/kv/${firstKey}?raw`);
    assert.equal(await read.text(), firstValue);
    const started = Date.now();
    const again = await put(agent, 'fill/again', 'x');
    assert.equal(again.status, 500);
    assert.match(await again.text(), /^Raft log write failed: disk full/);
    assert.ok(Date.now() - started < 2000, 'refused at once, not after a timeout');
    refused.push('fill/again');

    // Free the space: writes come back without a restart.
    rmSync(filler);
    const deadline = Date.now() + 20_000;
    let resumed = false;
    while (!resumed && Date.now() < deadline) {
      const response = await put(agent, 'after/space', 'back');
      resumed = response.status === 200;
      await response.text();
      if (!resumed) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(resumed, 'writes resumed within 20 s of freeing space');
    acknowledged.set('after/space', 'back');

    // kill -9 and restart on the same data dir: every acknowledged write is there, and a refused
    // one is either absent or whole (its entry may have been durable when space came back).
    await agent.stop('SIGKILL');
    agent = await startAgent(args);
    for (const [key, value] of acknowledged) {
      const response = await fetch(`${agent.baseUrl}/v1/kv/${key}?raw`);
      assert.equal(response.status, 200, `acknowledged ${key} is present`);
      assert.equal(await response.text(), value, `acknowledged ${key} is intact`);
    }
    for (const key of refused) {
      const response = await fetch(`${agent.baseUrl}/v1/kv/${key}?raw`);
      const text = await response.text();
      if (response.status === 200) {
        const expected = key === 'fill/again' ? 'x' : valueFor(Number(key.split('/')[1]));
        assert.equal(text, expected, `refused ${key} is absent or whole`);
      } else assert.equal(response.status, 404);
    }
  });
});
