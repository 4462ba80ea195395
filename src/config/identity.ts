// The node ID: configured, or generated once and kept in <data_dir>/node-id (random per run in
// -dev without a data dir). Also makes sure the data dir exists.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './normalize';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a file operation failed, in words plus the errno code: `read-only file system (EROFS)`. */
export function fileSystemReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words = code === undefined ? undefined : FS_REASONS[code];
  if (words !== undefined) return `${words} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

const FS_REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a component of the path is not a directory',
  EEXIST: 'a file that is not a directory is in the way',
  ENOENT: 'a parent directory does not exist',
  EIO: 'I/O error',
};

/**
 * Node's recursive mkdir answers ENOENT when a level below an existing directory cannot be made
 * (on a read-only file system, say): make that first missing level alone to learn the real cause.
 */
function realMkdirFailure(dir: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
  let missing = resolve(dir);
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  try {
    mkdirSync(missing);
    rmSync(missing, { recursive: true, force: true });
  } catch (inner) {
    return inner;
  }
  return error;
}

/** Creates the data dir when missing and proves it writable, naming the path on failure. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ConfigError(
      `data_dir: cannot create directory "${dataDir}": ${fileSystemReason(realMkdirFailure(dataDir, err))}`,
    );
  }
  if (!statSync(dataDir).isDirectory()) {
    throw new ConfigError(`data_dir: "${dataDir}" is not a directory`);
  }
  // Better to say so now than to fail later inside SQLite with "disk I/O error".
  const probe = join(dataDir, `.write-test-${process.pid}`);
  try {
    const fd = openSync(probe, 'w', 0o600);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    rmSync(probe, { force: true });
  } catch (err) {
    throw new ConfigError(
      `data_dir: cannot write to "${dataDir}": ${fileSystemReason(err)}; the agent keeps its Raft log, node ID and state there`,
    );
  }
}

export function resolveNodeId(configured: string | null, dataDir: string | null): string {
  if (configured !== null) return configured;
  if (dataDir === null) return randomUUID();
  const path = join(dataDir, 'node-id');
  let stored: string | null = null;
  try {
    stored = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read node ID from ${path}: ${fileSystemReason(err)}`);
    }
  }
  if (stored !== null) {
    if (!UUID.test(stored)) throw new ConfigError(`${path}: invalid node ID "${stored}"`);
    return stored.toLowerCase();
  }
  const generated = randomUUID();
  try {
    writeFileSync(path, generated, { mode: 0o600 });
  } catch (err) {
    throw new ConfigError(`cannot write node ID to ${path}: ${fileSystemReason(err)}`);
  }
  return generated;
}
