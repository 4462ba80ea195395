// Putting a rendered file in place: only when the bytes differ; a temp file in the same
// directory, fsynced, given its mode and owner, checked, then renamed over the destination (and
// the directory fsynced), so readers see the old file or the new one, never a mix.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  open,
  readFile,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { runShellOrThrow, shellQuote } from './command';

export interface WriteRequest {
  destination: string;
  contents: string;
  perms: number | null;
  uid: number | null;
  gid: number | null;
  backup: boolean;
  createDestDirs: boolean;
  /** Shell command run on the temp file before the rename; `{{.src}}` is its path. */
  check: string | null;
  checkTimeoutMs: number;
}

export type WriteOutcome = 'written' | 'unchanged';

const DEFAULT_MODE = 0o644;

export async function writeIfChanged(request: WriteRequest): Promise<WriteOutcome> {
  const { destination } = request;
  const next = Buffer.from(request.contents, 'utf8');
  const current = await readExisting(destination);
  if (current !== null && current.bytes.equals(next)) return 'unchanged';
  const dir = dirname(destination);
  if (request.createDestDirs) await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const mode = request.perms ?? current?.mode ?? DEFAULT_MODE;
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      mode,
    );
    try {
      await handle.writeFile(next);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    await applyOwner(temp, request.uid, request.gid);
    if (request.check !== null) {
      const command = request.check.replaceAll('{{.src}}', shellQuote(temp));
      await runShellOrThrow('check', command, request.checkTimeoutMs);
    }
    if (request.backup && current !== null) await copyFile(destination, `${destination}.bak`);
    await rename(temp, destination);
    await syncDirectory(dir);
    return 'written';
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

async function readExisting(path: string): Promise<{ bytes: Buffer; mode: number } | null> {
  try {
    const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
    return { bytes, mode: info.mode & 0o7777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Ownership changes need root; asking for someone else's uid/gid without it is an error. */
async function applyOwner(path: string, uid: number | null, gid: number | null): Promise<void> {
  if (uid === null && gid === null) return;
  const myUid = process.getuid?.() ?? -1;
  const myGid = process.getgid?.() ?? -1;
  if (myUid !== 0 && (uid ?? myUid) === myUid && (gid ?? myGid) === myGid) return;
  await chown(path, uid ?? -1, gid ?? -1);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
