// Which storage failures a Raft server can outlive: a full disk, a quota, an I/O error, a file
// system remounted read-only. Writes stop and are retried with backoff until storage takes
// them again; reads go on. Anything else (corruption, a bug) still stops the server.

/** Why writes are refused while storage is failing; the HTTP layer answers it with 500. */
export class StorageUnavailableError extends Error {
  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super(`Raft log write failed: ${reason}`, { cause });
    this.name = 'StorageUnavailableError';
  }
}

const REASONS: Record<string, string> = {
  SQLITE_FULL: 'disk full',
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  SQLITE_READONLY: 'read-only file system',
  EIO: 'I/O error',
};

/** The reason to retry after `error`, or null when it is not a storage failure to wait out. */
export function retryableStorageFailure(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code in REASONS) return REASONS[code];
  // SQLite's extended I/O codes: SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, …
  if (code.startsWith('SQLITE_IOERR')) return `I/O error (${code})`;
  if (code.startsWith('SQLITE_READONLY')) return 'read-only file system';
  return null;
}
