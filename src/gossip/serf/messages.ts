// serf's messages (hashicorp/serf 0.9 messages.go): one type byte, then a msgpack struct. They
// travel inside memberlist user messages; query responses may be wrapped in a relay message.
// The go-msgpack codec is memberlist's.
import { msgpack } from '../memberlist';

type MsgValue = msgpack.MsgValue;
type Struct = Map<string, MsgValue>;
const {
  asStruct,
  decode,
  encodeMessage,
  fieldBool,
  fieldBytes,
  fieldString,
  fieldUint,
  MsgpackError,
} = msgpack;

export enum MessageType {
  Leave = 0,
  Join = 1,
  PushPull = 2,
  UserEvent = 3,
  Query = 4,
  QueryResponse = 5,
  ConflictResponse = 6,
  KeyRequest = 7,
  KeyResponse = 8,
  Relay = 9,
}

export const QUERY_FLAG_ACK = 1;
export const QUERY_FLAG_NO_BROADCAST = 2;

export enum FilterType {
  Node = 0,
  Tag = 1,
}

/** Magic first byte of memberlist Meta when it carries serf tags (protocol ≥ 3). */
export const TAG_MAGIC_BYTE = 0xff;

export interface JoinMessage {
  ltime: number;
  node: string;
}

export interface LeaveMessage {
  ltime: number;
  node: string;
  prune: boolean;
}

export interface UserEventEntry {
  name: string;
  payload: Uint8Array;
}

/** The events seen at one event LTime (one slot of the event buffer). */
export interface UserEventsAt {
  ltime: number;
  events: UserEventEntry[];
}

export interface PushPullMessage {
  ltime: number;
  statusLTimes: Map<string, number>;
  leftMembers: string[];
  eventLTime: number;
  /** The whole event ring, null for empty slots. */
  events: Array<UserEventsAt | null>;
  queryLTime: number;
}

export interface UserEventMessage {
  ltime: number;
  name: string;
  payload: Uint8Array;
  cc: boolean;
}

export interface QueryMessage {
  ltime: number;
  id: number;
  addr: Uint8Array;
  port: number;
  sourceNode: string;
  filters: Uint8Array[];
  flags: number;
  relayFactor: number;
  /** Nanoseconds, as Go's time.Duration. */
  timeoutNs: number;
  name: string;
  payload: Uint8Array;
}

export interface QueryResponseMessage {
  ltime: number;
  id: number;
  from: string;
  flags: number;
  payload: Uint8Array | null;
}

export interface RelayHeader {
  destIp: Uint8Array;
  destPort: number;
  destZone: string;
  destName: string;
}

export interface KeyResponseMessage {
  result: boolean;
  message: string;
  keys: string[];
  primaryKey: string;
}

/** serf's Member as it is encoded in a conflict response. */
export interface WireMember {
  name: string;
  addr: Uint8Array;
  port: number;
  tags: Record<string, string>;
  status: number;
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

function struct(body: Uint8Array, what: string): Struct {
  return asStruct(decode(body), what);
}

function asList(v: MsgValue | undefined, what: string): MsgValue[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw new MsgpackError(`${what}: expected an array`);
}

function asText(v: MsgValue, what: string): string {
  if (v === null) return '';
  if (v instanceof Uint8Array) return msgpack.bytesToText(v);
  throw new MsgpackError(`${what}: expected a string`);
}

function asTime(v: MsgValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n) return Number(v);
  throw new MsgpackError(`${what}: expected a Lamport time`);
}

function stringMap(v: MsgValue | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  for (const [k, x] of asStruct(v, what)) out[k] = asText(x, `${what}[${k}]`);
  return out;
}

function queryResponseBody(m: QueryResponseMessage): msgpack.MsgInput {
  return { LTime: m.ltime, ID: m.id, From: m.from, Flags: m.flags, Payload: m.payload };
}

export function encodeJoin(m: JoinMessage): Uint8Array {
  return encodeMessage(MessageType.Join, { LTime: m.ltime, Node: m.node });
}

export function encodeLeave(m: LeaveMessage): Uint8Array {
  return encodeMessage(MessageType.Leave, { LTime: m.ltime, Node: m.node, Prune: m.prune });
}

export function encodePushPull(m: PushPullMessage): Uint8Array {
  return encodeMessage(MessageType.PushPull, {
    LTime: m.ltime,
    StatusLTimes: new Map(m.statusLTimes),
    LeftMembers: m.leftMembers,
    EventLTime: m.eventLTime,
    Events: m.events.map((slot) =>
      slot === null
        ? null
        : {
            LTime: slot.ltime,
            Events: slot.events.map((e) => ({ Name: e.name, Payload: e.payload })),
          },
    ),
    QueryLTime: m.queryLTime,
  });
}

