// `consulate snapshot save|restore|inspect FILE`, as `consul snapshot`: save streams the archive
// to FILE.unverified, checks it and renames it; restore streams FILE to the agent; inspect
// prints the metadata and the records per type without contacting an agent.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { readArchive } from '../server';
import { snapshotStats, type SnapshotRecordStats } from '../state';
import { AgentHttpClient, AgentHttpError, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const USAGE = `Usage: consulate snapshot <subcommand> [options] [args]

  Saves, restores and inspects snapshots of the servers' state.

Subcommands:
    inspect    Displays information about a snapshot file
    restore    Restores snapshot of Consulate server state
    save       Saves snapshot of Consulate server state`;

export async function runSnapshot(argv: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'save') return save(rest);
  if (subcommand === 'restore') return restore(rest);
  if (subcommand === 'inspect') return inspect(rest);
  const help = subcommand === undefined || subcommand === '-h' || subcommand === '--help';
  (help ? info : error)(USAGE);
  return help ? 0 : 1;
}

/** The one FILE argument, or an exit code after saying what is wrong. */
function fileArgument(args: readonly string[]): string | number {
  if (args.length === 1 && args[0] !== '') return args[0];
  error(args.length === 0 ? 'Missing FILE argument' : 'Too many arguments (expected 1, got more)');
  return 1;
}

async function save(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate snapshot save [options] FILE\n\n  Retrieves an atomic, point-in-time snapshot of the state of the servers.',
  );
  if (typeof parsed === 'number') return parsed;
  const file = fileArgument(parsed.args);
  if (typeof file === 'number') return file;
  const unverified = `${file}.unverified`;
  let index: string;
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).stream('GET', '/v1/snapshot', {
      read: true,
    });
    if (response.status !== 200 || response.body === null) {
      throw new AgentHttpError(response.status, await response.text());
    }
    index = response.headers.get('x-consul-index') ?? '0';
    try {
      await pipeline(Readable.fromWeb(response.body), createWriteStream(unverified));
    } catch (err) {
      error(`Error writing unverified snapshot file: ${(err as Error).message}`);
      return 1;
    }
  } catch (err) {
    error(`Error saving snapshot: ${(err as Error).message}`);
    return 1;
  }
  try {
    await readArchive(createReadStream(unverified), discard());
  } catch (err) {
    error(`Error verifying snapshot file: ${(err as Error).message}`);
    return 1;
  }
  try {
    await rename(unverified, file);
  } catch (err) {
    error(
      `Error renaming ${JSON.stringify(unverified)} to ${JSON.stringify(file)}: ${(err as Error).message}`,
    );
    await rm(unverified, { force: true });
    return 1;
  }
  info(`Saved and verified snapshot to index ${index}`);
  return 0;
}

async function restore(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate snapshot restore [options] FILE\n\n  Restores an atomic, point-in-time snapshot of the state of the servers.',
  );
  if (typeof parsed === 'number') return parsed;
  const file = fileArgument(parsed.args);
  if (typeof file === 'number') return file;
  const body = createReadStream(file);
  try {
    await new Promise<void>((resolve, reject) => {
      body.once('open', () => resolve()).once('error', reject);
    });
  } catch (err) {
    error(`Error opening snapshot file: ${(err as Error).message}`);
    return 1;
  }
  try {
    const response = await AgentHttpClient.fromFlags(parsed.values).stream('PUT', '/v1/snapshot', {
      body,
    });
    const text = await response.text();
    if (response.status !== 200) throw new AgentHttpError(response.status, text);
  } catch (err) {
    error(`Error restoring snapshot: ${(err as Error).message}`);
    return 1;
  } finally {
    body.destroy();
  }
  info('Restored snapshot');
  return 0;
}

async function inspect(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [],
    'Usage: consulate snapshot inspect [options] FILE\n\n  Displays information about a snapshot file on disk.',
  );
  if (typeof parsed === 'number') return parsed;
  const file = fileArgument(parsed.args);
  if (typeof file === 'number') return file;
  const chunks: Buffer[] = [];
  let stats: SnapshotRecordStats[];
  let meta;
  try {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    ({ meta } = await readArchive(createReadStream(file), sink));
    stats = snapshotStats(Buffer.concat(chunks));
  } catch (err) {
    error(`Error reading snapshot: ${(err as Error).message}`);
    return 1;
  }
  info(
    formatInspect(
      { id: meta.ID, size: meta.Size, index: meta.Index, term: meta.Term, version: meta.Version },
      stats,
    ),
  );
  return 0;
}

export interface InspectMeta {
  id: string;
  size: number;
  index: number;
  term: number;
  version: number;
}

/** Consul's inspect formatter: two tabwriter blocks (minwidth 8, padding 6). */
export function formatInspect(meta: InspectMeta, stats: readonly SnapshotRecordStats[]): string {
  const head = tabulate([
    [' ID', meta.id],
    [' Size', String(meta.size)],
    [' Index', String(meta.index)],
    [' Term', String(meta.term)],
    [' Version', String(meta.version)],
  ]);
  const total = stats.reduce((sum, s) => sum + s.size, 0);
  const table = tabulate([
    [' Type', 'Count', 'Size', ''],
    [' ----', '----', '----', ''],
    ...stats.map((s) => [` ${s.name}`, String(s.count), byteSize(s.size), '']),
    [' ----', '----', '----', ''],
    [' Total', '', byteSize(total), ''],
  ]);
  return `${head}\n\n${table}`;
}

/** Go's text/tabwriter for one block: every cell but a row's last is padded to its column. */
function tabulate(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 8, cell.length + 6)));
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join(''),
    )
    .join('\n');
}

/** Consul's ByteSize: one decimal, ".0" dropped, binary units. */
export function byteSize(bytes: number): string {
  if (bytes === 0) return '0';
  const units: [number, string][] = [
    [1024 ** 4, 'TB'],
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  const [scale, unit] = units.find(([size]) => bytes >= size) ?? [1, 'B'];
  return `${(bytes / scale).toFixed(1).replace(/\.0$/, '')}${unit}`;
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
