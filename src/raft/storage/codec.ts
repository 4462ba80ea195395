// JSON codecs for what raft.db and snapshot trailers store as text. Decoders check every field,
// because a value read back from disk is untrusted until proven well-formed.
import type { HardState, Membership, ServerInfo } from '../types';

function fail(what: string, field: string, value: unknown): never {
  throw new Error(`corrupt ${what}: field ${field} = ${JSON.stringify(value)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function decodeHardState(text: string): HardState {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) fail('hard state', '(root)', value);
  const { term, votedFor, commit } = value;
  if (!isIndex(term)) fail('hard state', 'term', term);
  if (votedFor !== null && typeof votedFor !== 'string') fail('hard state', 'votedFor', votedFor);
  if (!isIndex(commit)) fail('hard state', 'commit', commit);
  return { term, votedFor, commit };
}

export function decodeMembership(text: string): Membership {
  return membershipFrom(JSON.parse(text));
}

export function membershipFrom(value: unknown): Membership {
  if (!isRecord(value) || !Array.isArray(value.servers)) fail('membership', 'servers', value);
  const servers: ServerInfo[] = value.servers.map((server: unknown, i: number) => {
    if (!isRecord(server)) fail('membership', `servers[${i}]`, server);
    const { id, address, voter } = server;
    if (typeof id !== 'string') fail('membership', `servers[${i}].id`, id);
    if (typeof address !== 'string') fail('membership', `servers[${i}].address`, address);
    if (typeof voter !== 'boolean') fail('membership', `servers[${i}].voter`, voter);
    return { id, address, voter };
  });
  return { servers };
}

export { isIndex, isRecord };
