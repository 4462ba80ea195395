// `consulate monitor` and `consulate debug` against a real agent process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { EPHEMERAL_PORTS, MAIN, startAgent } from '../agent/spawn-agent';
import { waitFor } from '../cluster-net/support';

test('consulate monitor prints the agent log at the level asked for and exits 0 on interrupt', async (t) => {
  const agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop());
  const monitor = spawn(
    process.execPath,
    [MAIN, 'monitor', `-http-addr=${agent.address}`, '-log-level=debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = once(monitor, 'exit') as Promise<[number | null]>;
  // A reload logs at info; the monitor stream shows it once subscribed, so keep asking.
  await waitFor(
    'a reload line in the monitor output',
    async () => {
      await fetch(`${agent.baseUrl}/v1/agent/reload`, { method: 'PUT' });
      return /\[(INFO|ERROR)\] +agent: .*reload/i.test(out);
    },
    15_000,
  );
  monitor.kill('SIGINT');
  const [code] = await exited;
  assert.equal(code, 0);
});

test('consulate debug writes an archive with the agent config, metrics and log', async (t) => {
  const agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop());
  const dir = mkdtempSync(join(tmpdir(), 'consulate-debug-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const output = join(dir, 'capture');
  const run = spawnSync(
    process.execPath,
    [
      MAIN,
      'debug',
      `-http-addr=${agent.address}`,
      '-duration=2s',
      '-interval=1s',
      `-output=${output}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.ok(existsSync(`${output}.tar.gz`));
  const listing = spawnSync('tar', ['-tzf', `${output}.tar.gz`], { encoding: 'utf8' }).stdout;
  for (const file of [
    'agent.json',
    'members.json',
    'index.json',
    'metrics-0.json',
    'metrics-1.json',
    'consulate.log',
  ]) {
    assert.match(listing, new RegExp(`^capture/${file.replace('.', '\\.')}$`, 'm'), file);
  }
  const agentJson = spawnSync('tar', ['-xzOf', `${output}.tar.gz`, 'capture/agent.json'], {
    encoding: 'utf8',
  }).stdout;
  assert.equal((JSON.parse(agentJson) as { Config: { Server: boolean } }).Config.Server, true);
});
