// The client side of one call connection to one server. Calls are multiplexed by id; replies
// resolve them in whatever order they come. Writes are bounded: while the socket has more than
// its high-water mark queued, further calls wait in order (each still bound by its deadline and
// signal) and at most `maxQueuedCalls` may wait.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from './address';
import { errorText, RpcConnectionError, RpcRemoteError, RpcTimeoutError } from './errors';
import { decodePayload, encodeFrame, FrameDecoder } from './frames';
import { RpcType } from './protocol';
import { dialServer, type RpcTls } from './tls';
import { parseReplyFrame, type ReplyFrame } from './wire';

export interface ConnectionOptions {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  maxQueuedCalls: number;
  logger: Logger;
  /** Dial through TLS when it says so (verify_outgoing). */
  tls?: RpcTls;
  /** The server's datacenter, for verify_server_hostname (default: this agent's). */
  datacenter?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Deadline for the answer; the server is told so and abandons the call when it passes. */
  timeoutMs?: number;
  /**
   * The datacenter of the server at that address (default: this agent's): with
   * verify_server_hostname its certificate must be for server.<datacenter>.<domain>.
   */
  datacenter?: string;
}

interface PendingCall {
  id: number;
  method: string;
  frame: Buffer | null; // null once written
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | null;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

export class ClientConnection {
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, PendingCall>();
  /** Calls waiting for the socket to drain, oldest first. */
  private readonly outbox: PendingCall[] = [];
  private nextId = 1;
  private connected = false;
  private closedReason: string | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly address: string,
    target: HostPort,
    private readonly options: ConnectionOptions,
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    const { socket, ready } = dialServer(target, RpcType.Consul, options.tls, {
      keepAliveMs: 30_000,
      datacenter: options.datacenter,
    });
    this.socket = socket;
    this.socket.setTimeout(options.connectTimeoutMs, () =>
      this.fail(`connect timed out after ${options.connectTimeoutMs} ms`),
    );
    this.socket.once(ready, () => {
      this.socket.setTimeout(0);
      this.connected = true;
      this.flush();
      if (this.pending.size === 0) this.armIdle();
    });
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('drain', () => this.flush());
    this.socket.on('error', (err) => this.fail(errorText(err)));
    this.socket.on('end', () => this.fail('closed by the server'));
    this.socket.on('close', () => this.fail('connection closed'));
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  get inflight(): number {
    return this.pending.size;
  }

  /** Bytes queued in user space: the socket's buffer plus calls waiting to be written. */
  get bufferedBytes(): number {
    let waiting = 0;
    for (const call of this.outbox) waiting += call.frame?.length ?? 0;
    return this.socket.writableLength + waiting;
  }

  call(method: string, args: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.closedReason !== null) {
      return Promise.reject(new RpcConnectionError(this.address, this.closedReason));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (this.outbox.length >= this.options.maxQueuedCalls) {
      return Promise.reject(
        new RpcConnectionError(
          this.address,
          `${this.outbox.length} calls already wait for the connection to drain`,
        ),
      );
    }
    const id = this.nextId++;
    let frame: Buffer;
    try {
      frame = encodeFrame({ kind: 'call', id, method, args, timeoutMs: options.timeoutMs });
    } catch (err) {
      return Promise.reject(
        new Error(`rpc ${method}: arguments cannot be encoded: ${errorText(err)}`),
      );
    }
    if (frame.length - 4 > this.options.maxFrameBytes) {
      return Promise.reject(
        new RangeError(
          `rpc ${method}: arguments of ${frame.length - 4} bytes exceed the ${this.options.maxFrameBytes}-byte frame limit`,
        ),
      );
    }
    this.clearIdle();
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        id,
        method,
        frame,
        resolve,
        reject,
        timer: null,
        signal: options.signal,
        onAbort: null,
      };
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        call.timer = setTimeout(
          () => this.abandon(call, new RpcTimeoutError(this.address, method, timeoutMs)),
          timeoutMs,
        );
      }
      if (options.signal !== undefined) {
        const signal = options.signal;
        call.onAbort = () => this.abandon(call, signal.reason);
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.pending.set(id, call);
      this.outbox.push(call);
      this.flush();
    });
  }

  close(reason = 'closed by this client'): void {
    this.fail(reason);
  }

  private flush(): void {
    if (!this.connected || this.closedReason !== null) return;
    if (this.outbox.length > 1) this.socket.cork();
    while (this.outbox.length > 0 && !this.socket.writableNeedDrain) {
      const call = this.outbox.shift() as PendingCall;
      const frame = call.frame as Buffer;
      call.frame = null;
      this.socket.write(frame);
    }
    if (this.socket.writableCorked > 0) this.socket.uncork();
  }

  private receive(chunk: Buffer): void {
    try {
      for (const payload of this.decoder.push(chunk)) {
        const reply: ReplyFrame = parseReplyFrame(decodePayload(payload));
        const call = this.pending.get(reply.id);
        if (call === undefined) continue; // we gave up on it (deadline or abort)
        this.settle(call);
        if (reply.error !== undefined)
          call.reject(new RpcRemoteError(this.address, call.method, reply.error));
        else call.resolve(reply.result);
      }
    } catch (err) {
      this.options.logger.warn(
        { address: this.address, err },
        `rpc: bad reply from ${this.address}`,
      );
      this.fail(`protocol error: ${errorText(err)}`);
    }
  }

  /** The caller stopped waiting: tell the server so that it abandons the handler. */
  private abandon(call: PendingCall, error: unknown): void {
    if (!this.pending.has(call.id)) return;
    const written = call.frame === null;
    this.settle(call);
    if (!written) {
      const at = this.outbox.indexOf(call);
      if (at >= 0) this.outbox.splice(at, 1);
    } else if (this.closedReason === null) {
      this.socket.write(encodeFrame({ kind: 'cancel', id: call.id }));
    }
    call.reject(error);
  }

  private settle(call: PendingCall): void {
    this.pending.delete(call.id);
    if (call.timer !== null) clearTimeout(call.timer);
    if (call.onAbort !== null) call.signal?.removeEventListener('abort', call.onAbort);
    if (this.pending.size === 0 && this.closedReason === null) this.armIdle();
  }

  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => this.fail('idle'), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private fail(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.clearIdle();
    this.socket.destroy();
    this.outbox.length = 0;
    for (const call of [...this.pending.values()]) {
      const mayHaveArrived = call.frame === null;
      this.settle(call);
      call.reject(new RpcConnectionError(this.address, reason, { mayHaveArrived }));
    }
    this.onClosed(this);
  }
}
