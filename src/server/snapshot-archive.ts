// Consul's snapshot archive (snapshot/archive.go): a gzip-compressed tar holding meta.json (the
// Raft snapshot metadata), state.bin (the FSM state) and SHA256SUMS (`<hex>  <name>` lines for
// the other two). Written and read as streams: neither side holds the archive in memory, and a
// reader learns of a corrupt, truncated or tampered archive before anything is restored.
import { createHash, type Hash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

import type { Membership } from '../raft';

/** hashicorp/raft's SnapshotMeta as Consul writes it in meta.json. */
export interface ArchiveMeta {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  /** Raft protocol 2's peer list (msgpack of addresses), base64 in JSON. */
  Peers: string;
  Configuration: { Servers: { Suffrage: number; ID: string; Address: string }[] };
  ConfigurationIndex: number;
  Size: number;
}

/** An archive that cannot be restored; the message is the reason, in Consul's words. */
export class SnapshotArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotArchiveError';
  }
}

/** What archive.go's read returns; readArchive prefixes it as snapshot.Restore does. */
class TarError extends Error {}

const BLOCK = 512;
const CHUNK = 1 << 20;
const FILES = ['meta.json', 'state.bin'] as const;

/** Raft's snapshot metadata for the FSM state `state` taken at `index`. */
export function archiveMeta(
  index: number,
  term: number,
  membership: Membership,
  membershipIndex: number,
  size: number,
): ArchiveMeta {
  return {
    Version: 1,
    ID: `${term}-${index}-${Date.now()}`,
    Index: index,
    Term: term,
    Peers: Buffer.from(JSON.stringify(membership.servers.map((s) => s.address))).toString('base64'),
    Configuration: {
      Servers: membership.servers.map((server) => ({
        Suffrage: server.voter ? 0 : 1,
        ID: server.id,
        Address: server.address,
      })),
    },
    ConfigurationIndex: membershipIndex,
    Size: size,
  };
}

/** The archive as a gzip stream, state.bin sent in 1 MiB slices so backpressure applies. */
export function writeArchive(meta: ArchiveMeta, state: Uint8Array): Readable {
  const metaJson = Buffer.from(JSON.stringify(meta));
  const sums = `${sha256Hex(metaJson)}  meta.json\n` + `${sha256Hex(state)}  state.bin\n`;
  const mtime = Math.floor(Date.now() / 1000);
  function* blocks(): Generator<Uint8Array> {
    yield* entry('meta.json', metaJson, mtime);
    yield* entry('state.bin', state, mtime);
    yield* entry('SHA256SUMS', Buffer.from(sums), mtime);
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(blocks(), { objectMode: false }).pipe(createGzip());
}

function* entry(name: string, data: Uint8Array, mtime: number): Generator<Uint8Array> {
  yield tarHeader(name, data.length, mtime);
  for (let offset = 0; offset < data.length; offset += CHUNK) {
    yield data.subarray(offset, Math.min(data.length, offset + CHUNK));
  }
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  if (pad > 0) yield Buffer.alloc(pad);
}

/** A ustar header for a regular file, as Go's archive/tar writes one. */
function tarHeader(name: string, size: number, mtime: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write('0000600\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(`${mtime.toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\x0000', 257, 'binary');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

export interface ArchiveContents {
  meta: ArchiveMeta;
  /** Bytes of state.bin written to the caller's sink. */
  stateSize: number;
  stateSha256: string;
}

/**
 * Reads an archive from `input`, copying state.bin into `state` as it arrives, then checks the
 * SHA256SUMS. Throws SnapshotArchiveError (after which the sink's contents must be discarded)
 * when the archive is not gzip, not tar, truncated, holds another file, or fails its hashes.
 */
export async function readArchive(
  input: AsyncIterable<Uint8Array>,
  state: Writable,
): Promise<ArchiveContents> {
  const parser = new TarReader(state);
  const gunzip = createGunzip();
  const feeding = pump(input, gunzip);
  let inflated = false;
  let sinkError: unknown = null;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflated = true;
      await parser.push(chunk).catch((error: unknown) => {
        if (!(error instanceof TarError)) sinkError = error;
        throw error;
      });
    }
    return parser.finish();
  } catch (error) {
    // Writing the spooled state failed (disk full …): not the archive's fault.
    if (error === sinkError) throw error;
    if (error instanceof TarError) {
      throw new SnapshotArchiveError(`failed to read snapshot file: ${error.message}`);
    }
    if (error instanceof SnapshotArchiveError) throw error;
    // Go's gzip reader checks the header up front; later damage shows as the tar reader's EOF.
    throw new SnapshotArchiveError(
      inflated
        ? 'failed to read snapshot file: failed reading snapshot: unexpected EOF'
        : `failed to decompress snapshot: ${gzipReason(error as NodeJS.ErrnoException)}`,
    );
  } finally {
    gunzip.destroy();
    await feeding;
  }
}

