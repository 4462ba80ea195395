// `consulate kv export` and `kv import`: the tree as Consul's JSON, `[{"key","flags","value"}]`.
import { posix } from 'node:path';
import { AgentHttpClient, HTTP_CLIENT_FLAGS, parseJsonKeepingUint64 } from './http-client';
import { fail, keyArgument, kvPath, listPairs, type KvPair } from './kv-pairs';
import { info, parseCommandFlags, Progress, readDataArgument } from './output';

export interface ExportEntry {
  key: string;
  flags: bigint;
  value: string;
}

export async function kvExport(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    HTTP_CLIENT_FLAGS,
    'Usage: consulate kv export [KEY_OR_PREFIX]',
  );
  if (typeof parsed === 'number') return parsed;
  const prefix = keyArgument(parsed);
  if (prefix === null) return 1;
  const client = AgentHttpClient.fromFlags(parsed.values);
  let pairs: KvPair[];
  try {
    pairs = await listPairs(client, prefix);
  } catch (err) {
    return fail(`Error querying Consul agent: ${(err as Error).message}`);
  }
  const progress = new Progress('Exporting', pairs.length);
  const entries = pairs.map((pair, i) => {
    progress.update(i + 1);
    return { key: pair.Key, flags: BigInt(pair.Flags), value: pair.Value ?? '' };
  });
  progress.finish();
  info(formatExport(entries));
  return 0;
}

export async function kvImport(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      { name: 'prefix', kind: 'string', usage: 'Key prefix for the imported keys.' },
    ],
    'Usage: consulate kv import [options] [DATA|@file|-]',
  );
  if (typeof parsed === 'number') return parsed;
  const { args, values } = parsed;
  if (args.length === 0) return fail('Error! Missing DATA argument');
  if (args.length > 1) return fail(`Error! Too many arguments (expected 1, got ${args.length})`);
  if (args[0] === '') return fail('Error! Empty DATA argument');
  let entries: ExportEntry[];
  try {
    entries = parseExport(readDataArgument(args[0]).toString('utf8'));
  } catch (err) {
    const message = (err as Error).message;
    return fail(
      message.startsWith('Failed to read')
        ? `Error! ${message}`
        : `Cannot unmarshal data: ${message}`,
    );
  }
  const prefix = (values.get('prefix') as string | undefined) ?? '';
  const client = AgentHttpClient.fromFlags(values);
  const progress = new Progress('Importing', entries.length);
  for (const [i, entry] of entries.entries()) {
    const key = withPrefix(prefix, entry.key);
    const value = Buffer.from(entry.value, 'base64');
    if (value.toString('base64') !== entry.value.replace(/\s/g, '')) {
      progress.finish();
      return fail(`Error base 64 decoding value for key ${entry.key}: illegal base64 data`);
    }
    const query: Record<string, string> =
      entry.flags === 0n ? {} : { flags: entry.flags.toString() };
    try {
      await client.expectOk('PUT', kvPath(key), { query, body: value });
    } catch (err) {
      progress.finish();
      return fail(`Error! Failed writing data for key ${key}: ${(err as Error).message}`);
    }
    progress.update(i + 1);
    info(`Imported: ${key}`);
  }
  progress.finish();
  return 0;
}

/** Go's json.MarshalIndent(entries, "", "\t"), HTML-escaped as encoding/json does. */
export function formatExport(entries: readonly ExportEntry[]): string {
  if (entries.length === 0) return '[]';
  const body = entries
    .map(
      (entry) =>
        `\t{\n\t\t"key": ${goString(entry.key)},\n\t\t"flags": ${entry.flags},\n\t\t"value": ${goString(entry.value)}\n\t}`,
    )
    .join(',\n');
  return `[\n${body}\n]`;
}

function goString(text: string): string {
  return JSON.stringify(text)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function parseExport(text: string): ExportEntry[] {
  const parsed = parseJsonKeepingUint64(text, ['flags']);
  if (!Array.isArray(parsed)) throw new Error('expected a JSON array of {"key","flags","value"}');
  return parsed.map((item: unknown, i) => {
    const fields = Object.fromEntries(
      Object.entries(item as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    if (typeof fields.key !== 'string') throw new Error(`entry ${i}: missing "key"`);
    const flags = fields.flags ?? '0';
    if (typeof flags !== 'string' || !/^\d+$/.test(flags))
      throw new Error(`entry ${i}: invalid "flags"`);
    const value = fields.value ?? '';
    if (typeof value !== 'string') throw new Error(`entry ${i}: invalid "value"`);
    return { key: fields.key, flags: BigInt(flags), value };
  });
}

/** Joins -prefix and a key with one "/", keeping a folder key's trailing "/". */
function withPrefix(prefix: string, key: string): string {
  if (prefix === '') return key;
  const joined = posix.join(prefix, key);
  return key.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}
