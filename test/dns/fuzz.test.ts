// Hostile input: 100,000 random, mutated and crafted packets over UDP (and some over TCP) in
// bounded time; malformed queries get FORMERR or nothing, the server keeps answering, and the
// process (the agent runs in it) never crashes.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { seededRandom } from '../../src/raft';

import {
  ask,
  decodeReply,
  instance,
  queryPacket,
  startDnsAgent,
  udpExchange,
  type DnsTestAgent,
} from './support';

const TOTAL = 100_000;
const TCP_PACKETS = 3_000;
/** Small enough for the server's socket buffer to hold a batch and the liveness query after it. */
const BATCH = 100;
const SEED = Number(process.env.DNS_FUZZ_SEED ?? Date.now() % 0xffffffff);

const NAMES = [
  'web.service.consul',
  '_web._tcp.service.consul',
  'v1.web.service.dc1.consul',
  'fz1.node.consul',
  '0a000001.addr.consul',
  'consul',
  '1.0.0.10.in-addr.arpa',
  'example.com',
];
const TYPES = ['A', 'AAAA', 'SRV', 'TXT', 'ANY', 'PTR', 'SOA', 'NS', 'MX', 'AXFR'];

/** Header with the given flags and counts, followed by `body`. */
function rawPacket(
  flags: number,
  counts: [number, number, number, number],
  body: number[],
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(flags, 2);
  counts.forEach((count, i) => header.writeUInt16BE(count, 4 + i * 2));
  return Buffer.concat([header, Buffer.from(body)]);
}

const POINTER_LOOP = rawPacket(0x0100, [1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1]);
const FORWARD_POINTER = rawPacket(0x0100, [1, 0, 0, 0], [0xc0, 40, 0, 1, 0, 1]);
const HUGE_COUNTS = rawPacket(
  0x0100,
  [65535, 65535, 65535, 65535],
  [3, 119, 101, 98, 0, 0, 1, 0, 1],
);
const LONG_NAME = rawPacket(
  0x0100,
  [1, 0, 0, 0],
  [
    ...Array.from({ length: 6 }, () => [63, ...new Array<number>(63).fill(97)]).flat(),
    0,
    0,
    1,
    0,
    1,
  ],
);

function crafted(random: () => number): Buffer {
  const query = queryPacket(NAMES[Math.floor(random() * NAMES.length)], 'A');
  switch (Math.floor(random() * 9)) {
    case 0:
      return POINTER_LOOP;
    case 1:
      return FORWARD_POINTER;
    case 2:
      return HUGE_COUNTS;
    case 3:
      return LONG_NAME;
    case 4: {
      const response = Buffer.from(query);
      response[2] |= 0x80; // QR=1
      return response;
    }
    case 5: {
      const none = Buffer.from(query.subarray(0, 12));
      none.writeUInt16BE(0, 4); // zero questions
      return none;
    }
    case 6: {
      const two = Buffer.concat([query, query.subarray(12)]);
      two.writeUInt16BE(2, 4);
      return two;
    }
    case 7: {
      const opcode = Buffer.from(query);
      opcode[2] = (opcode[2] & 0x87) | (Math.floor(random() * 15 + 1) << 3);
      return opcode;
    }
    default: {
      // An OPT record whose option lengths lie.
      const opt = [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 8, 0, 8, 0, 40, 0, 99, 24, 0];
      const withOpt = Buffer.concat([query, Buffer.from(opt)]);
      withOpt.writeUInt16BE(1, 10);
      return withOpt;
    }
  }
}

function mutated(random: () => number): Buffer {
  const name = NAMES[Math.floor(random() * NAMES.length)];
  const type = TYPES[Math.floor(random() * TYPES.length)];
  const packet = Buffer.from(queryPacket(name, type, random() < 0.5 ? 4096 : undefined));
  const flips = 1 + Math.floor(random() * 4);
  for (let i = 0; i < flips; i++)
    packet[Math.floor(random() * packet.length)] = Math.floor(random() * 256);
  const cut = random();
  if (cut < 0.2) return packet.subarray(0, Math.floor(random() * packet.length));
  if (cut < 0.3) return Buffer.concat([packet, randomBytes(random, 1 + Math.floor(random() * 40))]);
  return packet;
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function packetAt(random: () => number): Buffer {
  const kind = random();
  if (kind < 0.3) return randomBytes(random, Math.floor(random() * 520));
  if (kind < 0.8) return mutated(random);
  return crafted(random);
}

function sendAll(socket: UdpSocket, port: number, packets: Buffer[]): Promise<void> {
  let left = packets.length;
  return new Promise((resolve) => {
    for (const packet of packets) {
      socket.send(packet, port, '127.0.0.1', () => {
        if (--left === 0) resolve();
      });
    }
  });
}

/** Writes `frames` (already length-prefixed, possibly lying) on one connection, then closes. */
function tcpBarrage(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      socket.end(Buffer.concat(frames));
      setTimeout(() => socket.destroy(), 200);
    });
  });
}