/** Feeds `input` into the gunzip stream, respecting its backpressure. */
async function pump(input: AsyncIterable<Uint8Array>, gunzip: Writable): Promise<void> {
  try {
    for await (const chunk of input) {
      if (gunzip.destroyed) return;
      if (!gunzip.write(chunk)) {
        await new Promise<void>((resolve) => {
          const settle = (): void => {
            gunzip.off('drain', settle).off('close', settle);
            resolve();
          };
          gunzip.on('drain', settle).on('close', settle);
        });
      }
    }
    if (!gunzip.destroyed) gunzip.end();
  } catch (error) {
    if (!gunzip.destroyed) {
      gunzip.destroy(
        new SnapshotArchiveError(`failed to read snapshot: ${(error as Error).message}`),
      );
    }
  }
}

function gzipReason(error: NodeJS.ErrnoException): string {
  if (error.code === 'Z_DATA_ERROR' && /header/.test(error.message)) return 'gzip: invalid header';
  if (error.code === 'Z_BUF_ERROR') return 'unexpected EOF';
  return error.message;
}

type Phase = 'header' | 'data' | 'padding' | 'end';

/** An incremental reader of the three files a snapshot archive may hold. */
class TarReader {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private phase: Phase = 'header';
  private name = '';
  private remaining = 0;
  private padding = 0;
  private metaParts: Buffer[] = [];
  private sumsParts: Buffer[] = [];
  private readonly hashes = new Map<string, Hash>();
  private readonly seen = new Set<string>();
  private stateSize = 0;

  constructor(private readonly state: Writable) {}

  async push(chunk: Buffer): Promise<void> {
    let data = chunk;
    while (data.length > 0) {
      if (this.phase === 'end') return; // whatever follows the end blocks is ignored, as Go does
      if (this.phase === 'data') {
        const take = Math.min(this.remaining, data.length);
        await this.consume(data.subarray(0, take));
        this.remaining -= take;
        data = data.subarray(take);
        if (this.remaining === 0) this.phase = this.padding > 0 ? 'padding' : 'header';
        continue;
      }
      if (this.phase === 'padding') {
        const take = Math.min(this.padding, data.length);
        this.padding -= take;
        data = data.subarray(take);
        if (this.padding === 0) this.phase = 'header';
        continue;
      }
      const need = BLOCK - this.pendingSize;
      const take = Math.min(need, data.length);
      this.pending.push(data.subarray(0, take));
      this.pendingSize += take;
      data = data.subarray(take);
      if (this.pendingSize === BLOCK) {
        const block = Buffer.concat(this.pending, BLOCK);
        this.pending = [];
        this.pendingSize = 0;
        this.header(block);
      }
    }
  }

  finish(): ArchiveContents {
    if (this.phase !== 'end' && (this.phase !== 'header' || this.pendingSize > 0)) {
      throw new TarError('failed reading snapshot: unexpected EOF');
    }
    this.verifySums();
    let meta: ArchiveMeta;
    try {
      meta = parseMeta(Buffer.concat(this.metaParts).toString('utf8'));
    } catch (error) {
      throw new TarError(`failed to decode snapshot metadata: ${(error as Error).message}`);
    }
    return {
      meta,
      stateSize: this.stateSize,
      stateSha256: this.digest('state.bin'),
    };
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.phase = 'end';
      return;
    }
    const stored = parseOctal(block.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
    if (stored !== sum) {
      throw new TarError('failed reading snapshot: archive/tar: invalid tar header');
    }
    const name = cString(block.subarray(0, 100));
    const type = String.fromCharCode(block[156]);
    if (type !== '0' && type !== '\0') {
      throw new TarError(`unexpected file ${JSON.stringify(name)} in snapshot`);
    }
    if (name !== 'meta.json' && name !== 'state.bin' && name !== 'SHA256SUMS') {
      throw new TarError(`unexpected file ${JSON.stringify(name)} in snapshot`);
    }
    if (this.seen.has(name)) {
      throw new TarError(`file ${JSON.stringify(name)} appears twice in snapshot`);
    }
    this.seen.add(name);
    this.name = name;
    this.remaining = parseOctal(block.subarray(124, 136));
    if (!Number.isSafeInteger(this.remaining)) {
      throw new TarError('failed reading snapshot: archive/tar: invalid tar header');
    }
    this.padding = (BLOCK - (this.remaining % BLOCK)) % BLOCK;
    if (name !== 'SHA256SUMS') this.hashes.set(name, createHash('sha256'));
    this.phase = this.remaining > 0 ? 'data' : 'header';
  }

