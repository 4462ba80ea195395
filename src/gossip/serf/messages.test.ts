import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeConflictResponse,
  decodeFilter,
  decodeJoin,
  decodeKeyRequest,
  decodeKeyResponse,
  decodeLeave,
  decodePushPull,
  decodeQuery,
  decodeQueryResponse,
  decodeRelay,
  decodeTags,
  decodeUserEvent,
  encodeConflictResponse,
  encodeJoin,
  encodeKeyRequest,
  encodeKeyResponse,
  encodeLeave,
  encodeNodeFilter,
  encodePushPull,
  encodeQuery,
  encodeQueryResponse,
  encodeRelayedResponse,
  encodeTagFilter,
  encodeTags,
  encodeUserEvent,
  MessageType,
} from './messages';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// Vectors produced by hashicorp/go-msgpack 0.5.5 (MsgpackHandle{}) on serf's message structs.
const GO = {
  leave: '0083a54c54696d6505a44e6f6465a26e31a55072756e65c3',
  user: '0384a24343c3a54c54696d65cd012ca44e616d65a66465706c6f79a75061796c6f6164a27631',
  query:
    '048ba441646472a47f000001a746696c74657273c0a5466c61677301a24944ce0001e240a54c54696d6502a44e616d65aa5f736572665f70696e67a75061796c6f6164c0a4506f7274cd1f0aab52656c6179466163746f7202aa536f757263654e6f6465a161a754696d656f7574cebebc2000',
  qresp: '0585a5466c61677301a446726f6da162a2494409a54c54696d6502a75061796c6f6164c0',
  pushpull:
    '0286aa4576656e744c54696d6504a64576656e747392c082a64576656e74739182a44e616d65a165a75061796c6f6164a101a54c54696d6501a54c54696d6507ab4c6566744d656d6265727390aa51756572794c54696d6501ac5374617475734c54696d657381a16103',
  relayHeader:
    '0982a8446573744164647283a24950a40a000001a4506f7274cd206da45a6f6e65a0a8446573744e616d65a178',
  keyresp: '0884a44b657973c0a74d657373616765a0aa5072696d6172794b6579a0a6526573756c74c3',
  tags: 'ff81a4726f6c65a46e6f6465',
};

test('a leave intent encodes byte for byte as serf does and decodes back', () => {
  const m = { ltime: 5, node: 'n1', prune: true };
  assert.equal(hex(encodeLeave(m)), GO.leave);
  assert.deepEqual(decodeLeave(bytes(GO.leave).subarray(1)), m);
});

test('a join intent round-trips with its type byte', () => {
  const raw = encodeJoin({ ltime: 300, node: 'x' });
  assert.equal(raw[0], MessageType.Join);
  assert.deepEqual(decodeJoin(raw.subarray(1)), { ltime: 300, node: 'x' });
});

test('a user event encodes as serf does, LTime 300 as uint16', () => {
  const m = { ltime: 300, name: 'deploy', payload: utf8('v1'), cc: true };
  assert.equal(hex(encodeUserEvent(m)), GO.user);
  assert.deepEqual(decodeUserEvent(bytes(GO.user).subarray(1)), m);
});

test('a query encodes as serf does: nil filters and payload, timeout in nanoseconds', () => {
  const m = {
    ltime: 2,
    id: 123456,
    addr: new Uint8Array([127, 0, 0, 1]),
    port: 7946,
    sourceNode: 'a',
    filters: [],
    flags: 1,
    relayFactor: 2,
    timeoutNs: 3_200_000_000,
    name: '_serf_ping',
    payload: new Uint8Array(0),
  };
  assert.equal(hex(encodeQuery(m)), GO.query);
  assert.deepEqual(decodeQuery(bytes(GO.query).subarray(1)), m);
});

