// `consulate snapshot save|restore|inspect` and `consulate operator autopilot
// get-config|set-config|state` against a dev agent, with Consul's output texts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { EPHEMERAL_PORTS, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

let agent: RunningAgent;
let dir: string;
const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-snapshot-cli-'));
  agent = await startAgent(['-dev', '-node', 'cli-node', ...EPHEMERAL_PORTS]);
});

after(async () => {
  await agent.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('snapshot save writes a verified archive, inspect describes it, restore brings it back', () => {
  assert.equal(cli(['kv', 'put', 'snap/a', 'before']).status, 0);
  assert.equal(cli(['kv', 'put', 'snap/b', 'kept']).status, 0);
  const file = join(dir, 'backup.snap');
  const saved = cli(['snapshot', 'save', file]);
  assert.equal(saved.stderr, '');
  assert.match(saved.stdout, /^Saved and verified snapshot to index \d+\n$/);
  assert.equal(existsSync(`${file}.unverified`), false);
  const index = /index (\d+)/.exec(saved.stdout)?.[1];

  const inspected = cli(['snapshot', 'inspect', file]);
  assert.equal(inspected.status, 0, inspected.stderr);
  const lines = inspected.stdout.split('\n');
  assert.match(lines[0], /^ ID {11}\d+-\d+-\d+$/);
  assert.match(lines[1], /^ Size {9}\d+$/);
  assert.equal(lines[2], ` Index        ${index}`);
  assert.match(lines[3], /^ Term {9}\d+$/);
  assert.equal(lines[4], ' Version      1');
  assert.equal(lines[5], '');
  assert.match(lines[6], /^ Type +Count +Size +$/);
  assert.match(inspected.stdout, /\n KVS +2 +\d+B +\n/);
  assert.match(inspected.stdout, /\n Total +\S+ +\n$/);

  assert.equal(cli(['kv', 'put', 'snap/a', 'after']).status, 0);
  assert.equal(cli(['kv', 'delete', 'snap/b']).status, 0);
  const restored = cli(['snapshot', 'restore', file]);
  assert.equal(restored.stderr, '');
  assert.equal(restored.stdout, 'Restored snapshot\n');
  assert.equal(cli(['kv', 'get', 'snap/a']).stdout, 'before\n');
  assert.equal(cli(['kv', 'get', 'snap/b']).stdout, 'kept\n');
});

test('snapshot restore and inspect refuse a corrupt file with the reason', () => {
  const bad = join(dir, 'bad.snap');
  writeFileSync(bad, gzipSync(Buffer.alloc(2048, 1)));
  const restored = cli(['snapshot', 'restore', bad]);
  assert.equal(restored.status, 1);
  assert.equal(
    restored.stderr,
    'Error restoring snapshot: Unexpected response code: 500 (failed to read snapshot file: failed reading snapshot: archive/tar: invalid tar header)\n',
  );
  const inspected = cli(['snapshot', 'inspect', bad]);
  assert.equal(inspected.status, 1);
  assert.equal(
    inspected.stderr,
    'Error reading snapshot: failed to read snapshot file: failed reading snapshot: archive/tar: invalid tar header\n',
  );
  const missing = cli(['snapshot', 'restore', join(dir, 'absent.snap')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^Error opening snapshot file: ENOENT/);
  assert.equal(cli(['snapshot', 'save']).stderr, 'Missing FILE argument\n');
  assert.equal(readFileSync(bad).length > 0, true);
});

test('operator autopilot get-config, set-config and state', () => {
  const initial = cli(['operator', 'autopilot', 'get-config']);
  assert.equal(initial.status, 0, initial.stderr);
  assert.equal(
    initial.stdout,
    [
      'CleanupDeadServers = true',
      'LastContactThreshold = 200ms',
      'MaxTrailingLogs = 250',
      'MinQuorum = 0',
      'ServerStabilizationTime = 10s',
      'RedundancyZoneTag = ""',
      'DisableUpgradeMigration = false',
      'UpgradeVersionTag = ""',
      '',
    ].join('\n'),
  );
  const set = cli([
    'operator',
    'autopilot',
    'set-config',
    '-cleanup-dead-servers=false',
    '-max-trailing-logs',
    '40',
    '-server-stabilization-time',
    '1m30s',
  ]);
  assert.equal(set.stderr, '');
  assert.equal(set.stdout, 'Configuration updated!\n');
  const after = cli(['operator', 'autopilot', 'get-config']).stdout;
  assert.match(after, /^CleanupDeadServers = false\n/m);
  assert.match(after, /^MaxTrailingLogs = 40$/m);
  assert.match(after, /^ServerStabilizationTime = 1m30s$/m);
  assert.match(after, /^LastContactThreshold = 200ms$/m);
  const refused = cli(['operator', 'autopilot', 'set-config', '-cleanup-dead-servers=maybe']);
  assert.equal(refused.status, 1);

  const state = cli(['operator', 'autopilot', 'state']);
  assert.equal(state.status, 0, state.stderr);
  assert.match(state.stdout, /^Healthy: {22}true\nFailure Tolerance: {12}0\n/);
  assert.match(state.stdout, /\n {6}Name: {12}cli-node\n/);
  assert.match(state.stdout, /\n {6}Status: {10}leader\n/);
  const json = JSON.parse(cli(['operator', 'autopilot', 'state', '-format=json']).stdout) as {
    Leader: string;
    Voters: string[];
  };
  assert.deepEqual(json.Voters, [json.Leader]);
});
