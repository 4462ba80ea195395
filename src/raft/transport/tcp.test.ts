import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import pino, { type Logger } from 'pino';
import { decodePayload, encodeFrame, FrameDecoder, RpcServer, RpcType } from '../../rpc';
import type { AppendRequest, RaftMessage } from '../messages';
import { EntryType, type ServerInfo } from '../types';
import { TcpTransport, type TcpTransportOptions } from './tcp';

function capturingLogger(): { logger: Logger; messages: () => string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return {
    logger,
    messages: () => lines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg)),
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function listen(host = '127.0.0.1', port = 0): Promise<RpcServer> {
  const server = new RpcServer({ host, port, logger: pino({ level: 'silent' }) });
  await server.listen();
  cleanups.push(() => server.close());
  return server;
}

async function transportOn(
  server: RpcServer,
  options: Partial<TcpTransportOptions> = {},
): Promise<{ transport: TcpTransport; received: RaftMessage[] }> {
  const transport = new TcpTransport({ server, logger: pino({ level: 'silent' }), ...options });
  const received: RaftMessage[] = [];
  await transport.start((msg) => received.push(msg));
  cleanups.push(() => transport.close());
  return { transport, received };
}

function peer(server: RpcServer): ServerInfo {
  return { id: 'b', address: server.address, voter: true };
}

function append(first: number, count: number, bytes: number): AppendRequest {
  return {
    type: 'append',
    from: 'a',
    to: 'b',
    term: 1,
    prevIndex: first - 1,
    prevTerm: first === 1 ? 0 : 1,
    commit: 0,
    entries: Array.from({ length: count }, (_, i) => ({
      index: first + i,
      term: 1,
      type: EntryType.Command,
      data: new Uint8Array(bytes).fill(i % 251),
    })),
  };
}