test('a query response (an ack, nil payload) encodes as serf does', () => {
  const m = { ltime: 2, id: 9, from: 'b', flags: 1, payload: null };
  assert.equal(hex(encodeQueryResponse(m)), GO.qresp);
  assert.deepEqual(decodeQueryResponse(bytes(GO.qresp).subarray(1)), m);
});

test('push/pull state carries the event ring with nil slots, as serf encodes it', () => {
  const m = {
    ltime: 7,
    statusLTimes: new Map([['a', 3]]),
    leftMembers: [],
    eventLTime: 4,
    events: [null, { ltime: 1, events: [{ name: 'e', payload: new Uint8Array([1]) }] }],
    queryLTime: 1,
  };
  assert.equal(hex(encodePushPull(m)), GO.pushpull);
  assert.deepEqual(decodePushPull(bytes(GO.pushpull).subarray(1)), m);
});

test('a relayed response carries serf’s relay header, then the whole inner response', () => {
  const inner = { ltime: 2, id: 9, from: 'b', flags: 1, payload: null };
  const raw = encodeRelayedResponse(
    { destIp: new Uint8Array([10, 0, 0, 1]), destPort: 8301, destZone: '', destName: 'x' },
    inner,
  );
  assert.equal(hex(raw).slice(0, GO.relayHeader.length), GO.relayHeader);
  const { header, inner: innerRaw } = decodeRelay(raw.subarray(1));
  assert.equal(header.destPort, 8301);
  assert.equal(header.destName, 'x');
  assert.deepEqual([...header.destIp], [10, 0, 0, 1]);
  assert.equal(hex(innerRaw), GO.qresp);
});

test('a key response with no keys encodes Keys as nil, as serf does', () => {
  const m = { result: true, message: '', keys: [], primaryKey: '' };
  assert.equal(hex(encodeKeyResponse(m)), GO.keyresp);
  assert.deepEqual(decodeKeyResponse(bytes(GO.keyresp).subarray(1)), m);
});

test('a key request carries the raw key bytes', () => {
  const key = new Uint8Array(32).fill(7);
  const raw = encodeKeyRequest(key);
  assert.equal(raw[0], MessageType.KeyRequest);
  assert.deepEqual(decodeKeyRequest(raw.subarray(1)), key);
});

test('tags are 0xFF plus a msgpack map; meta without the magic byte is a legacy role', () => {
  assert.equal(hex(encodeTags({ role: 'node' })), GO.tags);
  assert.deepEqual(decodeTags(bytes(GO.tags)), { role: 'node' });
  assert.deepEqual(decodeTags(utf8('web')), { role: 'web' });
  assert.deepEqual(decodeTags(new Uint8Array(0)), { role: '' });
});

test('a conflict response carries the member, or nil when unknown', () => {
  const member = {
    name: 'n',
    addr: new Uint8Array([127, 0, 0, 2]),
    port: 8301,
    tags: { dc: 'dc1' },
    status: 1,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 4,
  };
  const raw = encodeConflictResponse(member);
  assert.equal(raw[0], MessageType.ConflictResponse);
  assert.deepEqual(decodeConflictResponse(raw.subarray(1)), member);
  assert.equal(decodeConflictResponse(encodeConflictResponse(null).subarray(1)), null);
});

test('filters decode by type byte; an unknown type decodes as null', () => {
  assert.deepEqual(decodeFilter(encodeNodeFilter(['a', 'b'])), { type: 'node', nodes: ['a', 'b'] });
  assert.deepEqual(decodeFilter(encodeTagFilter('role', '^web$')), {
    type: 'tag',
    tag: 'role',
    expr: '^web$',
  });
  assert.equal(decodeFilter(new Uint8Array([7, 0xc0])), null);
});

test('truncated messages are refused with an error, not misread', () => {
  const raw = bytes(GO.user).subarray(1);
  assert.throws(() => decodeUserEvent(raw.subarray(0, raw.length - 3)), /unexpected EOF/);
  assert.throws(() => decodeJoin(new Uint8Array([0x81, 0xa5])), /unexpected EOF/);
});
