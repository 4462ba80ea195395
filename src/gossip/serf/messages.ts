// serf's messages (hashicorp/serf 0.9 messages.go): one type byte, then a msgpack struct. They
// travel inside memberlist user messages; query responses may be wrapped in a relay message.
import {
  asArray,
  asMap,
  asStringMap,
  decode,
  decodeValue,
  fieldBool,
  fieldBytes,
  fieldInt,
  fieldStr,
  fieldStrArray,
  fieldUint,
  MsgpackError,
  MsgWriter,
  type MsgMap,
  text,
  utf8,
} from './codec';

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

function withType(t: MessageType, body: (w: MsgWriter) => void): Uint8Array {
  const w = new MsgWriter().byte(t);
  body(w);
  return w.finish();
}

export function encodeJoin(m: JoinMessage): Uint8Array {
  return withType(MessageType.Join, (w) =>
    w.struct([
      ['LTime', (x) => x.uint(m.ltime)],
      ['Node', (x) => x.str(m.node)],
    ]),
  );
}

export function encodeLeave(m: LeaveMessage): Uint8Array {
  return withType(MessageType.Leave, (w) =>
    w.struct([
      ['LTime', (x) => x.uint(m.ltime)],
      ['Node', (x) => x.str(m.node)],
      ['Prune', (x) => x.bool(m.prune)],
    ]),
  );
}

function writeUserEventsAt(w: MsgWriter, slot: UserEventsAt | null): void {
  if (slot === null) {
    w.nil();
    return;
  }
  w.struct([
    ['LTime', (x) => x.uint(slot.ltime)],
    [
      'Events',
      (x) => {
        x.arrayHeader(slot.events.length);
        for (const e of slot.events) {
          x.struct([
            ['Name', (y) => y.str(e.name)],
            ['Payload', (y) => y.bytes(e.payload)],
          ]);
        }
      },
    ],
  ]);
}

export function encodePushPull(m: PushPullMessage): Uint8Array {
  return withType(MessageType.PushPull, (w) =>
    w.struct([
      ['LTime', (x) => x.uint(m.ltime)],
      [
        'StatusLTimes',
        (x) => {
          x.mapHeader(m.statusLTimes.size);
          for (const [name, t] of m.statusLTimes) x.str(name).uint(t);
        },
      ],
      ['LeftMembers', (x) => x.stringArray(m.leftMembers)],
      ['EventLTime', (x) => x.uint(m.eventLTime)],
      [
        'Events',
        (x) => {
          x.arrayHeader(m.events.length);
          for (const slot of m.events) writeUserEventsAt(x, slot);
        },
      ],
      ['QueryLTime', (x) => x.uint(m.queryLTime)],
    ]),
  );
}

export function encodeUserEvent(m: UserEventMessage): Uint8Array {
  return withType(MessageType.UserEvent, (w) =>
    w.struct([
      ['LTime', (x) => x.uint(m.ltime)],
      ['Name', (x) => x.str(m.name)],
      ['Payload', (x) => x.bytes(m.payload)],
      ['CC', (x) => x.bool(m.cc)],
    ]),
  );
}

function writeQueryBody(w: MsgWriter, m: QueryMessage): void {
  w.struct([
    ['LTime', (x) => x.uint(m.ltime)],
    ['ID', (x) => x.uint(m.id)],
    ['Addr', (x) => x.bytes(m.addr)],
    ['Port', (x) => x.uint(m.port)],
    ['SourceNode', (x) => x.str(m.sourceNode)],
    [
      'Filters',
      (x) => {
        if (m.filters.length === 0) {
          x.nil();
          return;
        }
        x.arrayHeader(m.filters.length);
        for (const f of m.filters) x.bytes(f);
      },
    ],
    ['Flags', (x) => x.uint(m.flags)],
    ['RelayFactor', (x) => x.uint(m.relayFactor)],
    ['Timeout', (x) => x.int(m.timeoutNs)],
    ['Name', (x) => x.str(m.name)],
    // Go sends a nil payload (0xc0) for queries without one, such as _serf_ping.
    ['Payload', (x) => x.bytesOrNil(m.payload.length === 0 ? null : m.payload)],
  ]);
}

export function encodeQuery(m: QueryMessage): Uint8Array {
  return withType(MessageType.Query, (w) => writeQueryBody(w, m));
}

