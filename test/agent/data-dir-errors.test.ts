// A data dir the agent cannot use stops it with exit 1 and one line naming the path, what was
// attempted and why, never a stack trace. The read-only cases mount a read-only tmpfs (root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EPHEMERAL_PORTS, MAIN } from './spawn-agent';

function runAgent(dataDir: string): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(
    process.execPath,
    [MAIN, 'agent', '-server', '-bootstrap', '-data-dir', dataDir, ...EPHEMERAL_PORTS],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function assertRefused(dataDir: string, message: string): void {
  const { status, stderr, stdout } = runAgent(dataDir);
  assert.equal(status, 1, stderr);
  assert.ok(stderr.includes(message), `stderr names the path and cause:\n${stderr}`);
  assert.doesNotMatch(stderr + stdout, /\n\s+at /, 'no stack trace');
}

describe('an unusable -data-dir', () => {
  let dir: string;
  let readOnly: string;

  before(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a read-only tmpfs and must run as root (CI does)');
    }
    dir = mkdtempSync(join(tmpdir(), 'consulate-datadir-'));
    readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly], {
      encoding: 'utf8',
    });
    if (mounted.status !== 0) throw new Error(`mount: ${mounted.stderr}`);
  });
  after(() => {
    spawnSync('umount', ['-l', readOnly]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a read-only file system is refused as not writable', () => {
    assertRefused(
      readOnly,
      `==> data_dir: cannot write to "${readOnly}": read-only file system (EROFS)`,
    );
  });

  it('that would be created on a read-only file system is refused with EROFS', () => {
    const inside = join(readOnly, 'a', 'b');
    assertRefused(
      inside,
      `==> data_dir: cannot create directory "${inside}": read-only file system (EROFS)`,
    );
  });

  it('that is a file is refused', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    assertRefused(
      file,
      `==> data_dir: cannot create directory "${file}": a file that is not a directory is in the way (EEXIST)`,
    );
  });

  it('below a file is refused', () => {
    const below = join(dir, 'file2', 'data');
    writeFileSync(join(dir, 'file2'), 'x');
    assertRefused(
      below,
      `==> data_dir: cannot create directory "${below}": a component of the path is not a directory (ENOTDIR)`,
    );
  });

  it('whose Raft database cannot be opened names the database file', () => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'raft', 'raft.db'), { recursive: true });
    assertRefused(data, `cannot open the Raft database ${join(data, 'raft', 'raft.db')}:`);
  });
});
