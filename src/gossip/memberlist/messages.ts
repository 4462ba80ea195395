// memberlist's wire messages (net.go): one type byte, then a go-msgpack struct.
import {
  asStruct,
  decode,
  encodeMessage,
  fieldBool,
  fieldBytes,
  fieldString,
  fieldUint,
  MsgpackError,
  MsgpackReader,
  type MsgInput,
} from './msgpack';

export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ackResp: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nackResp: 11,
  hasCrc: 12,
  err: 13,
  hasLabel: 244,
} as const;

export const META_MAX_SIZE = 512;
export const COMPOUND_HEADER_OVERHEAD = 2;
export const COMPOUND_OVERHEAD = 2;
export const USER_MSG_OVERHEAD = 1;
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024;
export const MAX_PUSH_PULL_REQUESTS = 128;

export const NodeStateCode = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
export type NodeStateName = keyof typeof NodeStateCode;
const STATE_NAMES: NodeStateName[] = ['alive', 'suspect', 'dead', 'left'];

export function stateName(code: number): NodeStateName {
  const name = STATE_NAMES[code];
  if (name === undefined) throw new MsgpackError(`unknown node state ${code}`);
  return name;
}

export interface Ping {
  seqNo: number;
  node: string;
  sourceAddr: Uint8Array | null;
  sourcePort: number;
  sourceNode: string;
}

export interface IndirectPingReq {
  seqNo: number;
  target: Uint8Array | null;
  port: number;
  node: string;
  nack: boolean;
  sourceAddr: Uint8Array | null;
  sourcePort: number;
  sourceNode: string;
}

export interface AckResp {
  seqNo: number;
  payload: Uint8Array | null;
}

export interface Suspect {
  incarnation: number;
  node: string;
  from: string;
}

export type Dead = Suspect;

export interface Alive {
  incarnation: number;
  node: string;
  addr: Uint8Array | null;
  port: number;
  meta: Uint8Array | null;
  vsn: Uint8Array | null;
}

export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}

export interface PushNodeState {
  name: string;
  addr: Uint8Array | null;
  port: number;
  meta: Uint8Array | null;
  incarnation: number;
  state: number;
  vsn: Uint8Array | null;
}

// Omitempty fields (ping/indirect source fields) are left out when zero, as Go does.
function sourceFields(
  addr: Uint8Array | null,
  port: number,
  node: string,
): Record<string, MsgInput> {
  const out: Record<string, MsgInput> = {};
  if (addr !== null && addr.length > 0) out.SourceAddr = addr;
  if (port !== 0) out.SourcePort = port;
  if (node !== '') out.SourceNode = node;
  return out;
}

export function encodePing(p: Ping): Uint8Array {
  return encodeMessage(MessageType.ping, {
    SeqNo: p.seqNo,
    Node: p.node,
    ...sourceFields(p.sourceAddr, p.sourcePort, p.sourceNode),
  });
}

export function encodeIndirectPing(p: IndirectPingReq): Uint8Array {
  return encodeMessage(MessageType.indirectPing, {
    SeqNo: p.seqNo,
    Target: p.target,
    Port: p.port,
    Node: p.node,
    Nack: p.nack,
    ...sourceFields(p.sourceAddr, p.sourcePort, p.sourceNode),
  });
}

export function encodeAck(a: AckResp): Uint8Array {
  return encodeMessage(MessageType.ackResp, { SeqNo: a.seqNo, Payload: a.payload });
}

export function encodeNack(seqNo: number): Uint8Array {
  return encodeMessage(MessageType.nackResp, { SeqNo: seqNo });
}

export function encodeErr(error: string): Uint8Array {
  return encodeMessage(MessageType.err, { Error: error });
}

export function encodeSuspect(s: Suspect): Uint8Array {
  return encodeMessage(MessageType.suspect, {
    Incarnation: s.incarnation,
    Node: s.node,
    From: s.from,
  });
}

export function encodeDead(d: Dead): Uint8Array {
  return encodeMessage(MessageType.dead, {
    Incarnation: d.incarnation,
    Node: d.node,
    From: d.from,
  });
}

export function encodeAlive(a: Alive): Uint8Array {
  return encodeMessage(MessageType.alive, {
    Incarnation: a.incarnation,
    Node: a.node,
    Addr: a.addr,
    Port: a.port,
    Meta: a.meta,
    Vsn: a.vsn,
  });
}

export function pushNodeStateBody(n: PushNodeState): MsgInput {
  return {
    Name: n.name,
    Addr: n.addr,
    Port: n.port,
    Meta: n.meta,
    Incarnation: n.incarnation,
    State: n.state,
    Vsn: n.vsn,
  };
}

