import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPHEMERAL_PORTS, MAIN, startAgent } from './spawn-agent';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runAgentToExit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, 'agent', ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a config file with a typo stops the agent with exit 1, naming the file and the key', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'agent.hcl');
  writeFileSync(file, 'datacenter = "dc1"\nports {\n  htp = 8500\n}\n');
  const result = runAgentToExit(['-dev', '-config-file', file, ...EPHEMERAL_PORTS]);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    new RegExp(`failed to parse ${file}: invalid config key ports\\.htp`),
  );
});

test('an unknown flag stops the agent with exit 1 and Go wording', () => {
  const result = runAgentToExit(['-dev', '-foo']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /flag provided but not defined: -foo/);
});

test('a non-dev agent without -data-dir is refused', () => {
  const result = runAgentToExit(['-server', ...EPHEMERAL_PORTS]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /data_dir cannot be empty/);
});

test('two dev agents run side by side on distinct ports and stop cleanly on SIGTERM', async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, 'agent.pid');
  const [a, b] = await Promise.all([
    startAgent(['-dev', '-node', 'alpha', '-pid-file', pidFile, ...EPHEMERAL_PORTS]),
    startAgent(['-dev', '-node', 'beta', '-datacenter', 'dc2', ...EPHEMERAL_PORTS]),
  ]);
  t.after(() => Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]));
  assert.notEqual(a.address, b.address);
  assert.match(a.output(), /==> Starting Consulate agent\.\.\./);
  assert.match(a.output(), /Node name: 'alpha'/);
  assert.match(b.output(), /Datacenter: 'dc2'/);
  assert.match(a.output(), /Server: true \(Bootstrap: true\)/);
  assert.equal(readFileSync(pidFile, 'utf8'), String(a.child.pid));

  const put = await fetch(`${a.baseUrl}/v1/kv/only-on-a`, { method: 'PUT', body: 'x' });
  assert.equal((await put.text()).trim(), 'true');
  assert.equal((await fetch(`${a.baseUrl}/v1/kv/only-on-a`)).status, 200);
  assert.equal((await fetch(`${b.baseUrl}/v1/kv/only-on-a`)).status, 404);

  assert.equal(await a.stop('SIGINT'), 0);
  assert.equal(await b.stop('SIGTERM'), 0);
  assert.match(a.output(), /graceful shutdown complete/);
  assert.equal(existsSync(pidFile), false);
});

for (const [variant, extra] of [
  ['from the log alone', []],
  [
    'from a snapshot plus the log after it',
    ['-hcl', 'raft_snapshot_threshold = 8\nraft_trailing_logs = 2'],
  ],
] as const) {
  test(`with -data-dir every key, value and ModifyIndex survives kill -9 (${variant})`, async (t) => {
    const dataDir = tempDir(t);
    const args = [
      '-server',
      '-bootstrap',
      '-data-dir',
      dataDir,
      '-bind',
      '127.0.0.1',
      ...EPHEMERAL_PORTS,
      ...extra,
    ];
    const first = await startAgent(args);
    t.after(() => first.stop('SIGKILL'));
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${first.baseUrl}/v1/kv/app/key-${i}?flags=${i}`, {
        method: 'PUT',
        body: `value-${i}`,
      });
      assert.equal((await response.text()).trim(), 'true');
    }
    await fetch(`${first.baseUrl}/v1/kv/app/key-3`, { method: 'DELETE' });
    const before = (await (await fetch(`${first.baseUrl}/v1/kv/app/?recurse`)).json()) as unknown[];
    assert.equal(before.length, 19);
    const nodeId = readFileSync(join(dataDir, 'node-id'), 'utf8');
    if (extra.length > 0) {
      const snapshots = join(dataDir, 'raft', 'snapshots');
      await waitFor(() => existsSync(snapshots) && readdirSync(snapshots).length > 0, first.output);
    }
    assert.equal(await first.stop('SIGKILL'), null);

    const second = await startAgent(args);
    t.after(() => second.stop('SIGKILL'));
    const response = await fetch(`${second.baseUrl}/v1/kv/app/?recurse`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), before);
    assert.match(second.output(), new RegExp(`Node ID: '${nodeId}'`));
    assert.equal(await second.stop('SIGTERM'), 0);
  });
}

test('SIGHUP reloads the log level from the config files', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify({ log_level: 'info' }));
  const agent = await startAgent(['-dev', '-config-file', file, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  writeFileSync(file, JSON.stringify({ log_level: 'warn' }));
  agent.child.kill('SIGHUP');
  await waitFor(() => /log level changed: log_level=warn/.test(agent.output()), agent.output);
  writeFileSync(file, JSON.stringify({ log_levle: 'debug' }));
  agent.child.kill('SIGHUP');
  await waitFor(() => /invalid config key log_levle/.test(agent.output()), agent.output);
  assert.equal(await agent.stop('SIGTERM'), 0);
});

async function waitFor(
  condition: () => boolean,
  output: () => string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
