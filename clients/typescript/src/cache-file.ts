// The last good settings on disk, written atomically (temp file, fsync, rename) so that a crash
// mid-write leaves the previous file whole.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the cache holds: the raw KV entries (re-parsed and re-validated on load). */
export interface CachedSettings {
  version: 1;
  /** `key:<k>` or `prefix:<p>`: a cache for another source is ignored. */
  source: string;
  index: number;
  savedAt: string;
  entries: { Key: string; Value: string | null }[];
}

export async function writeCacheFile(path: string, cached: CachedSettings): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(cached)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** The cache for `source`, or undefined when the file is missing, unreadable or for another source. */
export async function readCacheFile(
  path: string,
  source: string,
): Promise<CachedSettings | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<CachedSettings>;
  if (parsed.version !== 1 || parsed.source !== source || !Array.isArray(parsed.entries)) {
    return undefined;
  }
  return parsed as CachedSettings;
}