export function encodeUserEvent(m: UserEventMessage): Uint8Array {
  return encodeMessage(MessageType.UserEvent, {
    LTime: m.ltime,
    Name: m.name,
    Payload: m.payload,
    CC: m.cc,
  });
}

export function encodeQuery(m: QueryMessage): Uint8Array {
  return encodeMessage(MessageType.Query, {
    LTime: m.ltime,
    ID: m.id,
    Addr: m.addr,
    Port: m.port,
    SourceNode: m.sourceNode,
    // Go sends nil (0xc0) for no filters and for an empty payload, as for _serf_ping.
    Filters: m.filters.length === 0 ? null : m.filters,
    Flags: m.flags,
    RelayFactor: m.relayFactor,
    Timeout: m.timeoutNs,
    Name: m.name,
    Payload: m.payload.length === 0 ? null : m.payload,
  });
}

export function encodeQueryResponse(m: QueryResponseMessage): Uint8Array {
  return encodeMessage(MessageType.QueryResponse, queryResponseBody(m));
}

/** A query response wrapped for relay: `09`, relay header, then the complete inner message. */
export function encodeRelayedResponse(header: RelayHeader, m: QueryResponseMessage): Uint8Array {
  const w = new msgpack.MsgpackWriter();
  w.byte(MessageType.Relay);
  w.value({
    DestAddr: { IP: header.destIp, Port: header.destPort, Zone: header.destZone },
    DestName: header.destName,
  });
  w.byte(MessageType.QueryResponse);
  w.value(queryResponseBody(m));
  return w.bytes().slice();
}

export function encodeNodeFilter(nodes: string[]): Uint8Array {
  return encodeMessage(FilterType.Node, nodes);
}

export function encodeTagFilter(tag: string, expr: string): Uint8Array {
  return encodeMessage(FilterType.Tag, { Tag: tag, Expr: expr });
}

export function encodeKeyRequest(key: Uint8Array | null): Uint8Array {
  return encodeMessage(MessageType.KeyRequest, { Key: key });
}

export function encodeKeyResponse(m: KeyResponseMessage): Uint8Array {
  return encodeMessage(MessageType.KeyResponse, {
    Result: m.result,
    Message: m.message,
    Keys: m.keys.length === 0 ? null : m.keys,
    PrimaryKey: m.primaryKey,
  });
}

/** `06` + the member (or nil when the responder does not know the node). */
export function encodeConflictResponse(m: WireMember | null): Uint8Array {
  return encodeMessage(
    MessageType.ConflictResponse,
    m === null
      ? null
      : {
          Name: m.name,
          Addr: m.addr,
          Port: m.port,
          Tags: new Map(Object.entries(m.tags)),
          Status: m.status,
          ProtocolMin: m.protocolMin,
          ProtocolMax: m.protocolMax,
          ProtocolCur: m.protocolCur,
          DelegateMin: m.delegateMin,
          DelegateMax: m.delegateMax,
          DelegateCur: m.delegateCur,
        },
  );
}

// Decoding: `body` is the message without its type byte.

export function decodeJoin(body: Uint8Array): JoinMessage {
  const m = struct(body, 'join message');
  return { ltime: fieldUint(m, 'LTime'), node: fieldString(m, 'Node') };
}

export function decodeLeave(body: Uint8Array): LeaveMessage {
  const m = struct(body, 'leave message');
  return {
    ltime: fieldUint(m, 'LTime'),
    node: fieldString(m, 'Node'),
    prune: fieldBool(m, 'Prune'),
  };
}

export function decodePushPull(body: Uint8Array): PushPullMessage {
  const m = struct(body, 'push/pull message');
  const statusLTimes = new Map<string, number>();
  const st = m.get('StatusLTimes');
  if (st !== undefined && st !== null) {
    for (const [name, t] of asStruct(st, 'StatusLTimes'))
      statusLTimes.set(name, asTime(t, `StatusLTimes[${name}]`));
  }
  const events = asList(m.get('Events'), 'Events').map((slot): UserEventsAt | null => {
    if (slot === null) return null;
    const s = asStruct(slot, 'Events[]');
    return {
      ltime: fieldUint(s, 'LTime'),
      events: asList(s.get('Events'), 'Events[].Events').map((e) => {
        const em = asStruct(e, 'Events[].Events[]');
        return {
          name: fieldString(em, 'Name'),
          payload: fieldBytes(em, 'Payload') ?? new Uint8Array(0),
        };
      }),
    };
  });
  return {
    ltime: fieldUint(m, 'LTime'),
    statusLTimes,
    leftMembers: asList(m.get('LeftMembers'), 'LeftMembers').map((x) => asText(x, 'LeftMembers[]')),
    eventLTime: fieldUint(m, 'EventLTime'),
    events,
    queryLTime: fieldUint(m, 'QueryLTime'),
  };
}

