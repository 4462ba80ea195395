// A TTL check's last reported status outlives an agent restart with -data-dir, as in Consul
// (checks/state/<sha256 of the check ID>, valid until the TTL would have run out): reported
// state comes back after kill -9, a stale one is dropped, deregistration deletes it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from './spawn-agent';

interface AgentCheck {
  Status: string;
  Output: string;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-ttl-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const statePath = (dataDir: string, checkId: string): string =>
  join(dataDir, 'checks', 'state', createHash('sha256').update(checkId).digest('hex'));

async function put(agent: RunningAgent, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${agent.baseUrl}${path}`, {
    method: 'PUT',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${await response.text()}`);
}

async function checks(agent: RunningAgent): Promise<Record<string, AgentCheck>> {
  const response = await fetch(`${agent.baseUrl}/v1/agent/checks`);
  return (await response.json()) as Record<string, AgentCheck>;
}

function agentArgs(dir: string): string[] {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'worker.json'),
    JSON.stringify({ check: { id: 'file-ttl', name: 'from a file', ttl: '10m' } }),
  );
  return ['-dev', '-data-dir', join(dir, 'data'), '-config-dir', configDir, ...EPHEMERAL_PORTS];
}

test('TTL checks keep their reported status and output across kill -9 and restart', async (t) => {
  const dir = tempDir(t);
  const args = agentArgs(dir);
  let agent = await startAgent(args);
  t.after(() => agent.stop('SIGKILL'));
  await put(agent, '/v1/agent/service/register', { Name: 'web', Check: { TTL: '10m' } });
  await put(agent, '/v1/agent/check/register', { ID: 'standalone', Name: 'sa', TTL: '10m' });
  await put(agent, '/v1/agent/check/pass/service:web?note=serving');
  await put(agent, '/v1/agent/check/update/standalone', { Status: 'warning', Output: 'slow' });
  await put(agent, '/v1/agent/check/pass/file-ttl?note=from%20file');
  const before = await checks(agent);
  assert.equal(before['service:web'].Status, 'passing');

  await agent.stop('SIGKILL');
  agent = await startAgent(args);
  const after = await checks(agent);
  assert.deepEqual(
    {
      web: after['service:web'],
      standalone: after.standalone,
      file: after['file-ttl'],
    },
    {
      web: { ...after['service:web'], Status: 'passing', Output: 'serving' },
      standalone: { ...after.standalone, Status: 'warning', Output: 'slow' },
      file: { ...after['file-ttl'], Status: 'passing', Output: 'from file' },
    },
  );
});

test('a saved TTL state past its expiry is not restored and is deleted', async (t) => {
  const dir = tempDir(t);
  const args = agentArgs(dir);
  let agent = await startAgent(args);
  t.after(() => agent.stop('SIGKILL'));
  await put(agent, '/v1/agent/check/register', { ID: 'stale', Name: 'stale', TTL: '10m' });
  await put(agent, '/v1/agent/check/pass/stale?note=long%20ago');
  await agent.stop('SIGTERM');

  // As if the agent had been down longer than the TTL: the state expired a second ago.
  const path = statePath(join(dir, 'data'), 'stale');
  const state = JSON.parse(readFileSync(path, 'utf8')) as { Expires: number };
  assert.ok(state.Expires > Date.now() / 1000 + 500, 'Expires is now + TTL');
  writeFileSync(path, JSON.stringify({ ...state, Expires: Math.floor(Date.now() / 1000) - 1 }));

  agent = await startAgent(args);
  const restored = (await checks(agent)).stale;
  assert.equal(restored.Status, 'critical');
  assert.equal(restored.Output, '');
  assert.equal(existsSync(path), false);
});

test('deregistering a TTL check deletes its saved state', async (t) => {
  const dir = tempDir(t);
  const agent = await startAgent(agentArgs(dir));
  t.after(() => agent.stop('SIGKILL'));
  await put(agent, '/v1/agent/check/register', { ID: 'gone', Name: 'gone', TTL: '10m' });
  await put(agent, '/v1/agent/check/pass/gone');
  const path = statePath(join(dir, 'data'), 'gone');
  assert.equal(existsSync(path), true);
  await put(agent, '/v1/agent/check/deregister/gone');
  assert.equal(existsSync(path), false);
});

test('a check registered through the API as passing comes back critical after a restart', async (t) => {
  const dir = tempDir(t);
  const args = agentArgs(dir);
  let agent = await startAgent(args);
  t.after(() => agent.stop('SIGKILL'));
  // Port 1 refuses; a 10m interval keeps the first run far away (its output would be non-empty).
  await put(agent, '/v1/agent/check/register', {
    ID: 'tcp',
    Name: 'tcp',
    TCP: '127.0.0.1:1',
    Interval: '10m',
    Status: 'passing',
  });
  assert.equal((await checks(agent)).tcp.Status, 'passing');
  await agent.stop('SIGTERM');
  agent = await startAgent(args);
  assert.equal((await checks(agent)).tcp.Status, 'critical');
});
