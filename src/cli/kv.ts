// `consulate kv get|put|delete|export|import`, with Consul's flags, output and exit codes.
import type { FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { fail, keyArgument, kvPath, listPairs, parsePairs, type KvPair } from './kv-pairs';
import { kvExport, kvImport } from './kv-transfer';
import { error, info, parseCommandFlags, readDataArgument } from './output';

const KV_HELP = `Usage: consulate kv <subcommand> [options] [args]

  Interact with the key-value store: get, put, delete, export, import.`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  get: kvGet,
  put: kvPut,
  delete: kvDelete,
  export: kvExport,
  import: kvImport,
};

export async function runKv(argv: readonly string[]): Promise<number> {
  const run = argv.length > 0 ? SUBCOMMANDS[argv[0]] : undefined;
  if (run === undefined) {
    const stream = argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' ? info : error;
    stream(
      `${KV_HELP}\n\nSubcommands:\n${Object.keys(SUBCOMMANDS)
        .map((s) => `    ${s}`)
        .join('\n')}`,
    );
    return stream === info ? 0 : 1;
  }
  return run(argv.slice(1));
}

const bool = (name: string, usage: string): FlagSpec => ({ name, kind: 'bool', usage });

async function kvGet(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      bool('base64', 'Base64 encode the value.'),
      bool('detailed', 'Show the metadata of each key as well.'),
      bool('keys', 'List keys under the prefix, not their values.'),
      bool('recurse', 'Treat KEY as a prefix and show every key under it.'),
      { name: 'separator', kind: 'string', usage: 'Separator for -keys (default "/").' },
    ],
    'Usage: consulate kv get [options] [KEY_OR_PREFIX]',
  );
  if (typeof parsed === 'number') return parsed;
  const key = keyArgument(parsed);
  if (key === null) return 1;
  const flag = (name: string): boolean => parsed.values.get(name) === true;
  if (key === '' && !(flag('recurse') || flag('keys'))) {
    error('Error! Missing KEY argument');
    return 1;
  }
  const client = AgentHttpClient.fromFlags(parsed.values);
  const base64 = flag('base64');
  try {
    if (flag('keys')) {
      const separator = (parsed.values.get('separator') as string | undefined) ?? '/';
      const query: Record<string, string> = { keys: '' };
      if (separator !== '') query.separator = separator;
      const response = await client.expectOk('GET', kvPath(key), {
        query,
        read: true,
        allow404: true,
      });
      const keys =
        response.status === 404 ? [] : (JSON.parse(response.body.toString('utf8')) as string[]);
      for (const k of keys) info(k);
      return 0;
    }
    if (flag('recurse')) {
      const pairs = await listPairs(client, key);
      pairs.forEach((pair, i) => {
        if (flag('detailed')) {
          info(detailedPair(pair, base64));
          if (i < pairs.length - 1) info('');
        } else {
          info(Buffer.concat([Buffer.from(`${pair.Key}:`), valueOutput(pair, base64)]));
        }
      });
      return 0;
    }
    const response = await client.expectOk('GET', kvPath(key), { read: true, allow404: true });
    if (response.status === 404) {
      error(`Error! No key exists at: ${key}`);
      return 1;
    }
    const [pair] = parsePairs(response.body);
    info(flag('detailed') ? detailedPair(pair, base64) : valueOutput(pair, base64));
    return 0;
  } catch (err) {
    error(`Error querying Consul agent: ${(err as Error).message}`);
    return 1;
  }
}