export function decodeUserEvent(body: Uint8Array): UserEventMessage {
  const m = struct(body, 'user event message');
  return {
    ltime: fieldUint(m, 'LTime'),
    name: fieldString(m, 'Name'),
    payload: fieldBytes(m, 'Payload') ?? new Uint8Array(0),
    cc: fieldBool(m, 'CC'),
  };
}

export function decodeQuery(body: Uint8Array): QueryMessage {
  const m = struct(body, 'query message');
  return {
    ltime: fieldUint(m, 'LTime'),
    id: fieldUint(m, 'ID'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldUint(m, 'Port'),
    sourceNode: fieldString(m, 'SourceNode'),
    filters: asList(m.get('Filters'), 'Filters').map((f) => {
      if (f instanceof Uint8Array) return f;
      throw new MsgpackError('Filters[]: expected bytes');
    }),
    flags: fieldUint(m, 'Flags'),
    relayFactor: fieldUint(m, 'RelayFactor'),
    timeoutNs: fieldUint(m, 'Timeout'),
    name: fieldString(m, 'Name'),
    payload: fieldBytes(m, 'Payload') ?? new Uint8Array(0),
  };
}

export function decodeQueryResponse(body: Uint8Array): QueryResponseMessage {
  const m = struct(body, 'query response message');
  return {
    ltime: fieldUint(m, 'LTime'),
    id: fieldUint(m, 'ID'),
    from: fieldString(m, 'From'),
    flags: fieldUint(m, 'Flags'),
    payload: fieldBytes(m, 'Payload'),
  };
}

/** Splits a relay message body into its header and the inner message to forward. */
export function decodeRelay(body: Uint8Array): { header: RelayHeader; inner: Uint8Array } {
  const reader = new msgpack.MsgpackReader(body);
  const m = asStruct(reader.value(), 'relay header');
  const dest = asStruct(m.get('DestAddr') ?? new Map(), 'DestAddr');
  return {
    header: {
      destIp: fieldBytes(dest, 'IP') ?? new Uint8Array(0),
      destPort: fieldUint(dest, 'Port'),
      destZone: fieldString(dest, 'Zone'),
      destName: fieldString(m, 'DestName'),
    },
    inner: body.slice(reader.offset),
  };
}

export function decodeKeyRequest(body: Uint8Array): Uint8Array | null {
  return fieldBytes(struct(body, 'key request'), 'Key');
}

export function decodeKeyResponse(body: Uint8Array): KeyResponseMessage {
  const m = struct(body, 'key response');
  return {
    result: fieldBool(m, 'Result'),
    message: fieldString(m, 'Message'),
    keys: asList(m.get('Keys'), 'Keys').map((x) => asText(x, 'Keys[]')),
    primaryKey: fieldString(m, 'PrimaryKey'),
  };
}

export function decodeConflictResponse(body: Uint8Array): WireMember | null {
  const v = decode(body);
  if (v === null) return null;
  const m = asStruct(v, 'conflict response');
  return {
    name: fieldString(m, 'Name'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldUint(m, 'Port'),
    tags: stringMap(m.get('Tags'), 'Tags'),
    status: fieldUint(m, 'Status'),
    protocolMin: fieldUint(m, 'ProtocolMin'),
    protocolMax: fieldUint(m, 'ProtocolMax'),
    protocolCur: fieldUint(m, 'ProtocolCur'),
    delegateMin: fieldUint(m, 'DelegateMin'),
    delegateMax: fieldUint(m, 'DelegateMax'),
    delegateCur: fieldUint(m, 'DelegateCur'),
  };
}

export type Filter = { type: 'node'; nodes: string[] } | { type: 'tag'; tag: string; expr: string };

/** Decodes one query filter; null for an unknown filter type (the query is then not processed). */
export function decodeFilter(raw: Uint8Array): Filter | null {
  if (raw.length === 0) return null;
  const body = raw.subarray(1);
  if (raw[0] === FilterType.Node) {
    return {
      type: 'node',
      nodes: asList(decode(body), 'node filter').map((x) => asText(x, 'node filter[]')),
    };
  }
  if (raw[0] === FilterType.Tag) {
    const m = struct(body, 'tag filter');
    return { type: 'tag', tag: fieldString(m, 'Tag'), expr: fieldString(m, 'Expr') };
  }
  return null;
}

/** Tags as memberlist Meta: `0xFF` + msgpack map. */
export function encodeTags(tags: Record<string, string>): Uint8Array {
  return encodeMessage(TAG_MAGIC_BYTE, new Map(Object.entries(tags)));
}

/** Meta → tags; a meta without the magic byte is a pre-tags serf's role. */
export function decodeTags(meta: Uint8Array): Record<string, string> {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) return { role: msgpack.bytesToText(meta) };
  return stringMap(decode(meta.subarray(1)), 'tags');
}

export const utf8 = msgpack.textToBytes;
