import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decryptPayload,
  encryptPayload,
  Keyring,
  lanConfig,
  lzwCompress,
  lzwDecompress,
  msgpack,
  WireCodec,
} from '../../../src/gossip/memberlist';
import {
  encodeAlive,
  encodePing,
  decodeCompound,
  makeCompound,
  crc32,
} from '../../../src/gossip/memberlist/messages';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

test('a ping encodes as go-msgpack writes it (sorted keys, raw strings)', () => {
  const out = encodePing({ seqNo: 7, node: 'b', sourceAddr: null, sourcePort: 0, sourceNode: '' });
  assert.equal(hex(out), '0082a4' + ascii('Node') + 'a162a5' + ascii('SeqNo') + '07');
});

test('a ping with source fields carries them in key order', () => {
  const out = encodePing({
    seqNo: 7,
    node: 'b',
    sourceAddr: Uint8Array.from([10, 0, 0, 1]),
    sourcePort: 8301,
    sourceNode: 'a',
  });
  const expected =
    '0085a4' +
    ascii('Node') +
    'a162' +
    'a5' +
    ascii('SeqNo') +
    '07' +
    'aa' +
    ascii('SourceAddr') +
    'a40a000001' +
    'aa' +
    ascii('SourceNode') +
    'a161' +
    'aa' +
    ascii('SourcePort') +
    'cd206d';
  assert.equal(hex(out), expected);
});

test('an alive with tags and the Vsn array matches the reference vector', () => {
  const meta = Buffer.concat([
    Buffer.from([0xff, 0x81, 0xa4]),
    Buffer.from('role'),
    Buffer.from([0xa4]),
    Buffer.from('node'),
  ]);
  const out = encodeAlive({
    incarnation: 1,
    node: 'a',
    addr: Uint8Array.from([10, 0, 0, 1]),
    port: 8301,
    meta,
    vsn: Uint8Array.from([1, 5, 2, 2, 5, 4]),
  });
  const expected =
    '0486a4' +
    ascii('Addr') +
    'a40a000001' +
    'ab' +
    ascii('Incarnation') +
    '01' +
    'a4' +
    ascii('Meta') +
    'ac' +
    hex(meta) +
    'a4' +
    ascii('Node') +
    'a161' +
    'a4' +
    ascii('Port') +
    'cd206d' +
    'a3' +
    ascii('Vsn') +
    'a6010502020504';
  assert.equal(hex(out), expected);
});

test('byte strings of 32 bytes or more use the 0xda header, never str8', () => {
  assert.equal(hex(msgpack.encode(new Uint8Array(40))).slice(0, 6), 'da0028');
});

test('the decoder accepts str8 and bin forms that newer peers send', () => {
  const v = msgpack.decode(Uint8Array.from([0xd9, 2, 0x68, 0x69]));
  assert.deepEqual(v, Uint8Array.from([0x68, 0x69]));
  assert.deepEqual(msgpack.decode(Uint8Array.from([0xc4, 1, 7])), Uint8Array.from([7]));
});

test('truncated msgpack reports truncation rather than a wrong value', () => {
  assert.throws(() => msgpack.decode(Uint8Array.from([0xda, 0, 5, 1])), msgpack.TruncatedError);
});

test('LZW round-trips text, binary and long repetitive input', () => {
  const inputs = [
    new Uint8Array(0),
    Buffer.from('a'),
    Buffer.from('TOBEORNOTTOBEORTOBEORNOT#'.repeat(50)),
    Uint8Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251),
    new Uint8Array(100000).fill(3),
  ];
  for (const input of inputs)
    assert.deepEqual(lzwDecompress(lzwCompress(input)), Uint8Array.from(input));
});

test('LZW output matches Go compress/lzw (LSB, 8-bit literals)', () => {
  // Produced by Go 1.19: lzw.NewWriter(&b, lzw.LSB, 8); w.Write([]byte("hello hello hello")); w.Close()
  assert.equal(
    hex(lzwCompress(Buffer.from('hello hello hello'))),
    '00d19461c3e60d0881040d222c1810',
  );
});

