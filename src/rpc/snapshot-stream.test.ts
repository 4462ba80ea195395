import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  encodeFrame,
  openSnapshotStream,
  RpcRemoteError,
  RpcServer,
  RpcType,
  serveSnapshotStreams,
  type SnapshotStreamHandler,
} from './index';
import { capturingLogger, closed, rawConnection, waitFor } from './test-support';

const servers: RpcServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function serve(handler: SnapshotStreamHandler): Promise<{
  server: RpcServer;
  messages: () => string[];
}> {
  const { logger, messages } = capturingLogger();
  const server = new RpcServer({ host: '127.0.0.1', port: 0, logger });
  serveSnapshotStreams(server, handler, { logger, maxHeaderBytes: 4096 });
  await server.listen();
  servers.push(server);
  return { server, messages };
}

/** `total` bytes of a deterministic pattern in 64 KiB chunks, counting what was pulled. */
function patternSource(total: number, pulled: { bytes: number }): Readable {
  const chunk = Buffer.alloc(64 * 1024, 7);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += chunk.length) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        pulled.bytes += piece.length;
        yield piece;
      }
    })(),
  );
}

async function digest(body: Readable): Promise<{ sha: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha: hash.digest('hex'), bytes };
}

describe('snapshot streams', () => {
  it('a restore streams its body to the server, which answers after reading it all', async () => {
    const { server } = await serve(async ({ header, body }) => {
      const { sha, bytes } = await digest(body);
      return { header: { op: (header as { op: string }).op, sha, bytes } };
    });
    const size = 8 * 1024 * 1024 + 5;
    const reply = await openSnapshotStream(
      server.address,
      { op: 'restore' },
      patternSource(size, { bytes: 0 }),
    );
    const expected = await digest(patternSource(size, { bytes: 0 }));
    assert.deepEqual(reply.header, { op: 'restore', ...expected });
    assert.equal((await digest(reply.body)).bytes, 0);
  });

  it('a save streams the reply body after the header', async () => {
    const size = 8 * 1024 * 1024 + 3;
    const { server } = await serve(async () => ({
      header: { index: 42 },
      body: patternSource(size, { bytes: 0 }),
    }));
    const reply = await openSnapshotStream(server.address, { op: 'save' }, null);
    assert.deepEqual(reply.header, { index: 42 });
    assert.deepEqual(await digest(reply.body), await digest(patternSource(size, { bytes: 0 })));
  });

  it("a handler's error reaches the client as a typed error", async () => {
    const { server } = await serve(async () => {
      const error = new Error('snapshot archive is corrupt: SHA256SUMS mismatch');
      error.name = 'SnapshotCorrupt';
      throw error;
    });
    await assert.rejects(
      openSnapshotStream(server.address, { op: 'restore' }, Readable.from([Buffer.from('x')])),
      (err: unknown) =>
        err instanceof RpcRemoteError &&
        err.remoteName === 'SnapshotCorrupt' &&
        /SHA256SUMS mismatch/.test(err.message),
    );
  });

  it('a slow reader of a save holds the server back instead of growing its buffers', async () => {
    const pulled = { bytes: 0 };
    const total = 512 * 1024 * 1024;
    const { server } = await serve(async () => ({
      header: {},
      body: patternSource(total, pulled),
    }));
    const reply = await openSnapshotStream(server.address, { op: 'save' }, null);
    reply.body.pause();
    // Wait until the server stops pulling (kernel socket buffers on loopback hold a few MiB);
    // without backpressure it would pull all 512 MiB.
    let seen = -1;
    let stableSince = Date.now();
    await waitFor(
      'the source to stop being pulled',
      () => {
        if (pulled.bytes !== seen) {
          seen = pulled.bytes;
          stableSince = Date.now();
        }
        return Date.now() - stableSince > 300;
      },
      30_000,
    );
    assert.ok(seen < 64 * 1024 * 1024, `${seen} bytes pulled while nobody read`);
    reply.body.destroy();
  });

  it('a header larger than the limit closes the connection with a log line', async () => {
    const { server, messages } = await serve(async () => ({ header: {} }));
    const big = encodeFrame({ padding: 'x'.repeat(10_000) });
    const socket = await rawConnection(
      server.port,
      Buffer.concat([Buffer.of(RpcType.Snapshot), big]),
    );
    await closed(socket);
    await waitFor('the log line', () =>
      messages().some((m) => /header frame of \d+ bytes exceeds the 4096-byte limit/.test(m)),
    );
  });
});
