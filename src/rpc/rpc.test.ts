import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  CallCancelledError,
  CallDeadlineError,
  ConnPool,
  defineMethod,
  encodeFrame,
  RpcConnectionError,
  RpcRemoteError,
  RpcServer,
  RpcTimeoutError,
  RpcType,
  type RpcServerOptions,
} from './index';
import { capturingLogger, closed, rawConnection, waitFor } from './test-support';

function asNumber(raw: unknown): number {
  if (typeof raw !== 'number') throw new TypeError(`expected a number, got ${typeof raw}`);
  return raw;
}

function asString(raw: unknown): string {
  if (typeof raw !== 'string') throw new TypeError(`expected a string, got ${typeof raw}`);
  return raw;
}

function asBytes(raw: unknown): Uint8Array {
  if (!(raw instanceof Uint8Array)) throw new TypeError('expected bytes');
  return raw;
}

const Echo = defineMethod('Test.Echo', asNumber, asNumber);
const Wait = defineMethod('Test.Wait', asString, asString);
const Blob = defineMethod('Test.Blob', asNumber, asBytes);
const Fail = defineMethod('Test.Fail', asString, asString);

class NotLeaderError extends Error {
  constructor(
    readonly leaderId: string | null,
    readonly leaderAddress: string | null,
  ) {
    super(`not the leader (leader is ${leaderId})`);
    this.name = 'NotLeaderError';
  }
}

const servers: RpcServer[] = [];
const pools: ConnPool[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const pool of pools) pool.close();
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await server.close();
});

async function startServer(options: RpcServerOptions = {}): Promise<{
  server: RpcServer;
  messages: () => string[];
}> {
  const { logger, messages } = capturingLogger();
  const server = new RpcServer({ host: '127.0.0.1', port: 0, logger, ...options });
  server.methods.register(Echo, async (n) => {
    await new Promise((resolve) => setTimeout(resolve, n % 7));
    return n * 2;
  });
  server.methods.register(Fail, (leader) => {
    throw new NotLeaderError(leader, `${leader}:8300`);
  });
  await server.listen();
  servers.push(server);
  return { server, messages };
}

function newPool(options: ConstructorParameters<typeof ConnPool>[0] = {}): ConnPool {
  const pool = new ConnPool({ logger: capturingLogger().logger, ...options });
  pools.push(pool);
  return pool;
}

