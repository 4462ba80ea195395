// DNS over TCP under Consul's (miekg/dns) deadlines: a message must arrive whole in time however
// the bytes trickle in, the next one within the idle time after an answer, and a connection
// serves at most 128 queries.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import pino from 'pino';

import { DnsHandler, DnsServer, framed } from '../../src/dns';
import { eventually, sleep } from '../http/harness';
import { queryPacket, startDnsAgent, type DnsTestAgent } from './support';

interface TcpClient {
  socket: Socket;
  /** Complete framed answers received so far. */
  answers(): number;
  closed(): boolean;
}

async function openTcp(port: number): Promise<TcpClient> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffered = Buffer.alloc(0);
  let answers = 0;
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      answers++;
    }
  });
  return { socket, answers: () => answers, closed: () => closed };
}

/** Writes `bytes` one at a time every `everyMs` until done or the socket closes. */
function trickle(client: TcpClient, bytes: Buffer, everyMs: number): () => void {
  let at = 0;
  const timer = setInterval(() => {
    if (client.closed() || at >= bytes.length) return;
    client.socket.write(bytes.subarray(at, ++at));
  }, everyMs);
  return () => clearInterval(timer);
}

describe('DNS over TCP on the agent (Consul deadlines)', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await startDnsAgent();
  });
  after(async () => {
    await t.stop();
  });

  it('closes a connection whose first query trickles in past 2 s', async () => {
    const client = await openTcp(t.dnsPort);
    const started = Date.now();
    // ~30 bytes at one per 250 ms would take ~8 s: each byte alone keeps the socket busy.
    const stop = trickle(client, framed(queryPacket('consul', 'SOA')), 250);
    try {
      await eventually(() => client.closed(), 'the server to close the connection', 10_000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1900, `closed after ${elapsed} ms, before the 2 s deadline`);
      assert.ok(elapsed < 6000, `closed only after ${elapsed} ms`);
      assert.equal(client.answers(), 0);
    } finally {
      stop();
      client.socket.destroy();
    }
  });

  it('closes a connection after 128 queries, answering each of them', async () => {
    const client = await openTcp(t.dnsPort);
    try {
      const query = framed(queryPacket('consul', 'SOA'));
      client.socket.write(Buffer.concat(Array.from({ length: 130 }, () => query)));
      await eventually(() => client.closed(), 'the server to close the connection', 10_000);
      assert.equal(client.answers(), 128);
    } finally {
      client.socket.destroy();
    }
  });
});

describe('DnsServer TCP deadlines', () => {
  const limits = { readTimeoutMs: 2000, idleTimeoutMs: 1500, maxQueries: 128 };
  let t: DnsTestAgent;
  let server: DnsServer;
  let port: number;
  before(async () => {
    t = await startDnsAgent();
    const logger = pino({ level: 'silent' });
    server = new DnsServer(new DnsHandler(t.agent, logger), ['127.0.0.1'], 0, logger, limits);
    const [address] = await server.listen();
    port = Number(address.slice(address.lastIndexOf(':') + 1));
  });
  after(async () => {
    await server.close();
    await t.stop();
  });

  it('gives the next message the idle time after an answer, however it trickles', async () => {
    const client = await openTcp(port);
    const query = framed(queryPacket('consul', 'SOA'));
    try {
      client.socket.write(query);
      await eventually(() => client.answers() === 1, 'the first answer');
      const answeredAt = Date.now();
      const stop = trickle(client, query, 100);
      try {
        await eventually(() => client.closed(), 'the server to close the connection', 10_000);
      } finally {
        stop();
      }
      const elapsed = Date.now() - answeredAt;
      assert.ok(elapsed >= limits.idleTimeoutMs - 100, `closed after ${elapsed} ms`);
      assert.equal(client.answers(), 1);
    } finally {
      client.socket.destroy();
    }
  });

  it('keeps a connection whose queries each arrive within the idle time', async () => {
    const client = await openTcp(port);
    const query = framed(queryPacket('consul', 'SOA'));
    try {
      for (let i = 1; i <= 4; i++) {
        await sleep(limits.idleTimeoutMs / 4);
        client.socket.write(query);
        await eventually(() => client.answers() === i, `answer ${i}`);
      }
      assert.equal(client.closed(), false);
    } finally {
      client.socket.destroy();
    }
  });
});
