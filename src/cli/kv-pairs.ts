// What the kv subcommands share: the KV entry as the API returns it, paths, listing, arguments.
import { AgentHttpClient, parseJsonKeepingUint64 } from './http-client';
import type { ParsedFlags } from '../config';
import { error } from './output';

/** A KV entry as GET /v1/kv returns it; Flags kept as a decimal string (uint64). */
export interface KvPair {
  Key: string;
  Flags: string;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

/** One optional KEY argument, leading "/" stripped as Consul does; null after reporting an error. */
export function keyArgument(parsed: ParsedFlags): string | null {
  if (parsed.args.length > 1) {
    error(`Too many arguments (expected 1, got ${parsed.args.length})`);
    return null;
  }
  const key = parsed.args[0] ?? '';
  return key.startsWith('/') ? key.slice(1) : key;
}

export function kvPath(key: string): string {
  return `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export async function listPairs(client: AgentHttpClient, prefix: string): Promise<KvPair[]> {
  const response = await client.expectOk('GET', kvPath(prefix), {
    query: { recurse: '' },
    read: true,
    allow404: true,
  });
  return response.status === 404 ? [] : parsePairs(response.body);
}

export function parsePairs(body: Buffer): KvPair[] {
  return parseJsonKeepingUint64(body.toString('utf8'), ['Flags']) as KvPair[];
}

export function fail(message: string): number {
  error(message);
  return 1;
}