let t: DnsTestAgent;

/** A real query after a batch; UDP may drop it under the flood, so it is asked up to 3 times. */
async function aliveQuery(): Promise<ReturnType<typeof decodeReply>> {
  const query = queryPacket('web.service.consul', 'A');
  for (let attempt = 0; attempt < 3; attempt++) {
    const reply = await udpExchange(t.dnsPort, query, 1000);
    if (reply !== null) return decodeReply(reply);
  }
  throw new Error('the server stopped answering');
}

before(async () => {
  t = await startDnsAgent();
  await t.register(instance('fz1', '10.0.0.1', { Service: 'web', Tags: ['v1'], Port: 80 }));
});

after(() => t.stop());

describe('malformed queries', () => {
  const expectRcode = async (packet: Buffer, rcode: string): Promise<void> => {
    const reply = await udpExchange(t.dnsPort, packet);
    assert.ok(reply !== null, 'no reply');
    assert.equal(decodeReply(reply).rcode, rcode);
  };

  test('a label pointer loop is FORMERR', () => expectRcode(POINTER_LOOP, 'FORMERR'));
  test('a forward label pointer is FORMERR', () => expectRcode(FORWARD_POINTER, 'FORMERR'));
  test('huge section counts are FORMERR', () => expectRcode(HUGE_COUNTS, 'FORMERR'));
  test('a name over 255 bytes is FORMERR', () => expectRcode(LONG_NAME, 'FORMERR'));

  test('zero or two questions are FORMERR', async () => {
    const query = queryPacket('web.service.consul', 'A');
    const none = Buffer.from(query.subarray(0, 12));
    none.writeUInt16BE(0, 4);
    await expectRcode(none, 'FORMERR');
    const two = Buffer.concat([query, query.subarray(12)]);
    two.writeUInt16BE(2, 4);
    await expectRcode(two, 'FORMERR');
  });

  test('an opcode other than QUERY is NOTIMP', async () => {
    const notify = Buffer.from(queryPacket('web.service.consul', 'A'));
    notify[2] |= 4 << 3;
    await expectRcode(notify, 'NOTIMP');
  });

  test('responses (QR=1) and runts get no reply at all', async () => {
    const response = Buffer.from(queryPacket('web.service.consul', 'A'));
    response[2] |= 0x80;
    assert.equal(await udpExchange(t.dnsPort, response, 300), null);
    assert.equal(await udpExchange(t.dnsPort, Buffer.from([1, 2, 3]), 300), null);
  });
});

describe('fuzzing', () => {
  test(`${TOTAL} hostile packets in bounded time, then normal service (seed ${SEED})`, async (ctx) => {
    const random = seededRandom(SEED);
    const started = Date.now();
    const socket = createSocket('udp4');
    let replies = 0;
    socket.on('message', () => replies++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    try {
      for (let sent = 0; sent < TOTAL - TCP_PACKETS; sent += BATCH) {
        const packets = Array.from({ length: Math.min(BATCH, TOTAL - TCP_PACKETS - sent) }, () =>
          packetAt(random),
        );
        await sendAll(socket, t.dnsPort, packets);
        // Each batch is followed by a real query that must be answered: the server keeps up.
        const alive = await aliveQuery();
        assert.deepEqual(
          alive.answers.map((a) => a.data),
          ['10.0.0.1'],
        );
      }
    } finally {
      socket.close();
    }
    const connections: Promise<void>[] = [];
    for (let sent = 0; sent < TCP_PACKETS; sent += 60) {
      const frames = Array.from({ length: 60 }, (_, i) => {
        const packet = packetAt(random);
        const length = Buffer.alloc(2);
        // Now and then a length that lies (longer than the frame, or zero).
        const lie = i === 59 ? Math.floor(random() * 3) : 0;
        length.writeUInt16BE(lie === 1 ? 0 : lie === 2 ? packet.length + 500 : packet.length);
        return Buffer.concat([length, packet]);
      });
      connections.push(tcpBarrage(t.dnsPort, frames));
    }
    await Promise.all(connections);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
    ctx.diagnostic(`${replies} replies to ${TOTAL - TCP_PACKETS} UDP packets in ${elapsed} ms`);
    // About half the packets are (mutated) queries worth an answer; most must have been read.
    assert.ok(replies > TOTAL / 5, `only ${replies} replies`);

    const udp = await ask(t.dnsPort, 'v1.web.service.consul', 'SRV');
    assert.equal(udp.rcode, 'NOERROR');
    assert.equal(udp.answers.length, 1);
    const tcp = await ask(t.dnsPort, 'fz1.node.consul', 'A', { tcp: true });
    assert.deepEqual(
      tcp.answers.map((a) => a.data),
      ['10.0.0.1'],
    );
  });
});