  private async consume(data: Buffer): Promise<void> {
    if (this.name === 'SHA256SUMS') {
      this.sumsParts.push(Buffer.from(data));
      return;
    }
    this.hashes.get(this.name)?.update(data);
    if (this.name === 'meta.json') {
      this.metaParts.push(Buffer.from(data));
      return;
    }
    this.stateSize += data.length;
    if (!this.state.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const settle = (error?: Error): void => {
          this.state.off('drain', settle).off('error', settle);
          if (error === undefined) resolve();
          else reject(error);
        };
        this.state.on('drain', settle).on('error', settle);
      });
    }
  }

  private digests = new Map<string, string>();

  private digest(name: string): string {
    let hex = this.digests.get(name);
    if (hex === undefined) {
      hex = this.hashes.get(name)?.digest('hex') ?? '';
      this.digests.set(name, hex);
    }
    return hex;
  }

  /** hashList.DecodeAndVerify: every listed hash matches, every file is listed. */
  private verifySums(): void {
    const fail = (why: string): never => {
      throw new TarError(`failed checking integrity of snapshot: ${why}`);
    };
    const listed = new Set<string>();
    const text = Buffer.concat(this.sumsParts).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const match = /^([0-9a-fA-F]{64}) {2}(\S+)$/.exec(line);
      if (match === null) fail(`malformed SHA256SUMS line ${JSON.stringify(line)}`);
      const [, hex, file] = match as RegExpExecArray;
      if (!this.hashes.has(file)) fail(`list missing hash for ${JSON.stringify(file)}`);
      if (hex.toLowerCase() !== this.digest(file)) {
        fail(`hash check failed for ${JSON.stringify(file)}`);
      }
      listed.add(file);
    }
    for (const file of FILES) {
      if (!listed.has(file)) fail(`file missing for ${JSON.stringify(file)}`);
    }
  }
}

function parseMeta(text: string): ArchiveMeta {
  const raw = JSON.parse(text) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('meta.json is not a JSON object');
  }
  const fields = raw as Record<string, unknown>;
  const number = (name: string): number => {
    const value = fields[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(
        `field ${name}: expected a non-negative integer, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const servers = (fields.Configuration as { Servers?: unknown } | undefined)?.Servers;
  return {
    Version: number('Version'),
    ID: typeof fields.ID === 'string' ? fields.ID : '',
    Index: number('Index'),
    Term: number('Term'),
    Peers: typeof fields.Peers === 'string' ? fields.Peers : '',
    Configuration: {
      Servers: Array.isArray(servers)
        ? servers.map((server: unknown) => {
            const s = (server ?? {}) as Record<string, unknown>;
            return {
              Suffrage: typeof s.Suffrage === 'number' ? s.Suffrage : 0,
              ID: typeof s.ID === 'string' ? s.ID : '',
              Address: typeof s.Address === 'string' ? s.Address : '',
            };
          })
        : [],
    },
    ConfigurationIndex:
      typeof fields.ConfigurationIndex === 'number' ? fields.ConfigurationIndex : 0,
    Size: number('Size'),
  };
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Octal digits padded with spaces or NULs; -1 when the field holds anything else. */
function parseOctal(field: Buffer): number {
  const text = field
    .toString('ascii')
    .replace(/[\0 ]+$/, '')
    .replace(/^[ ]+/, '');
  if (!/^[0-7]+$/.test(text)) return -1;
  return parseInt(text, 8);
}
