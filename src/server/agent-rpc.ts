// What a client agent asks a server over the server port (8300). Anti-entropy has its own typed
// calls (the node's catalog rows, one catalog-sync entry); every other API request is carried
// whole to a server, which answers it through its own HTTP stack, so that a client serves the
// exact API a server does (parsing, ACLs, filtering, blocking on the server) without a second
// implementation of any endpoint. DNS questions travel the same way as packets.
import { defineMethod, type RpcMethod } from '../rpc';
import type { CatalogView } from '../agent';
import type { CatalogResult, CatalogSyncOp } from '../state';

type Fields = Record<string, unknown>;

function record(raw: unknown, what: string): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what}: expected an object`);
  }
  return raw as Fields;
}

function field<T>(fields: Fields, name: string, check: (value: unknown) => value is T): T {
  const value = fields[name];
  if (!check(value)) throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
const isStatus = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 100 && value < 600;
const isObjects = (value: unknown): value is Fields[] =>
  Array.isArray(value) &&
  value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
const isHeaderMap = (value: unknown): value is Record<string, string | string[]> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every(
    (item) => typeof item === 'string' || (Array.isArray(item) && item.every(isString)),
  );

export interface NodeViewArgs {
  node: string;
}

/** The catalog rows of one node, read on a server that has caught up with the leader. */
export const CatalogNodeView: RpcMethod<NodeViewArgs, CatalogView> = defineMethod(
  'Catalog.NodeView',
  (raw) => ({ node: field(record(raw, 'Catalog.NodeView'), 'node', isString) }),
  (raw) => {
    const fields = record(raw, 'Catalog.NodeView reply');
    const node = fields.node;
    if (node !== null && (typeof node !== 'object' || Array.isArray(node))) {
      throw new TypeError('field node: expected an object or null');
    }
    field(fields, 'services', isObjects);
    field(fields, 'checks', isObjects);
    return fields as unknown as CatalogView;
  },
);

export interface CatalogSyncArgs {
  node: string;
  ops: CatalogSyncOp[];
}

/** One anti-entropy entry for a client's node, applied through Raft on the leader. */
export const CatalogSync: RpcMethod<CatalogSyncArgs, CatalogResult> = defineMethod(
  'Catalog.Sync',
  (raw) => {
    const fields = record(raw, 'Catalog.Sync');
    const ops = field(fields, 'ops', isObjects);
    for (const op of ops) {
      if (op.op !== 'register' && op.op !== 'deregister') {
        throw new TypeError(`field ops: unknown op ${String(op.op)}`);
      }
    }
    return {
      node: field(fields, 'node', isString),
      ops: ops as unknown as CatalogSyncOp[],
    };
  },
  (raw) => {
    const fields = record(raw, 'Catalog.Sync reply');
    if (fields.ok === true) return { ok: true };
    return { ok: false, error: field(fields, 'error', isString) };
  },
);

export interface ApiRequest {
  method: string;
  /** Path and query string, as the client received them. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface ApiReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

/** An HTTP API request a client agent received, answered by the server's own API. */
export const HttpForward: RpcMethod<ApiRequest, ApiReply> = defineMethod(
  'Agent.HTTP',
  (raw) => {
    const fields = record(raw, 'Agent.HTTP');
    const headers = field(fields, 'headers', isHeaderMap);
    for (const value of Object.values(headers)) {
      if (typeof value !== 'string') throw new TypeError('field headers: expected strings');
    }
    return {
      method: field(fields, 'method', isString),
      url: field(fields, 'url', isString),
      headers: headers as Record<string, string>,
      body: field(fields, 'body', isBytes),
    };
  },
  (raw) => {
    const fields = record(raw, 'Agent.HTTP reply');
    return {
      status: field(fields, 'status', isStatus),
      headers: field(fields, 'headers', isHeaderMap),
      body: field(fields, 'body', isBytes),
    };
  },
);

export interface DnsQueryArgs {
  packet: Uint8Array;
  transport: 'udp' | 'tcp';
  /** The asker's address, for `_ip` lookups ("" when unknown). */
  client: string;
}

export interface DnsQueryReply {
  /** The answer packet, or null when the question is dropped (not a query). */
  packet: Uint8Array | null;
}

/** A DNS question a client agent received, answered by a server's resolver. */
export const DnsQuery: RpcMethod<DnsQueryArgs, DnsQueryReply> = defineMethod(
  'Agent.DNS',
  (raw) => {
    const fields = record(raw, 'Agent.DNS');
    const transport = fields.transport;
    if (transport !== 'udp' && transport !== 'tcp') {
      throw new TypeError('field transport: expected udp or tcp');
    }
    const client = typeof fields.client === 'string' ? fields.client : '';
    return { packet: field(fields, 'packet', isBytes), transport, client };
  },
  (raw) => {
    const fields = record(raw, 'Agent.DNS reply');
    const packet = fields.packet;
    if (packet !== null && !isBytes(packet)) throw new TypeError('field packet: expected bytes');
    return { packet };
  },
);
