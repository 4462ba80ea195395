import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DataSource, Repository } from 'typeorm';
import type { SnapshotMeta } from '../types';
import { SnapshotReceiveRow } from './entities';
import {
  encodeTrailer,
  fsyncDir,
  parseSnapshotFileName,
  readTrailer,
  sha256Hex,
  sha256OfFile,
  snapshotFileName,
  verifySnapshotFile,
} from './snapshot-file';
import { FileSnapshotSink } from './snapshot-sink';
import type { SnapshotSink, SnapshotStore } from './types';

/** How many complete snapshots stay on disk: the newest, and one to fall back on if it rots. */
const retained = 2;

interface StoredSnapshot {
  index: number;
  term: number;
  name: string;
}

/**
 * Snapshots as files in one directory (see snapshot-file.ts for the format). A file appears under
 * its final name only once complete and fsynced, so a crash leaves at worst a temp file.
 */
export class FileSnapshotStore implements SnapshotStore {
  private constructor(
    private readonly dir: string,
    private readonly receives: Repository<SnapshotReceiveRow>,
    private readonly logger: Logger,
  ) {}

  static async open(
    dir: string,
    dataSource: DataSource,
    logger: Logger,
  ): Promise<FileSnapshotStore> {
    await mkdir(dir, { recursive: true });
    const store = new FileSnapshotStore(dir, dataSource.getRepository(SnapshotReceiveRow), logger);
    await store.removeLeftovers();
    return store;
  }

  async save(meta: Omit<SnapshotMeta, 'size'>, data: Uint8Array): Promise<SnapshotMeta> {
    const stored: SnapshotMeta = { ...meta, size: data.length };
    const temp = join(
      this.dir,
      `${snapshotFileName(meta.index, meta.term)}.${randomBytes(4).toString('hex')}.tmp`,
    );
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.writeFile(encodeTrailer({ ...stored, sha256: sha256Hex(data) }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.publish(temp, stored);
    return stored;
  }

  async latest(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null> {
    for (const candidate of await this.listStored()) {
      const path = join(this.dir, candidate.name);
      try {
        const { trailer, data } = verifySnapshotFile(await readFile(path));
        if (trailer.index !== candidate.index || trailer.term !== candidate.term) {
          throw new Error(`trailer says index ${trailer.index} term ${trailer.term}`);
        }
        const { index, term, membership, size } = trailer;
        return { meta: { index, term, membership, size }, data };
      } catch (error: unknown) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error({ file: path, reason }, 'snapshot failed verification, skipping it');
      }
    }
    return null;
  }

  async readChunk(index: number, offset: number, length: number): Promise<Uint8Array> {
    const stored = (await this.listStored()).find((s) => s.index === index);
    if (stored === undefined) throw new Error(`no stored snapshot with index ${index}`);
    const path = join(this.dir, stored.name);
    const { size } = await readTrailer(path);
    if (offset < 0 || offset > size)
      throw new RangeError(`offset ${offset} outside snapshot size ${size}`);
    const chunk = Buffer.alloc(Math.min(length, size - offset));
    const handle = await open(path, 'r');
    try {
      await handle.read(chunk, 0, chunk.length, offset);
    } finally {
      await handle.close();
    }
    return chunk;
  }

  async openSink(meta: SnapshotMeta): Promise<SnapshotSink> {
    const partial = this.partialPath(meta);
    const row = await this.receives.findOneBy({ index: meta.index });
    const partialSize = await stat(partial).then(
      (s) => s.size,
      () => -1,
    );
    if (
      row !== null &&
      row.term === meta.term &&
      row.size === meta.size &&
      partialSize >= row.received
    ) {
      // Bytes past `received` were written but not recorded as synced: drop them, resume there.
      await truncate(partial, row.received);
      return new FileSnapshotSink(meta, row.received, partial, this.receives, (m) =>
        this.install(m),
      );
    }
    // One receive at a time: a new snapshot supersedes whatever was pending.
    await this.discardReceives();
    const handle = await open(partial, 'w');
    await handle.sync();
    await handle.close();
    await fsyncDir(this.dir);
    await this.receives.insert({
      index: meta.index,
      term: meta.term,
      size: meta.size,
      membership: JSON.stringify(meta.membership),
      received: 0,
    });
    return new FileSnapshotSink(meta, 0, partial, this.receives, (m) => this.install(m));
  }

  /** Called by a sink holding all `meta.size` bytes: checksum, trailer, sync, publish. */
  private async install(meta: SnapshotMeta): Promise<SnapshotMeta> {
    const partial = this.partialPath(meta);
    const sha256 = await sha256OfFile(partial, meta.size);
    const handle = await open(partial, 'r+');
    try {
      await handle.truncate(meta.size);
      await handle.write(encodeTrailer({ ...meta, sha256 }), 0, undefined, meta.size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.publish(partial, meta);
    await this.receives.delete({ index: meta.index });
    return meta;
  }

  /** Renames a synced file into place, makes the rename durable, then prunes old snapshots. */
  private async publish(path: string, meta: SnapshotMeta): Promise<void> {
    await rename(path, join(this.dir, snapshotFileName(meta.index, meta.term)));
    await fsyncDir(this.dir);
    for (const old of (await this.listStored()).slice(retained)) {
      await unlink(join(this.dir, old.name));
    }
  }

  /** Complete snapshots, newest first. */
  private async listStored(): Promise<StoredSnapshot[]> {
    const stored: StoredSnapshot[] = [];
    for (const name of await readdir(this.dir)) {
      const parsed = parseSnapshotFileName(name);
      if (parsed !== null) stored.push({ ...parsed, name });
    }
    return stored.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  private partialPath(meta: Pick<SnapshotMeta, 'index' | 'term'>): string {
    return join(this.dir, `${snapshotFileName(meta.index, meta.term)}.partial`);
  }

  private async discardReceives(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.partial')) await unlink(join(this.dir, name));
    }
    await this.receives.clear();
  }

  /** Temp files of interrupted saves, and partials no receive row accounts for. */
  private async removeLeftovers(): Promise<void> {
    const rows = await this.receives.find();
    const pending = new Set(rows.map((r) => `${snapshotFileName(r.index, r.term)}.partial`));
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp') || (name.endsWith('.partial') && !pending.has(name))) {
        this.logger.info({ file: join(this.dir, name) }, 'removing leftover snapshot file');
        await unlink(join(this.dir, name));
      }
    }
  }
}