export function pushPullHeaderBody(h: PushPullHeader): MsgInput {
  return { Nodes: h.nodes, UserStateLen: h.userStateLen, Join: h.join };
}

// Decoders: each takes the body after the type byte.

export function decodePing(buf: Uint8Array): Ping {
  const m = asStruct(decode(buf), 'ping');
  return {
    seqNo: fieldUint(m, 'SeqNo'),
    node: fieldString(m, 'Node'),
    sourceAddr: fieldBytes(m, 'SourceAddr'),
    sourcePort: fieldUint(m, 'SourcePort'),
    sourceNode: fieldString(m, 'SourceNode'),
  };
}

export function decodeIndirectPing(buf: Uint8Array): IndirectPingReq {
  const m = asStruct(decode(buf), 'indirect ping');
  return {
    seqNo: fieldUint(m, 'SeqNo'),
    target: fieldBytes(m, 'Target'),
    port: fieldUint(m, 'Port'),
    node: fieldString(m, 'Node'),
    nack: fieldBool(m, 'Nack'),
    sourceAddr: fieldBytes(m, 'SourceAddr'),
    sourcePort: fieldUint(m, 'SourcePort'),
    sourceNode: fieldString(m, 'SourceNode'),
  };
}

export function decodeAck(buf: Uint8Array): AckResp {
  const m = asStruct(decode(buf), 'ack');
  return { seqNo: fieldUint(m, 'SeqNo'), payload: fieldBytes(m, 'Payload') };
}

export function decodeNack(buf: Uint8Array): number {
  return fieldUint(asStruct(decode(buf), 'nack'), 'SeqNo');
}

export function decodeSuspect(buf: Uint8Array): Suspect {
  const m = asStruct(decode(buf), 'suspect');
  return {
    incarnation: fieldUint(m, 'Incarnation'),
    node: fieldString(m, 'Node'),
    from: fieldString(m, 'From'),
  };
}

export const decodeDead = decodeSuspect;

export function decodeAlive(buf: Uint8Array): Alive {
  const m = asStruct(decode(buf), 'alive');
  return {
    incarnation: fieldUint(m, 'Incarnation'),
    node: fieldString(m, 'Node'),
    addr: fieldBytes(m, 'Addr'),
    port: fieldUint(m, 'Port'),
    meta: fieldBytes(m, 'Meta'),
    vsn: fieldBytes(m, 'Vsn'),
  };
}

export function readPushPullHeader(r: MsgpackReader): PushPullHeader {
  const m = asStruct(r.value(), 'push/pull header');
  return {
    nodes: fieldUint(m, 'Nodes'),
    userStateLen: fieldUint(m, 'UserStateLen'),
    join: fieldBool(m, 'Join'),
  };
}

export function readPushNodeState(r: MsgpackReader): PushNodeState {
  const m = asStruct(r.value(), 'push node state');
  return {
    name: fieldString(m, 'Name'),
    addr: fieldBytes(m, 'Addr'),
    port: fieldUint(m, 'Port'),
    meta: fieldBytes(m, 'Meta'),
    incarnation: fieldUint(m, 'Incarnation'),
    state: fieldUint(m, 'State'),
    vsn: fieldBytes(m, 'Vsn'),
  };
}

export function makeCompound(msgs: Uint8Array[]): Uint8Array {
  let total = 2 + msgs.length * 2;
  for (const m of msgs) total += m.length;
  const out = new Uint8Array(total);
  out[0] = MessageType.compound;
  out[1] = msgs.length;
  let off = 2;
  for (const m of msgs) {
    out[off++] = m.length >>> 8;
    out[off++] = m.length & 0xff;
  }
  for (const m of msgs) {
    out.set(m, off);
    off += m.length;
  }
  return out;
}

/** Splits a compound body (after the type byte); `truncated` counts parts that did not fit. */
export function decodeCompound(buf: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (buf.length < 1) throw new MsgpackError('missing compound length byte');
  const n = buf[0];
  if (buf.length < 1 + n * 2) throw new MsgpackError('truncated len slice');
  const parts: Uint8Array[] = [];
  let off = 1 + n * 2;
  for (let i = 0; i < n; i++) {
    const len = (buf[1 + i * 2] << 8) | buf[2 + i * 2];
    if (buf.length - off < len) return { parts, truncated: n - i };
    parts.push(buf.subarray(off, off + len));
    off += len;
  }
  return { parts, truncated: 0 };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 IEEE, as Go's crc32.ChecksumIEEE. */
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function addCrc(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + msg.length);
  out[0] = MessageType.hasCrc;
  new DataView(out.buffer).setUint32(1, crc32(msg));
  out.set(msg, 5);
  return out;
}