describe('rpc server and pool', () => {
  it('many concurrent calls share one connection and each gets its own answer', async () => {
    const { server } = await startServer();
    const pool = newPool();
    const inputs = Array.from({ length: 500 }, (_, i) => i);
    const results = await Promise.all(inputs.map((n) => pool.call(server.address, Echo, n)));
    assert.deepEqual(
      results,
      inputs.map((n) => n * 2),
    );
    assert.equal(server.stats().callConnections, 1);
    assert.equal(pool.stats().connections, 1);
  });

  it('cancelling a call aborts its handler on the server', async () => {
    const { server } = await startServer();
    let started = false;
    const aborted = new Promise<unknown>((resolve) => {
      server.methods.register(Wait, (_args, signal) => {
        started = true;
        return new Promise<string>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            resolve(signal.reason);
            reject(signal.reason);
          });
        });
      });
    });
    const pool = newPool();
    const controller = new AbortController();
    const call = pool.call(server.address, Wait, 'x', { signal: controller.signal });
    await waitFor('the handler to start', () => started);
    controller.abort(new Error('caller lost interest'));
    await assert.rejects(call, /caller lost interest/);
    assert.ok((await aborted) instanceof CallCancelledError);
  });

  it('a cancel reaches the server while every call slot of the connection is taken', async () => {
    const { server } = await startServer({ maxInflightPerConnection: 4 });
    const aborted: string[] = [];
    const started: string[] = [];
    server.methods.register(Wait, (name, signal) => {
      started.push(name);
      return new Promise<string>((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          aborted.push(name);
          reject(signal.reason);
        }),
      );
    });
    const pool = newPool();
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const calls = controllers.map((c, i) =>
      pool.call(server.address, Wait, `call-${i}`, { signal: c.signal }).catch(() => 'aborted'),
    );
    await waitFor('four calls to run', () => started.length === 4);
    controllers[1].abort(new Error('stop'));
    await waitFor('call-1 to be abandoned on the server', () => aborted.includes('call-1'));
    await waitFor('call-4 to start in the freed slot', () => started.includes('call-4'));
    assert.ok(!started.includes('call-5'), 'only one slot was freed');
    for (const c of controllers) c.abort(new Error('stop'));
    assert.deepEqual(await Promise.all(calls), Array(6).fill('aborted'));
  });

  it('a call past its deadline fails naming the address and method, and its handler is aborted', async () => {
    const { server } = await startServer();
    const reasons: unknown[] = [];
    server.methods.register(
      Wait,
      (_args, signal) =>
        new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(signal.reason);
          }),
        ),
    );
    const pool = newPool();
    const error = await pool.call(server.address, Wait, 'x', { timeoutMs: 100 }).then(
      () => assert.fail('the call should time out'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof RpcTimeoutError);
    assert.equal(error.address, server.address);
    assert.match(
      error.message,
      new RegExp(`Test.Wait to ${server.address} timed out after 100 ms`),
    );
    await waitFor('the handler to be aborted', () => reasons.length === 1);
    assert.ok(
      reasons[0] instanceof CallDeadlineError || reasons[0] instanceof CallCancelledError,
      String(reasons[0]),
    );
  });

  it("a handler's error reaches the caller with its name, message and fields", async () => {
    const { server } = await startServer();
    const pool = newPool();
    const error = await pool.call(server.address, Fail, 'n2').catch((err: unknown) => err);
    assert.ok(error instanceof RpcRemoteError);
    assert.equal(error.remoteName, 'NotLeaderError');
    assert.equal(error.message, 'not the leader (leader is n2)');
    assert.deepEqual(error.data, { leaderId: 'n2', leaderAddress: 'n2:8300' });
    assert.equal(error.method, 'Test.Fail');
  });

  it('an unknown method and arguments that fail the check are refused with the reason', async () => {
    const { server } = await startServer();
    const pool = newPool();
    const Missing = defineMethod('Test.Missing', asNumber, asNumber);
    await assert.rejects(
      pool.call(server.address, Missing, 1),
      (err: unknown) =>
        err instanceof RpcRemoteError &&
        err.remoteName === 'UnknownMethodError' &&
        err.message === "rpc: can't find method Test.Missing",
    );
    const Loose = defineMethod('Test.Echo', (raw: unknown) => raw, asNumber);
    await assert.rejects(
      pool.call(server.address, Loose, 'seven'),
      (err: unknown) =>
        err instanceof RpcRemoteError &&
        err.remoteName === 'TypeError' &&
        err.message === 'expected a number, got string',
    );
  });

  it('calls in flight fail naming the address when the server goes away, and the next call reconnects', async () => {
    const { logger } = capturingLogger();
    const first = new RpcServer({ host: '127.0.0.1', port: 0, logger });
    first.methods.register(Wait, () => new Promise<string>(() => undefined));
    await first.listen();
    const address = first.address;
    const port = first.port;
    const pool = newPool();
    const stuck = pool.call(address, Wait, 'x');
    await waitFor('the call to reach the server', () => first.stats().callConnections === 1);
    await first.close();
    await assert.rejects(
      stuck,
      (err: unknown) => err instanceof RpcConnectionError && err.address === address,
    );
    const second = new RpcServer({ host: '127.0.0.1', port, logger });
    second.methods.register(Wait, (text) => `again ${text}`);
    await second.listen();
    servers.push(second);
    assert.equal(await pool.call(address, Wait, 'x'), 'again x');
  });

  it('a call to an address nobody listens on fails naming the address and the reason', async () => {
    const { server } = await startServer();
    const port = server.port;
    await server.close();
    const pool = newPool();
    await assert.rejects(
      pool.call(`127.0.0.1:${port}`, Echo, 1),
      (err: unknown) =>
        err instanceof RpcConnectionError &&
        err.address === `127.0.0.1:${port}` &&
        /ECONNREFUSED/.test(err.message),
    );
  });

  it('an oversized frame closes that connection with a log line while other clients are served', async () => {
    const { server, messages } = await startServer({ maxFrameBytes: 1024 });
    const header = Buffer.alloc(5);
    header[0] = RpcType.Consul;
    header.writeUInt32BE(1 << 30, 1);
    const hostile = await rawConnection(server.port, header);
    sockets.push(hostile);
    await closed(hostile);
    assert.ok(
      messages().some((m) => /frame of 1073741824 bytes exceeds the 1024-byte limit/.test(m)),
      messages().join('\n'),
    );
    assert.equal(await newPool().call(server.address, Echo, 21), 42);
  });

  it('garbage after the protocol byte closes that connection while other clients are served', async () => {
    const { server, messages } = await startServer();
    const pool = newPool();
    assert.equal(await pool.call(server.address, Echo, 1), 2);
    const garbage = Buffer.concat([
      Buffer.of(RpcType.Consul),
      Buffer.from([0, 0, 0, 3, 0xc1, 0xff, 0x00]),
    ]);
    const hostile = await rawConnection(server.port, garbage);
    sockets.push(hostile);
    await closed(hostile);
    assert.ok(messages().some((m) => m.startsWith('rpc: closing connection from 127.0.0.1')));
    const notAFrame = encodeFrame({ kind: 'call', id: -1, method: 'Test.Echo', args: 1 });
    const second = await rawConnection(server.port, Buffer.concat([Buffer.of(0), notAFrame]));
    sockets.push(second);
    await closed(second);
    assert.equal(await pool.call(server.address, Echo, 2), 4, 'the first connection still works');
  });

  it('an unknown or unsupported protocol byte is logged once per source and closed', async () => {
    const { server, messages } = await startServer();
    for (let i = 0; i < 3; i++) {
      const socket = await rawConnection(server.port, Buffer.of(0x42));
      sockets.push(socket);
      await closed(socket);
    }
    const yamux = await rawConnection(server.port, Buffer.of(RpcType.MultiplexV2));
    sockets.push(yamux);
    await closed(yamux);
    const lines = messages();
    assert.equal(lines.filter((m) => m.includes('unrecognized RPC byte 66')).length, 1);
    assert.equal(
      lines.filter((m) => m.includes('RPCMultiplexV2 (byte 4) from 127.0.0.1 is not supported'))
        .length,
      1,
    );
  });

  it('a connection that sends no protocol byte is closed after the handshake timeout', async () => {
    const { server } = await startServer({ handshakeTimeoutMs: 100 });
    const silent = await rawConnection(server.port, new Uint8Array(0));
    sockets.push(silent);
    const started = Date.now();
    await closed(silent);
    assert.ok(Date.now() - started < 5000);
  });

  it('a client that does not read its replies stops being read, so the server buffer stays bounded', async () => {
    const { server } = await startServer({ maxInflightPerConnection: 8 });
    let served = 0;
    server.methods.register(Blob, (size) => {
      served++;
      return new Uint8Array(size);
    });
    const replyBytes = 256 * 1024;
    const calls = 2000;
    const frames = Array.from({ length: calls }, (_, id) =>
      encodeFrame({ kind: 'call', id, method: 'Test.Blob', args: replyBytes }),
    );
    const slow = await rawConnection(
      server.port,
      Buffer.concat([Buffer.of(RpcType.Consul), ...frames]),
    );
    sockets.push(slow);
    slow.pause(); // never reads
    await waitFor('the server to stop reading', () => server.stats().pausedCallConnections === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { bufferedReplyBytes } = server.stats();
    assert.ok(served < calls, `served ${served} of ${calls} though nobody read the replies`);
    assert.ok(
      bufferedReplyBytes <= 10 * (replyBytes + 64),
      `the server buffered ${bufferedReplyBytes} bytes`,
    );
    // Once the client reads, every call is answered.
    let received = 0;
    slow.on('data', (chunk: Buffer) => (received += chunk.length));
    slow.resume();
    await waitFor('every reply', () => served === calls && received >= calls * replyBytes, 60_000);
  });

  it('calls queue boundedly while the server does not read, and their deadlines still hold', async () => {
    const accepted: Socket[] = [];
    const deaf: Server = createServer((socket) => {
      socket.pause();
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', resolve));
    const { port } = deaf.address() as { port: number };
    const pool = newPool({ maxQueuedCalls: 50 });
    const Push = defineMethod('Test.Push', asBytes, asNumber);
    const payload = new Uint8Array(1024 * 1024);
    const outcomes = Array.from({ length: 100 }, () =>
      pool.call(`127.0.0.1:${port}`, Push, payload, { timeoutMs: 1500 }).then(
        () => 'ok',
        (err: unknown) => (err as Error).name,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const buffered = pool.stats().bufferedBytes;
    // Node's socket buffer takes one frame past its high-water mark; the rest wait as calls.
    assert.ok(buffered <= 52 * (1024 * 1024 + 64), `pool buffered ${buffered} bytes`);
    const names = await Promise.all(outcomes);
    assert.ok(names.includes('RpcTimeoutError'));
    assert.ok(names.includes('RpcConnectionError'), 'calls beyond the queue bound are refused');
    assert.ok(!names.includes('ok'));
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => deaf.close(resolve));
  });

  it('an idle connection is closed and the next call dials again', async () => {
    const { server } = await startServer();
    const pool = newPool({ idleTimeoutMs: 100 });
    assert.equal(await pool.call(server.address, Echo, 1), 2);
    assert.equal(pool.stats().connections, 1);
    await waitFor('the idle close', () => pool.stats().connections === 0);
    await waitFor('the server to see it', () => server.stats().callConnections === 0);
    assert.equal(await pool.call(server.address, Echo, 2), 4);
  });
});
