// RaftMessage on the wire: what arrives from the network is checked field by field and rebuilt,
// so the core only ever steps well-formed messages. Large appends are split before sending so
// that no frame grows past what a receiver accepts and a heartbeat never waits behind one.
import type { AppendRequest, RaftMessage, RaftMessageType } from '../messages';
import type { LogEntry, Membership, ServerInfo, SnapshotMeta } from '../types';

export class RaftWireError extends Error {
  override name = 'RaftWireError';
}

type Fields = Record<string, unknown>;

function record(raw: unknown, what: string): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new RaftWireError(`${what} is not a map`);
  }
  return raw as Fields;
}

/** A non-negative integer (indexes, terms, offsets, sizes). */
function count(m: Fields, key: string, what: string): number {
  const value = m[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RaftWireError(`${what}.${key} is not a non-negative integer`);
  }
  return value;
}

function text(m: Fields, key: string, what: string): string {
  const value = m[key];
  if (typeof value !== 'string' || value.length > 1024) {
    throw new RaftWireError(`${what}.${key} is not a string`);
  }
  return value;
}

function flag(m: Fields, key: string, what: string): boolean {
  const value = m[key];
  if (typeof value !== 'boolean') throw new RaftWireError(`${what}.${key} is not a boolean`);
  return value;
}

function bytes(m: Fields, key: string, what: string): Uint8Array {
  const value = m[key];
  if (!(value instanceof Uint8Array)) throw new RaftWireError(`${what}.${key} is not bytes`);
  return value;
}

function list(m: Fields, key: string, what: string): unknown[] {
  const value = m[key];
  if (!Array.isArray(value)) throw new RaftWireError(`${what}.${key} is not a list`);
  return value;
}

function entry(raw: unknown, at: number): LogEntry {
  const what = `entries[${at}]`;
  const m = record(raw, what);
  return {
    index: count(m, 'index', what),
    term: count(m, 'term', what),
    type: count(m, 'type', what),
    data: bytes(m, 'data', what),
  };
}

function server(raw: unknown, at: number): ServerInfo {
  const what = `membership.servers[${at}]`;
  const m = record(raw, what);
  return {
    id: text(m, 'id', what),
    address: text(m, 'address', what),
    voter: flag(m, 'voter', what),
  };
}

function snapshotMeta(raw: unknown): SnapshotMeta {
  const m = record(raw, 'meta');
  const membership: Membership = {
    servers: list(record(m.membership, 'meta.membership'), 'servers', 'meta.membership').map(
      server,
    ),
  };
  return {
    index: count(m, 'index', 'meta'),
    term: count(m, 'term', 'meta'),
    size: count(m, 'size', 'meta'),
    membership,
  };
}

/** Checks one decoded message; throws RaftWireError naming the first bad field. */
export function parseRaftMessage(raw: unknown): RaftMessage {
  const m = record(raw, 'message');
  const type = m.type as RaftMessageType;
  const what = typeof type === 'string' ? type : 'message';
  const envelope = {
    from: text(m, 'from', what),
    to: text(m, 'to', what),
    term: count(m, 'term', what),
    ...(m.fromAddress === undefined ? {} : { fromAddress: text(m, 'fromAddress', what) }),
  };
  switch (type) {
    case 'pre-vote':
      return {
        ...envelope,
        type,
        lastLogIndex: count(m, 'lastLogIndex', what),
        lastLogTerm: count(m, 'lastLogTerm', what),
      };
    case 'vote':
      return {
        ...envelope,
        type,
        lastLogIndex: count(m, 'lastLogIndex', what),
        lastLogTerm: count(m, 'lastLogTerm', what),
        transfer: flag(m, 'transfer', what),
      };
    case 'pre-vote-response':
    case 'vote-response':
      return { ...envelope, type, granted: flag(m, 'granted', what) };
    case 'append':
      return {
        ...envelope,
        type,
        prevIndex: count(m, 'prevIndex', what),
        prevTerm: count(m, 'prevTerm', what),
        entries: list(m, 'entries', what).map(entry),
        commit: count(m, 'commit', what),
      };
    case 'append-response':
      return {
        ...envelope,
        type,
        success: flag(m, 'success', what),
        index: count(m, 'index', what),
        hintTerm: count(m, 'hintTerm', what),
        hintIndex: count(m, 'hintIndex', what),
      };
    case 'heartbeat':
      return {
        ...envelope,
        type,
        commit: count(m, 'commit', what),
        context: count(m, 'context', what),
      };
    case 'heartbeat-response':
      return { ...envelope, type, context: count(m, 'context', what) };
    case 'snapshot':
      return {
        ...envelope,
        type,
        meta: snapshotMeta(m.meta),
        offset: count(m, 'offset', what),
        length: count(m, 'length', what),
        data: bytes(m, 'data', what),
      };
    case 'snapshot-response':
      return {
        ...envelope,
        type,
        snapshotIndex: count(m, 'snapshotIndex', what),
        received: count(m, 'received', what),
        done: flag(m, 'done', what),
      };
    case 'timeout-now':
      return { ...envelope, type };
    default:
      throw new RaftWireError(`unknown message type ${String(m.type)}`);
  }
}

/** Bytes an entry adds to a frame beyond its data (msgpack keys and numbers). */
const ENTRY_OVERHEAD = 48;

/**
 * Splits an append whose entries exceed `maxBytes` into consecutive appends, each (but a lone
 * oversized entry) within it. Every piece is a valid append on its own: its prev is the last
 * entry of the piece before, and the follower commits no further than what a piece carried.
 */
export function splitAppend(msg: AppendRequest, maxBytes: number): AppendRequest[] {
  let total = 0;
  for (const e of msg.entries) total += e.data.length + ENTRY_OVERHEAD;
  if (total <= maxBytes) return [msg];
  const pieces: AppendRequest[] = [];
  let start = 0;
  let prevIndex = msg.prevIndex;
  let prevTerm = msg.prevTerm;
  while (start < msg.entries.length) {
    let end = start;
    let size = 0;
    while (end < msg.entries.length) {
      const next = msg.entries[end].data.length + ENTRY_OVERHEAD;
      if (end > start && size + next > maxBytes) break;
      size += next;
      end++;
    }
    const entries = msg.entries.slice(start, end);
    pieces.push({ ...msg, prevIndex, prevTerm, entries });
    const last = entries[entries.length - 1];
    prevIndex = last.index;
    prevTerm = last.term;
    start = end;
  }
  return pieces;
}