/** Replaces Buffers (what msgpack decodes) by plain Uint8Arrays for comparison. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe('TcpTransport', () => {
  it('every message type crosses between two servers unchanged', async () => {
    const a = await listen('127.0.0.1');
    const b = await listen('127.0.0.2');
    const { transport } = await transportOn(a);
    const { received } = await transportOn(b);
    const envelope = { from: 'a', to: 'b', term: 7, fromAddress: a.address };
    const meta = {
      index: 90,
      term: 6,
      size: 3,
      membership: { servers: [{ id: 'a', address: a.address, voter: true }] },
    };
    const messages: RaftMessage[] = [
      { ...envelope, type: 'pre-vote', lastLogIndex: 5, lastLogTerm: 4 },
      { ...envelope, type: 'vote', lastLogIndex: 5, lastLogTerm: 4, transfer: true },
      { ...envelope, type: 'vote-response', granted: true },
      { ...envelope, type: 'pre-vote-response', granted: false },
      append(1, 3, 10),
      { ...envelope, type: 'append-response', success: false, index: 3, hintTerm: 2, hintIndex: 1 },
      { ...envelope, type: 'heartbeat', commit: 3, context: 11 },
      { ...envelope, type: 'heartbeat-response', context: 11 },
      { ...envelope, type: 'snapshot', meta, offset: 0, length: 3, data: Uint8Array.of(1, 2, 3) },
      { ...envelope, type: 'snapshot-response', snapshotIndex: 90, received: 3, done: true },
      { ...envelope, type: 'timeout-now' },
    ];
    for (const msg of messages) transport.send(peer(b), msg);
    await waitFor('all messages', () => received.length === messages.length);
    const byType = (list: RaftMessage[]) =>
      [...list].sort((x, y) => x.type.localeCompare(y.type)).map(plain);
    assert.deepEqual(byType(received), byType(messages));
  });

  it('a heartbeat reaches a peer whose append connection is stalled, and the stalled lane stays bounded', async () => {
    // A peer that stops reading any connection whose first message is an append.
    const target = await listen('127.0.0.3');
    const heard: RaftMessage[] = [];
    const stalled: Socket[] = [];
    target.handleProtocol(RpcType.Raft, (socket) => {
      const decoder = new FrameDecoder(64 * 1024 * 1024);
      socket.on('data', (chunk: Buffer) => {
        for (const payload of decoder.push(chunk)) {
          const msg = decodePayload(payload) as RaftMessage;
          if (msg.type === 'append') {
            socket.pause();
            stalled.push(socket);
            return;
          }
          heard.push(msg);
        }
      });
      socket.resume();
    });
    const source = await listen('127.0.0.1');
    const window = { frames: 64, bytes: 8 * 1024 * 1024 };
    const { transport } = await transportOn(source, { bulkWindow: window });
    for (let i = 0; i < 100; i++) transport.send(peer(target), append(1 + i * 4, 4, 256 * 1024));
    await waitFor('the append lane to stall', () => stalled.length === 1);
    transport.send(peer(target), {
      type: 'heartbeat',
      from: 'a',
      to: 'b',
      term: 1,
      commit: 0,
      context: 1,
    });
    await waitFor('the heartbeat', () => heard.some((m) => m.type === 'heartbeat'));
    const stats = transport.peerStats(target.address);
    assert.ok(stats !== undefined);
    assert.ok(stats.bulk.queuedBytes <= window.bytes, `bulk lane holds ${stats.bulk.queuedBytes}`);
    assert.ok(stats.bulk.dropped > 0, 'appends beyond the window were dropped');
    assert.equal(stats.control.dropped, 0);
  });

  it('an append larger than maxAppendBytes arrives as consecutive appends carrying every entry', async () => {
    const a = await listen('127.0.0.1');
    const b = await listen('127.0.0.4');
    const { transport } = await transportOn(a, { maxAppendBytes: 64 * 1024 });
    const { received } = await transportOn(b);
    transport.send(peer(b), append(1, 40, 10 * 1024));
    await waitFor(
      'every entry',
      () => received.flatMap((m) => (m.type === 'append' ? m.entries : [])).length === 40,
    );
    const appends = received as AppendRequest[];
    assert.ok(appends.length > 1);
    let expectedPrev = 0;
    for (const piece of appends) {
      assert.equal(piece.prevIndex, expectedPrev);
      expectedPrev = piece.entries[piece.entries.length - 1].index;
    }
  });

  it('an unreachable peer costs dropped messages and one log line, and delivery resumes when it comes up', async () => {
    const probe = await listen('127.0.0.5');
    const port = probe.port;
    await probe.close();
    const { logger, messages } = capturingLogger();
    const source = await listen('127.0.0.1');
    const { transport } = await transportOn(source, { logger, backoffMs: { min: 20, max: 100 } });
    const to: ServerInfo = { id: 'b', address: `127.0.0.5:${port}`, voter: true };
    const heartbeat: RaftMessage = {
      type: 'heartbeat',
      from: 'a',
      to: 'b',
      term: 1,
      commit: 0,
      context: 0,
    };
    for (let i = 0; i < 20; i++) {
      transport.send(to, heartbeat);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok((transport.peerStats(to.address)?.control.dropped ?? 0) > 0);
    assert.equal(
      messages().filter((m) => m.includes('unreachable')).length,
      1,
      messages().join('\n'),
    );

    const revived = await listen('127.0.0.5', port);
    const { received } = await transportOn(revived);
    await waitFor('delivery to the revived peer', () => {
      transport.send(to, heartbeat);
      return received.length > 0;
    });
    assert.ok(messages().some((m) => m.includes(`peer 127.0.0.5:${port} reachable again`)));
  });

  it('a malformed message closes that connection with the reason in the log', async () => {
    const { logger, messages } = capturingLogger();
    const b = await listen('127.0.0.6');
    const transport = new TcpTransport({ server: b, logger });
    const received: RaftMessage[] = [];
    await transport.start((msg) => received.push(msg));
    cleanups.push(() => transport.close());
    const socket = connect({ host: '127.0.0.6', port: b.port });
    socket.on('error', () => undefined);
    socket.write(Buffer.of(RpcType.Raft));
    socket.write(encodeFrame({ type: 'append', from: 'a', term: 1 }));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.ok(
      messages().some(
        (m) => m.includes('raft: closing connection') && m.includes('append.to is not a string'),
      ),
      messages().join('\n'),
    );
    assert.equal(received.length, 0);
  });
});
