import { open, unlink } from 'node:fs/promises';
import type { Repository } from 'typeorm';
import type { SnapshotMeta } from '../types';
import type { SnapshotReceiveRow } from './entities';
import type { SnapshotSink } from './types';

/**
 * Receives one snapshot's bytes in order into a partial file. Each write is fsynced before its
 * progress is recorded in raft.db, so `received` never counts bytes a crash could lose.
 */
export class FileSnapshotSink implements SnapshotSink {
  private done = false;

  constructor(
    readonly meta: SnapshotMeta,
    private receivedBytes: number,
    private readonly partialPath: string,
    private readonly receives: Repository<SnapshotReceiveRow>,
    private readonly install: (meta: SnapshotMeta) => Promise<SnapshotMeta>,
  ) {}

  get received(): number {
    return this.receivedBytes;
  }

  /** A chunk that starts before `received` (a leader's retry) contributes only its new tail. */
  async write(offset: number, chunk: Uint8Array): Promise<void> {
    this.assertOpen();
    if (offset > this.receivedBytes) {
      throw new RangeError(`chunk offset ${offset} skips ahead of received ${this.receivedBytes}`);
    }
    const fresh = chunk.subarray(this.receivedBytes - offset);
    if (fresh.length === 0) return;
    if (this.receivedBytes + fresh.length > this.meta.size) {
      throw new RangeError(
        `chunk ends at ${this.receivedBytes + fresh.length}, past snapshot size ${this.meta.size}`,
      );
    }
    const handle = await open(this.partialPath, 'r+');
    try {
      await handle.write(fresh, 0, fresh.length, this.receivedBytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.receivedBytes += fresh.length;
    await this.receives.update({ index: this.meta.index }, { received: this.receivedBytes });
  }

  async finish(): Promise<SnapshotMeta> {
    this.assertOpen();
    if (this.receivedBytes !== this.meta.size) {
      throw new Error(
        `snapshot ${this.meta.index}: received ${this.receivedBytes} of ${this.meta.size} bytes`,
      );
    }
    this.done = true;
    return this.install(this.meta);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.receives.delete({ index: this.meta.index });
    await unlink(this.partialPath).catch((error: unknown) => {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    });
  }

  private assertOpen(): void {
    if (this.done)
      throw new Error(`snapshot sink ${this.meta.index} is already finished or aborted`);
  }
}
