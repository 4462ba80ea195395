// The package as a newcomer gets it: `npm pack`, a global install into a temp prefix (native
// SQLite built as in the repository), then the installed `consulate` runs a dev agent and the
// kv commands against it. The tarball holds what runs, not tests or benchmarks.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { startAgent, type RunningAgent } from '../agent/spawn-agent';

const ROOT = join(__dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'consulate-pack-'));
let agent: RunningAgent | null = null;
after(async () => {
  await agent?.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('npm pack holds only what runs, installs globally and gives a working consulate', async () => {
  // --ignore-scripts: the suite runs on the build it just made; prepack would rebuild it.
  const packed = JSON.parse(
    npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT),
  ) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((file) => file.path);
  assert.ok(files.includes('bin/consulate'));
  assert.ok(files.includes('dist/src/main.js'));
  assert.ok(files.includes('dist/build-info.json'));
  for (const path of files) {
    assert.doesNotMatch(path, /(^|\/)(test|bench)\/|\.test\.js/, `${path} should not ship`);
  }

  const prefix = join(work, 'prefix');
  npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, packed[0].filename),
    ],
    work,
  );
  const bin = join(prefix, 'bin', 'consulate');
  const version = spawnSync(bin, ['version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^Consulate v\d+\.\d+\.\d+\nRevision [0-9a-f]{40}/);
  assert.match(version.stdout, /Protocol 2 spoken by default, understands 2 to 3/);

  agent = await startAgent(
    [
      '-dev',
      '-http-port=0',
      '-dns-port=-1',
      '-server-port=0',
      '-serf-lan-port=0',
      '-serf-wan-port=0',
      '-grpc-port=-1',
    ],
    60_000,
    bin,
  );
  const env = { ...process.env, CONSUL_HTTP_ADDR: agent.address };
  const put = spawnSync(bin, ['kv', 'put', 'pkg/hello', 'world'], { encoding: 'utf8', env });
  assert.equal(put.status, 0, put.stderr);
  assert.equal(put.stdout, 'Success! Data written to: pkg/hello\n');
  const get = spawnSync(bin, ['kv', 'get', 'pkg/hello'], { encoding: 'utf8', env });
  assert.equal(get.stdout, 'world\n');
});
