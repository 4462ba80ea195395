// Consul's Snapshot endpoint: save the whole state as an archive, and restore one through Raft
// so that every server installs it. A restore first spools the upload to a temporary file while
// checking it (gzip, tar, the three files, their SHA-256 sums, the state's format), so that a
// bad archive is refused before Raft sees a byte; then state.bin goes through Raft in chunks
// (staged, invisible to readers) and one last entry swaps the store on every server at once.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import type { RaftHandle } from '../raft';
import type { Command, RestoreResult, StateStore } from '../state';
import {
  archiveMeta,
  readArchive,
  SnapshotArchiveError,
  writeArchive,
  type ArchiveContents,
} from './snapshot-archive';

/** state.bin bytes per Raft entry: far below the 16 MiB RPC frame, small enough to replicate. */
export const RESTORE_CHUNK_BYTES = 512 * 1024;
const STATE_MAGIC = Buffer.from('CSNP');

export interface SavedSnapshot {
  /** The Raft index the state was taken at (X-Consul-Index). */
  index: number;
  /** The gzip archive, produced as it is read. */
  archive: Readable;
}

export interface SnapshotServiceOptions {
  raft: RaftHandle;
  store: StateStore;
  /** Proposes a command on the leader (forwarded from a follower); resolves with its result. */
  apply: (cmd: Command) => Promise<unknown>;
  /** Waits until the local store has what the leader had (`consistent`: confirmed by quorum). */
  readIndex: (consistent: boolean, signal?: AbortSignal) => Promise<number>;
  /** Where uploads are spooled while checked (the data dir when there is one). */
  spoolDir?: string;
}

export class SnapshotService {
  constructor(private readonly options: SnapshotServiceOptions) {}

  /**
   * The state as an archive: from this server with `stale`, else once it has caught up with a
   * quorum-confirmed leader (Consul runs save on the leader after a consistent-read check).
   */
  async save(stale: boolean, signal?: AbortSignal): Promise<SavedSnapshot> {
    const { raft, store } = this.options;
    if (!stale) await this.options.readIndex(true, signal);
    const state = store.snapshot();
    const index = store.lastIndex();
    const status = raft.status();
    const meta = archiveMeta(
      index,
      status.term,
      status.membership,
      status.membershipIndex,
      state.length,
    );
    return { index, archive: writeArchive(meta, state) };
  }

  /**
   * Restores the archive read from `upload` on every server. Throws SnapshotArchiveError with
   * the reason, having changed nothing, when the archive is corrupt or of another format.
   */
  async restore(upload: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const dir = await mkdtemp(join(this.options.spoolDir ?? tmpdir(), 'snapshot-restore-'));
    try {
      const path = join(dir, 'state.bin');
      const contents = await spool(upload, createWriteStream(path));
      await checkState(path, contents);
      signal?.throwIfAborted();
      await this.replicate(path, contents, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async replicate(
    path: string,
    contents: ArchiveContents,
    signal?: AbortSignal,
  ): Promise<void> {
    const restore = randomUUID();
    let offset = 0;
    const reader = createReadStream(path, { highWaterMark: RESTORE_CHUNK_BYTES });
    try {
      for await (const chunk of reader as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        const accepted = await this.options.apply({
          type: 'snapshot-chunk',
          restore,
          offset,
          data: chunk,
        });
        if (accepted !== true) {
          throw new SnapshotArchiveError(
            'restore interrupted: another snapshot restore started on the cluster',
          );
        }
        offset += chunk.length;
      }
    } finally {
      reader.destroy();
    }
    const result = await this.options.apply({
      type: 'snapshot-restore',
      restore,
      size: contents.stateSize,
      sha256: contents.stateSha256,
    });
    if (!isRestoreResult(result)) {
      throw new Error(`unexpected result of a snapshot restore: ${JSON.stringify(result)}`);
    }
    if (!result.restored) throw new SnapshotArchiveError(result.error);
  }
}

/** Copies state.bin into `file` while checking the archive; the file is closed either way. */
async function spool(upload: AsyncIterable<Uint8Array>, file: Writable): Promise<ArchiveContents> {
  try {
    const contents = await readArchive(upload, file);
    file.end();
    await finished(file);
    return contents;
  } catch (error) {
    // A write may still be in flight: its late failure is of no interest once we give up.
    file.on('error', () => undefined);
    file.destroy();
    await finished(file).catch(() => undefined);
    throw error;
  }
}

/** The metadata's size matches, and state.bin is a Consulate state (not Consul's FSM format). */
async function checkState(path: string, contents: ArchiveContents): Promise<void> {
  if (contents.meta.Size !== contents.stateSize) {
    throw new SnapshotArchiveError(
      `failed to read snapshot file: meta.json says ${contents.meta.Size} bytes of state, state.bin holds ${contents.stateSize}`,
    );
  }
  const handle = await open(path, 'r');
  const head = Buffer.alloc(STATE_MAGIC.length);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (!head.equals(STATE_MAGIC)) {
    throw new SnapshotArchiveError(
      'failed to restore snapshot: state.bin is not a Consulate state snapshot (snapshots of Consul servers use its own FSM format and cannot be restored)',
    );
  }
}

function isRestoreResult(value: unknown): value is RestoreResult {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (
    fields.restored === true || (fields.restored === false && typeof fields.error === 'string')
  );
}
