// Bad input: random, truncated, mutated, oversized and wrongly encrypted packets and streams
// are dropped, logged at most once per source and interval, and never stop the member.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { after, test } from 'node:test';
import pino from 'pino';
import {
  encryptPayload,
  ipToBytes,
  Keyring,
  lanConfig,
  lzwCompress,
  Memberlist,
  MemberlistCore,
  msgpack,
  WireCodec,
} from '../../../src/gossip/memberlist';
import {
  encodeAlive,
  encodeIndirectPing,
  encodePing,
  encodeSuspect,
  makeCompound,
} from '../../../src/gossip/memberlist/messages';
import { seededRandom } from '../../../src/gossip/memberlist/sim';
import { encodePushPull } from '../../../src/gossip/memberlist/wire';
import { capturingLogger, fastConfig, stateOf, waitFor } from './support';

const random = seededRandom(20261204);
const randomBytes = (n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** Valid messages of every kind, as seeds for truncation and mutation. */
function validMessages(): Uint8Array[] {
  const ip = ipToBytes('127.0.0.9');
  const vsn = Uint8Array.from([1, 5, 2, 2, 5, 4]);
  const alive = encodeAlive({ incarnation: 3, node: 'x', addr: ip, port: 7946, meta: null, vsn });
  const ping = encodePing({ seqNo: 1, node: '', sourceAddr: ip, sourcePort: 1, sourceNode: 'x' });
  const ind = encodeIndirectPing({
    seqNo: 2,
    target: ip,
    port: 1,
    node: 'y',
    nack: true,
    sourceAddr: null,
    sourcePort: 0,
    sourceNode: '',
  });
  const sus = encodeSuspect({ incarnation: 1, node: 'x', from: 'z' });
  const compound = makeCompound([alive, ping, sus]);
  const compressed = msgpack.encodeMessage(9, { Algo: 0, Buf: lzwCompress(compound) });
  return [alive, ping, ind, sus, compound, compressed];
}

function mutate(buf: Uint8Array): Uint8Array {
  const out = Uint8Array.from(buf);
  const flips = 1 + Math.floor(random() * 4);
  for (let i = 0; i < flips; i++)
    out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  return out;
}

function badPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const valid = validMessages();
  for (let i = 0; i < 300; i++) out.push(randomBytes(Math.floor(random() * 200)));
  for (const v of valid) {
    for (let cut = 0; cut < v.length; cut++) out.push(v.subarray(0, cut));
    for (let i = 0; i < 100; i++) out.push(mutate(v));
  }
  // A compound announcing 255 parts, a compress wrapper around garbage, an unknown algorithm.
  out.push(Uint8Array.from([7, 255, 0, 1]));
  out.push(msgpack.encodeMessage(9, { Algo: 0, Buf: randomBytes(64) }));
  out.push(msgpack.encodeMessage(9, { Algo: 3, Buf: randomBytes(8) }));
  // Deep nesting of compress wrappers.
  let nested = validMessages()[1];
  for (let i = 0; i < 10; i++)
    nested = msgpack.encodeMessage(9, { Algo: 0, Buf: lzwCompress(nested) });
  out.push(nested);
  return out;
}

test('the core survives thousands of bad packets and logs each source at most once', () => {
  const log = capturingLogger();
  const core = new MemberlistCore({
    config: { ...lanConfig(), name: 'target', logger: log.logger },
    random: seededRandom(1),
    now: 0,
    advertiseIp: ipToBytes('127.0.0.1'),
    advertisePort: 7946,
  });
  core.start(0);
  const packets = badPackets();
  for (const [i, p] of packets.entries()) {
    core.handlePacket(i, p, { ip: '10.9.9.9', port: 1, name: '' });
  }
  const badLines = log.lines.filter((l) => l.msg.includes('from=10.9.9.9'));
  assert.equal(badLines.length, 1, badLines.map((l) => l.msg).join('\n'));
  assert.equal(core.localNode().state, 'alive');
});

