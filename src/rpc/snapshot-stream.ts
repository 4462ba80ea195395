// The snapshot protocol (first byte RpcType.Snapshot): one request per connection, as Consul's
// snapshot RPC. The client sends a header frame, then the raw request body (a restore's archive)
// and half-closes; the server answers with a header frame, then the raw reply body (a save's
// archive) and closes. Bodies are streams end to end, so neither side holds a whole archive and
// a slow reader slows the writer down instead of growing a buffer.
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino, { type Logger } from 'pino';
import { parseAddress } from './address';
import {
  errorText,
  RpcConnectionError,
  RpcRemoteError,
  toWireError,
  type WireError,
} from './errors';
import { decodePayload, encodeFrame, FrameError, FRAME_HEADER_BYTES } from './frames';
import { RpcType } from './protocol';
import { parseWireError } from './wire';
import type { RpcServer } from './server';
import { dialServer, type RpcTls } from './tls';

export const SNAPSHOT_METHOD = 'Snapshot';
const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

export interface SnapshotStreamRequest {
  header: unknown;
  /** The request body; ends when the client half-closes. */
  body: Readable;
  remoteAddress: string;
}

export interface SnapshotStreamReply {
  header: unknown;
  body?: Readable;
}

/** `signal` aborts when the client goes away. */
export type SnapshotStreamHandler = (
  request: SnapshotStreamRequest,
  signal: AbortSignal,
) => Promise<SnapshotStreamReply>;

interface ReplyHeaderFrame {
  header?: unknown;
  error?: WireError;
}

/**
 * Reads exactly one frame from `socket`, leaving whatever follows it unread in the socket.
 * Rejects on a frame larger than `maxBytes`, on end of stream and on `signal`.
 */
export function readOneFrame(socket: Socket, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let length = -1;
    const done = (error: Error | null, frame?: Buffer): void => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (error !== null) reject(error);
      else resolve(frame as Buffer);
    };
    const onReadable = (): void => {
      if (length < 0) {
        const head = socket.read(FRAME_HEADER_BYTES) as Buffer | null;
        if (head === null) return;
        length = head.readUInt32BE(0);
        if (length > maxBytes) {
          done(
            new FrameError(`header frame of ${length} bytes exceeds the ${maxBytes}-byte limit`),
          );
          return;
        }
      }
      const payload = length === 0 ? Buffer.alloc(0) : (socket.read(length) as Buffer | null);
      if (payload === null) return;
      if (payload.length < length) {
        done(new FrameError('stream ended inside the header frame'));
        return;
      }
      done(null, payload);
    };
    const onEnd = (): void => done(new FrameError('stream ended before the header frame'));
    const onError = (err: Error): void => done(err);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    onReadable(); // what is buffered already raises no new 'readable'
  });
}

export interface SnapshotServeOptions {
  logger?: Logger;
  maxHeaderBytes?: number;
}

/** Serves snapshot streams on `server` with `handler`; returns the unregister function. */
export function serveSnapshotStreams(
  server: RpcServer,
  handler: SnapshotStreamHandler,
  options: SnapshotServeOptions = {},
): () => void {
  const logger = options.logger ?? pino({ name: 'rpc-snapshot' });
  return server.handleProtocol(RpcType.Snapshot, (socket) => {
    // The request body ends with the client's half-close; our reply still has to go out.
    socket.allowHalfOpen = true;
    const remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    const controller = new AbortController();
    socket.once('close', () => controller.abort(new Error(`${remoteAddress} went away`)));
    void serveOne(socket, remoteAddress, handler, controller.signal, {
      maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    }).catch((err: unknown) => {
      logger.warn(
        { remote: remoteAddress, err },
        `rpc: snapshot stream from ${remoteAddress} failed: ${errorText(err)}`,
      );
      socket.destroy();
    });
  });
}

async function serveOne(
  socket: Socket,
  remoteAddress: string,
  handler: SnapshotStreamHandler,
  signal: AbortSignal,
  options: { maxHeaderBytes: number },
): Promise<void> {
  const header = decodePayload(await readOneFrame(socket, options.maxHeaderBytes));
  // The handler gets its own stream of the body: consuming it (for await) destroys it, and that
  // must not destroy the socket our reply goes out on.
  const body = new PassThrough();
  socket.pipe(body);
  let reply: SnapshotStreamReply;
  try {
    reply = await handler({ header, body, remoteAddress }, signal);
  } catch (err) {
    socket.end(encodeFrame({ error: toWireError(err) } satisfies ReplyHeaderFrame));
    return;
  }
  socket.write(encodeFrame({ header: reply.header } satisfies ReplyHeaderFrame));
  if (reply.body === undefined) socket.end();
  else await pipeline(reply.body, socket);
}

export interface SnapshotStreamOptions {
  signal?: AbortSignal;
  /** Dial through TLS when it says so (verify_outgoing). */
  tls?: RpcTls;
  connectTimeoutMs?: number;
  maxHeaderBytes?: number;
}

export interface SnapshotStreamResponse {
  header: unknown;
  /** The reply body; ends when the server closes. */
  body: Readable;
}

/**
 * Opens one snapshot stream to `address`: sends `header` and `body` (then half-closes) and
 * resolves with the server's header once it arrives; the reply body follows as a stream.
 */
export async function openSnapshotStream(
  address: string,
  header: unknown,
  body: Readable | null,
  options: SnapshotStreamOptions = {},
): Promise<SnapshotStreamResponse> {
  const target = parseAddress(address);
  const { socket, ready } = dialServer(target, RpcType.Snapshot, options.tls, {
    allowHalfOpen: true,
  });
  const fail = (reason: string, cause?: unknown): RpcConnectionError =>
    new RpcConnectionError(address, reason, { cause });
  const onAbort = (): void => {
    socket.destroy(options.signal?.reason instanceof Error ? options.signal.reason : undefined);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    options.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.connectTimeoutMs ?? 10_000;
      socket.setTimeout(timeoutMs, () => reject(fail(`connect timed out after ${timeoutMs} ms`)));
      socket.once(ready, () => {
        socket.setTimeout(0);
        resolve();
      });
      socket.once('error', (err) => reject(fail(errorText(err), err)));
    });
    socket.write(encodeFrame(header));
    // The request body streams while we wait for the answer (a restore's reply comes after it).
    if (body === null) socket.end();
    const sent =
      body === null
        ? Promise.resolve()
        : pipeline(body, socket, { end: true }).catch((err: unknown) => {
            socket.destroy();
            throw fail(`sending the request body failed: ${errorText(err)}`, err);
          });
    sent.catch(() => undefined);
    let frame: Buffer;
    try {
      frame = await readOneFrame(socket, options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      await sent; // a body that failed explains the loss better than the closed socket
      throw fail(`no reply header: ${errorText(err)}`, err);
    }
    const reply = decodePayload(frame);
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
      throw fail('reply header is not a map');
    }
    const { error, header: replyHeader } = reply as Record<string, unknown>;
    if (error !== undefined && error !== null) {
      throw new RpcRemoteError(address, SNAPSHOT_METHOD, parseWireError(error));
    }
    socket.once('close', () => options.signal?.removeEventListener('abort', onAbort));
    return { header: replyHeader, body: socket };
  } catch (err) {
    socket.destroy();
    options.signal?.removeEventListener('abort', onAbort);
    throw err;
  }
}