async function kvPut(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      bool('cas', 'Check-and-set: write only if the ModifyIndex is -modify-index.'),
      { name: 'flags', kind: 'uint64', usage: 'Unsigned integer stored with the key.' },
      bool('base64', 'Treat DATA as base64.'),
      { name: 'modify-index', kind: 'uint64', usage: 'ModifyIndex for -cas.' },
      { name: 'session', kind: 'string', usage: 'Session for -acquire and -release.' },
      bool('acquire', 'Acquire a lock on the key.'),
      bool('release', 'Release a lock on the key.'),
    ],
    'Usage: consulate kv put [options] KEY [DATA|@file|-]',
  );
  if (typeof parsed === 'number') return parsed;
  const { args, values } = parsed;
  if (args.length === 0) {
    error('Error! Missing KEY argument');
    return 1;
  }
  if (args.length > 2) {
    error(`Error! Too many arguments (expected 1 or 2, got ${args.length})`);
    return 1;
  }
  const key = args[0];
  let data: Buffer;
  try {
    data = args.length === 2 && args[1] !== '' ? readDataArgument(args[1]) : Buffer.alloc(0);
  } catch (err) {
    error(`Error! ${(err as Error).message}`);
    return 1;
  }
  if (values.get('base64') === true) {
    const text = data.toString('utf8').trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      error('Error! Cannot base 64 decode data: illegal base64 data');
      return 1;
    }
    data = Buffer.from(text, 'base64');
  }
  const session = (values.get('session') as string | undefined) ?? '';
  const acquire = values.get('acquire') === true;
  const release = values.get('release') === true;
  const cas = values.get('cas') === true;
  const modifyIndex = (values.get('modify-index') as bigint | undefined) ?? 0n;
  if ((acquire || release) && session === '') {
    error('Error! Missing -session (required with -acquire and -release)');
    return 1;
  }
  if (cas && modifyIndex === 0n) {
    error('Must specify -modify-index with -cas!');
    return 1;
  }
  if (key.startsWith('/')) {
    error(`Error! Failed writing data: Invalid key. Key must not begin with a '/': ${key}`);
    return 1;
  }
  const query: Record<string, string> = {};
  const flags = (values.get('flags') as bigint | undefined) ?? 0n;
  if (flags !== 0n) query.flags = flags.toString();
  if (cas) query.cas = modifyIndex.toString();
  else if (acquire) query.acquire = session;
  else if (release) query.release = session;
  const client = AgentHttpClient.fromFlags(values);
  let written: boolean;
  try {
    const response = await client.expectOk('PUT', kvPath(key), { query, body: data });
    written = response.body.toString('utf8').trim() === 'true';
  } catch (err) {
    const message = (err as Error).message;
    error(
      cas ? `Error! Did not write to ${key}: ${message}` : `Error! Failed writing data: ${message}`,
    );
    return 1;
  }
  if (cas && !written) return fail(`Error! Did not write to ${key}: CAS failed`);
  if (acquire && !written) return fail('Error! Did not acquire lock');
  if (release && !written) return fail('Error! Did not release lock');
  if (acquire) info(`Success! Lock acquired on: ${key}`);
  else if (release) info(`Success! Lock released on: ${key}`);
  else info(`Success! Data written to: ${key}`);
  return 0;
}

async function kvDelete(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      bool('cas', 'Check-and-set: delete only if the ModifyIndex is -modify-index.'),
      { name: 'modify-index', kind: 'uint64', usage: 'ModifyIndex for -cas.' },
      bool('recurse', 'Delete every key under the prefix.'),
    ],
    'Usage: consulate kv delete [options] KEY_OR_PREFIX',
  );
  if (typeof parsed === 'number') return parsed;
  const key = keyArgument(parsed);
  if (key === null) return 1;
  const recurse = parsed.values.get('recurse') === true;
  const cas = parsed.values.get('cas') === true;
  const modifyIndex = (parsed.values.get('modify-index') as bigint | undefined) ?? 0n;
  if (key === '' && !recurse) return fail('Error! Missing KEY argument');
  if (cas && modifyIndex === 0n) {
    return fail(
      'Cannot delete a key that does not exist. Provide a -modify-index greater than than 0.',
    );
  }
  if (modifyIndex !== 0n && !cas) return fail('Cannot specify -modify-index without -cas!');
  if (recurse && cas) return fail('Cannot specify both -cas and -recurse!');

  const client = AgentHttpClient.fromFlags(parsed.values);
  const query: Record<string, string> = recurse
    ? { recurse: '' }
    : cas
      ? { cas: modifyIndex.toString() }
      : {};
  let deleted: boolean;
  try {
    const response = await client.expectOk('DELETE', kvPath(key), { query });
    deleted = response.body.toString('utf8').trim() === 'true';
  } catch (err) {
    const message = (err as Error).message;
    if (recurse) return fail(`Error! Did not delete prefix ${key}: ${message}`);
    if (cas) return fail(`Error! Did not delete key ${key}: ${message}`);
    return fail(`Error deleting key ${key}: ${message}`);
  }
  if (recurse) {
    info(`Success! Deleted keys with prefix: ${key}`);
    return 0;
  }
  if (cas && !deleted) return fail(`Error! Did not delete key ${key}: CAS failed`);
  info(`Success! Deleted key: ${key}`);
  return 0;
}

function valueOutput(pair: KvPair, base64: boolean): Buffer {
  const raw = pair.Value ?? '';
  return base64 ? Buffer.from(raw) : Buffer.from(raw, 'base64');
}

/** Consul's tabwriter layout: labels padded to the longest (11) plus 6 spaces. */
function detailedPair(pair: KvPair, base64: boolean): Buffer {
  const rows: [string, string][] = [
    ['CreateIndex', String(pair.CreateIndex)],
    ['Flags', String(pair.Flags)],
    ['Key', pair.Key],
    ['LockIndex', String(pair.LockIndex)],
    ['ModifyIndex', String(pair.ModifyIndex)],
    ['Session', pair.Session === undefined || pair.Session === '' ? '-' : pair.Session],
  ];
  const head = rows.map(([label, value]) => `${label.padEnd(17)}${value}\n`).join('');
  return Buffer.concat([Buffer.from(`${head}${'Value'.padEnd(17)}`), valueOutput(pair, base64)]);
}