function writeQueryResponseBody(w: MsgWriter, m: QueryResponseMessage): void {
  w.struct([
    ['LTime', (x) => x.uint(m.ltime)],
    ['ID', (x) => x.uint(m.id)],
    ['From', (x) => x.str(m.from)],
    ['Flags', (x) => x.uint(m.flags)],
    ['Payload', (x) => x.bytesOrNil(m.payload)],
  ]);
}

export function encodeQueryResponse(m: QueryResponseMessage): Uint8Array {
  return withType(MessageType.QueryResponse, (w) => writeQueryResponseBody(w, m));
}

/** A query response wrapped for relay: `09`, relay header, then the complete inner message. */
export function encodeRelayedResponse(header: RelayHeader, m: QueryResponseMessage): Uint8Array {
  const w = new MsgWriter().byte(MessageType.Relay);
  w.struct([
    [
      'DestAddr',
      (x) =>
        x.struct([
          ['IP', (y) => y.bytes(header.destIp)],
          ['Port', (y) => y.int(header.destPort)],
          ['Zone', (y) => y.str(header.destZone)],
        ]),
    ],
    ['DestName', (x) => x.str(header.destName)],
  ]);
  w.byte(MessageType.QueryResponse);
  writeQueryResponseBody(w, m);
  return w.finish();
}

export function encodeNodeFilter(nodes: string[]): Uint8Array {
  return new MsgWriter().byte(FilterType.Node).stringArray(nodes).finish();
}

export function encodeTagFilter(tag: string, expr: string): Uint8Array {
  return new MsgWriter()
    .byte(FilterType.Tag)
    .struct([
      ['Tag', (x) => x.str(tag)],
      ['Expr', (x) => x.str(expr)],
    ])
    .finish();
}

export function encodeKeyRequest(key: Uint8Array | null): Uint8Array {
  return withType(MessageType.KeyRequest, (w) => w.struct([['Key', (x) => x.bytesOrNil(key)]]));
}

export function encodeKeyResponse(m: KeyResponseMessage): Uint8Array {
  return withType(MessageType.KeyResponse, (w) =>
    w.struct([
      ['Result', (x) => x.bool(m.result)],
      ['Message', (x) => x.str(m.message)],
      ['Keys', (x) => x.stringArray(m.keys.length === 0 ? null : m.keys)],
      ['PrimaryKey', (x) => x.str(m.primaryKey)],
    ]),
  );
}

/** `06` + the member (or nil when the responder does not know the node). */
export function encodeConflictResponse(m: WireMember | null): Uint8Array {
  return withType(MessageType.ConflictResponse, (w) => {
    if (m === null) {
      w.nil();
      return;
    }
    w.struct([
      ['Name', (x) => x.str(m.name)],
      ['Addr', (x) => x.bytes(m.addr)],
      ['Port', (x) => x.uint(m.port)],
      ['Tags', (x) => x.stringMap(m.tags)],
      ['Status', (x) => x.int(m.status)],
      ['ProtocolMin', (x) => x.uint(m.protocolMin)],
      ['ProtocolMax', (x) => x.uint(m.protocolMax)],
      ['ProtocolCur', (x) => x.uint(m.protocolCur)],
      ['DelegateMin', (x) => x.uint(m.delegateMin)],
      ['DelegateMax', (x) => x.uint(m.delegateMax)],
      ['DelegateCur', (x) => x.uint(m.delegateCur)],
    ]);
  });
}

// Decoding: `body` is the message without its type byte.

function struct(body: Uint8Array, what: string): MsgMap {
  return asMap(decode(body), what);
}

export function decodeJoin(body: Uint8Array): JoinMessage {
  const m = struct(body, 'join message');
  return { ltime: fieldUint(m, 'LTime'), node: fieldStr(m, 'Node') };
}

export function decodeLeave(body: Uint8Array): LeaveMessage {
  const m = struct(body, 'leave message');
  return { ltime: fieldUint(m, 'LTime'), node: fieldStr(m, 'Node'), prune: fieldBool(m, 'Prune') };
}

