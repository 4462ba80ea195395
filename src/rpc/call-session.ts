// The server side of one call connection (first byte RpcType.Consul): decodes calls, runs their
// handlers concurrently and writes replies as they finish. Two bounds keep a client from making
// us buffer without limit: at most `maxInflight` handlers run per connection, and while the
// socket cannot take more reply bytes (the client reads slowly) we stop reading its calls.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { metrics } from '../telemetry';
import { toWireError, type WireError } from './errors';
import { decodePayload, encodeFrame, FrameDecoder, FrameError } from './frames';
import { UnknownMethodError, type MethodRegistry } from './methods';
import { parseClientFrame, type CallFrame, type ReplyFrame } from './wire';

export interface CallSessionOptions {
  maxFrameBytes: number;
  maxInflight: number;
  logger: Logger;
}

/** Why a handler's signal aborted: the caller cancelled (no reply is sent). */
export class CallCancelledError extends Error {
  override name = 'CallCancelledError';
}

export class CallDeadlineError extends Error {
  override name = 'CallDeadlineError';
}

interface Running {
  controller: AbortController;
  timer: ReturnType<typeof setTimeout> | null;
}

export class CallSession {
  private readonly decoder: FrameDecoder;
  private readonly running = new Map<number, Running>();
  /** Frames read but not yet started because a bound was reached. */
  private readonly backlog: CallFrame[] = [];
  private congested = false;
  private closed = false;
  private readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly methods: MethodRegistry,
    private readonly options: CallSessionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // A client that half-closes still gets the replies of the calls it sent.
    socket.allowHalfOpen = true;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      this.congested = false;
      this.drainBacklog();
    });
    socket.on('end', () => {
      // The client sent everything it will send; answer what runs, then finish.
      if (this.running.size === 0 && this.backlog.length === 0) socket.end();
    });
    socket.on('close', () => this.shutdown());
    socket.on('error', () => undefined); // 'close' follows; nothing left to answer
  }

  /** Bytes of replies written but not yet taken by the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  get paused(): boolean {
    return this.socket.isPaused();
  }

  private receive(chunk: Buffer): void {
    try {
      for (const payload of this.decoder.push(chunk)) {
        const frame = parseClientFrame(decodePayload(payload));
        if (frame.kind === 'cancel') this.cancel(frame.id);
        else this.backlog.push(frame);
      }
    } catch (err) {
      this.refuse(err);
      return;
    }
    this.drainBacklog();
  }

  /** Starts decoded calls while under the bounds; one chunk may carry thousands of them. */
  private drainBacklog(): void {
    while (this.backlog.length > 0 && !this.closed && !this.holding()) {
      const frame = this.backlog.shift() as CallFrame;
      if (this.running.has(frame.id)) {
        this.refuse(new FrameError(`call id ${frame.id} is already running`));
        return;
      }
      this.start(frame);
    }
    this.updateFlow();
  }

  /** Cancels are handled as they arrive, even while calls wait in the backlog. */
  private cancel(id: number): void {
    const waiting = this.backlog.findIndex((frame) => frame.id === id);
    if (waiting >= 0) {
      this.backlog.splice(waiting, 1);
      return;
    }
    const running = this.running.get(id);
    if (running === undefined) return; // already answered
    this.release(id, running);
    running.controller.abort(new CallCancelledError('cancelled by the caller'));
  }

  private start(frame: CallFrame): void {
    const controller = new AbortController();
    // At the deadline the handler is told to stop and the caller gets the error at once.
    const timer =
      frame.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            const error = new CallDeadlineError(`deadline of ${frame.timeoutMs} ms passed`);
            controller.abort(error);
            this.finish(frame, { kind: 'reply', id: frame.id, error: toWireError(error) });
          }, frame.timeoutMs);
    this.running.set(frame.id, { controller, timer });
    this.updateFlow();
    const meta = {
      method: frame.method,
      remoteAddress: this.remote,
      deadline: frame.timeoutMs === undefined ? null : Date.now() + frame.timeoutMs,
    };
    metrics.incrCounter('rpc.request', 1, { method: frame.method });
    this.methods.invoke(frame.method, frame.args, controller.signal, meta).then(
      (result) => this.finish(frame, { kind: 'reply', id: frame.id, result }),
      (err: unknown) => {
        metrics.incrCounter('rpc.request_error', 1, { method: frame.method });
        if (!(err instanceof UnknownMethodError) && !controller.signal.aborted) {
          this.options.logger.debug(
            { err, method: frame.method, remote: this.remote },
            'rpc handler failed',
          );
        }
        this.finish(frame, { kind: 'reply', id: frame.id, error: toWireError(err) });
      },
    );
  }

  private finish(frame: CallFrame, reply: ReplyFrame): void {
    const running = this.running.get(frame.id);
    if (running === undefined) return; // cancelled, timed out or disconnected: nobody waits
    this.release(frame.id, running);
    if (!this.closed) this.write(frame.method, reply);
    this.drainBacklog();
    if (this.socket.readableEnded && this.running.size === 0 && this.backlog.length === 0) {
      this.socket.end();
    }
  }

  /** Frees the call's slot (the handler may still be unwinding). */
  private release(id: number, running: Running): void {
    this.running.delete(id);
    if (running.timer !== null) clearTimeout(running.timer);
  }

  private write(method: string, reply: ReplyFrame): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(reply);
    } catch (err) {
      frame = encodeFrame(
        this.failure(reply.id, {
          name: 'RpcEncodeError',
          message: `rpc ${method}: reply cannot be encoded: ${String(err)}`,
        }),
      );
    }
    if (frame.length - 4 > this.options.maxFrameBytes) {
      frame = encodeFrame(
        this.failure(reply.id, {
          name: 'RpcReplyTooLarge',
          message: `rpc ${method}: reply of ${frame.length - 4} bytes exceeds the ${this.options.maxFrameBytes}-byte frame limit`,
        }),
      );
    }
    if (!this.socket.write(frame)) this.congested = true;
  }

  private failure(id: number, error: WireError): ReplyFrame {
    return { kind: 'reply', id, error };
  }

  private holding(): boolean {
    return this.congested || this.running.size >= this.options.maxInflight;
  }

  /**
   * Reads only while the client takes our replies and at most maxInflight calls wait to start.
   * Reading on while calls wait lets a cancel through when every slot holds a blocking query.
   */
  private updateFlow(): void {
    if (this.closed) return;
    const hold = this.congested || this.backlog.length >= this.options.maxInflight;
    if (hold && !this.socket.isPaused()) this.socket.pause();
    else if (!hold && this.socket.isPaused()) this.socket.resume();
  }

  private refuse(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.options.logger.warn(
      { remote: this.remote, reason },
      `rpc: closing connection from ${this.remote}: ${reason}`,
    );
    this.socket.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const running of this.running.values()) {
      if (running.timer !== null) clearTimeout(running.timer);
      running.controller.abort(new CallCancelledError('the caller disconnected'));
    }
    this.running.clear();
    this.backlog.length = 0;
  }
}