test('stream parsing never fails with anything but an error or a request for more bytes', () => {
  const keyed = new WireCodec({ ...lanConfig(), keyring: Keyring.create([], Buffer.alloc(16, 1)) });
  const plain = new WireCodec(lanConfig());
  const streams = [
    encodePushPull(
      true,
      [
        {
          name: 'x',
          addr: ipToBytes('10.0.0.1'),
          port: 1,
          meta: null,
          incarnation: 1,
          state: 0,
          vsn: Uint8Array.from([1, 5, 2, 2, 5, 4]),
        },
      ],
      Buffer.from('user'),
    ),
    ...validMessages(),
  ];
  const inputs: Uint8Array[] = [];
  for (const s of streams) {
    for (const codec of [keyed, plain]) {
      const wire = codec.encodeStream(s);
      for (let cut = 0; cut < wire.length; cut += 3) inputs.push(wire.subarray(0, cut));
      for (let i = 0; i < 50; i++) inputs.push(mutate(wire));
    }
  }
  for (let i = 0; i < 300; i++) inputs.push(randomBytes(Math.floor(random() * 300)));
  inputs.push(Uint8Array.from([10, 0xff, 0xff, 0xff, 0xff]));
  inputs.push(
    Uint8Array.from([6, 0x83, 0xa5, ...Buffer.from('Nodes'), 0xce, 0xff, 0xff, 0xff, 0xff]),
  );
  for (const input of inputs) {
    for (const codec of [keyed, plain]) {
      try {
        codec.parseStream(input);
      } catch (e) {
        assert.ok(
          e instanceof Error,
          `threw a non-error for ${Buffer.from(input).toString('hex')}`,
        );
      }
    }
  }
});

const started: Memberlist[] = [];
after(async () => {
  await Promise.all(started.map((m) => m.shutdown()));
});

test('a live member drops fuzzed UDP packets and TCP streams, logs once per source, stays up', async () => {
  const key = Buffer.alloc(16, 3);
  const log = capturingLogger();
  const target = await Memberlist.create(
    fastConfig('fz-target', {
      bindAddr: '127.0.0.40',
      keyring: Keyring.create([], key),
      logger: log.logger,
    }),
  );
  started.push(target);
  const friend = await Memberlist.create(
    fastConfig('fz-friend', { bindAddr: '127.0.0.42', keyring: Keyring.create([], key) }),
  );
  started.push(friend);
  await friend.join([`127.0.0.40:${target.boundPort}`]);

  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind({ address: '127.0.0.41', port: 0 }, resolve));
  const wrongKey = Buffer.alloc(16, 4);
  const packets = [
    ...badPackets(),
    ...validMessages().map((m) => encryptPayload(1, wrongKey, m, null)),
    ...validMessages().map((m) => encryptPayload(0, key, m, null).subarray(0, 20)),
    randomBytes(60_000),
  ];
  for (const p of packets) {
    await new Promise<void>((resolve) =>
      udp.send(p, target.boundPort, '127.0.0.40', () => resolve()),
    );
  }
  udp.close();

  const streams = [
    randomBytes(100),
    Uint8Array.from([10, 0, 0, 0, 200, ...randomBytes(200)]),
    Uint8Array.from([10, 0xff, 0xff, 0xff, 0xff]),
    new WireCodec({ ...lanConfig(), keyring: Keyring.create([], wrongKey) }).encodeStream(
      validMessages()[1],
    ),
    new WireCodec(lanConfig()).encodeStream(validMessages()[1]),
    Uint8Array.from([10, 0, 0]),
  ];
  for (const s of streams) {
    await new Promise<void>((resolve) => {
      const sock = createConnection({
        host: '127.0.0.40',
        port: target.boundPort,
        localAddress: '127.0.0.41',
      });
      sock.on('connect', () => sock.end(s));
      sock.on('data', () => undefined);
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
    });
  }

  // The member still works: the friend stays alive and a newcomer can join.
  const late = await Memberlist.create(
    fastConfig('fz-late', { bindAddr: '127.0.0.43', keyring: Keyring.create([], key) }),
  );
  started.push(late);
  await late.join([`127.0.0.40:${target.boundPort}`]);
  await waitFor('three members', () => target.numMembers() === 3);
  assert.equal(stateOf(target, 'fz-friend'), 'alive');
  const fromFuzzer = log.lines.filter((l) => l.msg.includes('from=127.0.0.41'));
  assert.equal(fromFuzzer.length, 1, fromFuzzer.map((l) => l.msg).join('\n'));
  assert.ok(pino.levels.values.warn <= fromFuzzer[0].level);
});