export function decodePushPull(body: Uint8Array): PushPullMessage {
  const m = struct(body, 'push/pull message');
  const statusLTimes = new Map<string, number>();
  const st = m.get('StatusLTimes');
  if (st != null) {
    for (const [name, t] of asMap(st, 'StatusLTimes')) {
      if (typeof t !== 'number' || t < 0)
        throw new MsgpackError(`StatusLTimes[${name}]: expected a time`);
      statusLTimes.set(name, t);
    }
  }
  const events = asArray(m.get('Events') ?? null, 'Events').map((slot): UserEventsAt | null => {
    if (slot == null) return null;
    const s = asMap(slot, 'Events[]');
    return {
      ltime: fieldUint(s, 'LTime'),
      events: asArray(s.get('Events') ?? null, 'Events[].Events').map((e) => {
        const em = asMap(e, 'Events[].Events[]');
        return {
          name: fieldStr(em, 'Name'),
          payload: fieldBytes(em, 'Payload') ?? new Uint8Array(0),
        };
      }),
    };
  });
  return {
    ltime: fieldUint(m, 'LTime'),
    statusLTimes,
    leftMembers: fieldStrArray(m, 'LeftMembers'),
    eventLTime: fieldUint(m, 'EventLTime'),
    events,
    queryLTime: fieldUint(m, 'QueryLTime'),
  };
}

export function decodeUserEvent(body: Uint8Array): UserEventMessage {
  const m = struct(body, 'user event message');
  return {
    ltime: fieldUint(m, 'LTime'),
    name: fieldStr(m, 'Name'),
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
    sourceNode: fieldStr(m, 'SourceNode'),
    filters: asArray(m.get('Filters') ?? null, 'Filters').map((f) => {
      if (f instanceof Uint8Array) return f;
      throw new MsgpackError('Filters[]: expected bytes');
    }),
    flags: fieldUint(m, 'Flags'),
    relayFactor: fieldUint(m, 'RelayFactor'),
    timeoutNs: fieldInt(m, 'Timeout'),
    name: fieldStr(m, 'Name'),
    payload: fieldBytes(m, 'Payload') ?? new Uint8Array(0),
  };
}

export function decodeQueryResponse(body: Uint8Array): QueryResponseMessage {
  const m = struct(body, 'query response message');
  return {
    ltime: fieldUint(m, 'LTime'),
    id: fieldUint(m, 'ID'),
    from: fieldStr(m, 'From'),
    flags: fieldUint(m, 'Flags'),
    payload: fieldBytes(m, 'Payload'),
  };
}

/** Splits a relay message body into its header and the inner message to forward. */
export function decodeRelay(body: Uint8Array): { header: RelayHeader; inner: Uint8Array } {
  const { value, offset } = decodeValue(body, 0);
  const m = asMap(value, 'relay header');
  const dest = asMap(m.get('DestAddr') ?? new Map(), 'DestAddr');
  return {
    header: {
      destIp: fieldBytes(dest, 'IP') ?? new Uint8Array(0),
      destPort: fieldInt(dest, 'Port'),
      destZone: fieldStr(dest, 'Zone'),
      destName: fieldStr(m, 'DestName'),
    },
    inner: body.slice(offset),
  };
}

export function decodeKeyRequest(body: Uint8Array): Uint8Array | null {
  return fieldBytes(struct(body, 'key request'), 'Key');
}

export function decodeKeyResponse(body: Uint8Array): KeyResponseMessage {
  const m = struct(body, 'key response');
  return {
    result: fieldBool(m, 'Result'),
    message: fieldStr(m, 'Message'),
    keys: fieldStrArray(m, 'Keys'),
    primaryKey: fieldStr(m, 'PrimaryKey'),
  };
}

export function decodeConflictResponse(body: Uint8Array): WireMember | null {
  const v = decode(body);
  if (v === null) return null;
  const m = asMap(v, 'conflict response');
  return {
    name: fieldStr(m, 'Name'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldUint(m, 'Port'),
    tags: asStringMap(m.get('Tags') ?? null, 'Tags'),
    status: fieldInt(m, 'Status'),
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
      nodes: asArray(decode(body), 'node filter').map((x) =>
        x instanceof Uint8Array ? text(x) : '',
      ),
    };
  }
  if (raw[0] === FilterType.Tag) {
    const m = struct(body, 'tag filter');
    return { type: 'tag', tag: fieldStr(m, 'Tag'), expr: fieldStr(m, 'Expr') };
  }
  return null;
}

/** Tags as memberlist Meta: `0xFF` + msgpack map. */
export function encodeTags(tags: Record<string, string>): Uint8Array {
  return new MsgWriter().byte(TAG_MAGIC_BYTE).stringMap(tags).finish();
}

/** Meta → tags; a meta without the magic byte is a pre-tags serf's role. */
export function decodeTags(meta: Uint8Array): Record<string, string> {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) return { role: text(meta) };
  return asStringMap(decode(meta.subarray(1)), 'tags');
}

export { utf8 };