test('a compound message splits back into its parts, reporting truncated ones', () => {
  const parts = [Uint8Array.from([1, 2, 3]), Uint8Array.from([4]), new Uint8Array(300)];
  const c = makeCompound(parts);
  const back = decodeCompound(c.subarray(1));
  assert.equal(back.truncated, 0);
  assert.deepEqual(
    back.parts.map((p) => p.length),
    [3, 1, 300],
  );
  const cut = decodeCompound(c.subarray(1, c.length - 10));
  assert.equal(cut.truncated, 1);
  assert.equal(cut.parts.length, 2);
});

test('CRC-32 is the IEEE polynomial', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('encryption versions 0 and 1 round-trip and only the right key opens them', () => {
  const key = new Uint8Array(16).fill(1);
  const other = new Uint8Array(32).fill(2);
  for (const version of [0, 1]) {
    for (const len of [0, 1, 15, 16, 17, 1000]) {
      const msg = Uint8Array.from({ length: len }, (_, i) => i & 0xff);
      const sealed = encryptPayload(version, key, msg, null);
      assert.equal(sealed[0], version);
      assert.deepEqual(decryptPayload([other, key], sealed, null), msg);
      assert.throws(
        () => decryptPayload([other], sealed, null),
        /No installed keys could decrypt the message/,
      );
    }
  }
  assert.throws(
    () => decryptPayload([key], Uint8Array.from([2, ...new Uint8Array(40)]), null),
    /Unsupported encryption version 2/,
  );
});

test('the keyring keeps the primary first and refuses what memberlist refuses', () => {
  const a = new Uint8Array(16).fill(1);
  const b = new Uint8Array(24).fill(2);
  const ring = Keyring.create([b], a);
  assert.deepEqual(ring.getKeys(), [a, b]);
  ring.useKey(b);
  assert.deepEqual(ring.getPrimaryKey(), b);
  assert.throws(() => ring.removeKey(b), /Removing the primary key is not allowed/);
  assert.throws(() => ring.useKey(new Uint8Array(16)), /Requested key is not in the keyring/);
  assert.throws(() => ring.addKey(new Uint8Array(5)), /key size must be 16, 24 or 32 bytes/);
  ring.removeKey(a);
  assert.deepEqual(ring.getKeys(), [b]);
  assert.throws(() => Keyring.create([a], null), /Empty primary key not allowed/);
});

test('packets pass through compression, CRC and encryption and back', () => {
  const config = { ...lanConfig(), keyring: Keyring.create([], new Uint8Array(32).fill(9)) };
  const codec = new WireCodec(config);
  const msg = encodePing({
    seqNo: 1,
    node: 'x'.repeat(100),
    sourceAddr: null,
    sourcePort: 0,
    sourceNode: '',
  });
  for (const pMax of [2, 5]) {
    const back = codec.decodePacket(codec.encodePacket(msg, pMax));
    // Compression paid off, so the core receives the compress wrapper (type 9).
    assert.equal(back[0], 9);
    const wrapper = msgpack.asStruct(msgpack.decode(back.subarray(1)), 'compress');
    assert.deepEqual(lzwDecompress(msgpack.fieldBytes(wrapper, 'Buf')!), msg);
  }
  const plainCodec = new WireCodec(lanConfig());
  assert.throws(() => codec.decodePacket(plainCodec.encodePacket(msg, 2)), /Decrypt packet failed/);
});

test('stream messages are parsed incrementally and sealed streams need the key', () => {
  const keyed = { ...lanConfig(), keyring: Keyring.create([], new Uint8Array(16).fill(4)) };
  const codec = new WireCodec(keyed);
  const ping = encodePing({ seqNo: 5, node: 'n', sourceAddr: null, sourcePort: 0, sourceNode: '' });
  const wire = codec.encodeStream(ping);
  for (let cut = 0; cut < wire.length; cut++) {
    assert.throws(() => codec.parseStream(wire.subarray(0, cut)), msgpack.TruncatedError);
  }
  const parsed = codec.parseStream(wire);
  assert.equal(parsed.type, 'ping');
  assert.throws(() => new WireCodec(lanConfig()).parseStream(wire), /encryption is not configured/);
  assert.throws(
    () => codec.parseStream(new WireCodec(lanConfig()).encodeStream(ping)),
    /Encryption is configured but remote state is not encrypted/,
  );
});
