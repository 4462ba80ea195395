// One outbound connection to a peer's server port carrying Raft frames. Sends never block and
// never throw: a frame is queued while the connection comes up or drains, and dropped when the
// queue is full or the peer is unreachable (Raft retries what matters). The queue is the
// lane's in-flight window: frames written but not yet taken by the kernel plus frames waiting.
import type { Socket } from 'node:net';
import { dialServer, errorText, parseAddress, RpcType, type RpcTls } from '../../rpc';

export interface LaneOptions {
  address: string;
  /** Bound on queued frames (waiting plus buffered in the socket). */
  maxFrames: number;
  maxBytes: number;
  connectTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** The lane could not connect or lost its connection (reason), or connected again (null). */
  onReachability(reason: string | null): void;
  /** Dial through TLS when it says so (verify_outgoing). */
  tls?: RpcTls;
}

export interface LaneStats {
  connected: boolean;
  queuedFrames: number;
  /** Waiting frames plus bytes Node holds for the socket. */
  queuedBytes: number;
  sent: number;
  dropped: number;
}

export class Lane {
  private socket: Socket | null = null;
  private connected = false;
  private readonly queue: Buffer[] = [];
  private queueBytes = 0;
  /** While unreachable: no dial (and every send dropped) before this time. */
  private retryAt = 0;
  private backoffMs: number;
  private failing = false;
  private closed = false;
  private sent = 0;
  private dropped = 0;

  constructor(private readonly options: LaneOptions) {
    this.backoffMs = options.backoffMinMs;
  }

  /** Queues `frame`; false when it was dropped. */
  send(frame: Buffer): boolean {
    if (this.closed || (this.socket === null && Date.now() < this.retryAt)) {
      this.dropped++;
      return false;
    }
    const buffered = this.socket?.writableLength ?? 0;
    if (
      this.queue.length >= this.options.maxFrames ||
      this.queueBytes + buffered + frame.length > this.options.maxBytes
    ) {
      this.dropped++;
      return false;
    }
    this.queue.push(frame);
    this.queueBytes += frame.length;
    if (this.socket === null) this.dial();
    else this.flush();
    return true;
  }

  stats(): LaneStats {
    return {
      connected: this.connected,
      queuedFrames: this.queue.length,
      queuedBytes: this.queueBytes + (this.socket?.writableLength ?? 0),
      sent: this.sent,
      dropped: this.dropped,
    };
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
    this.dropQueue();
  }

  private dial(): void {
    const target = parseAddress(this.options.address);
    const { socket, ready } = dialServer(target, RpcType.Raft, this.options.tls, {
      keepAliveMs: 10_000,
    });
    this.socket = socket;
    socket.setTimeout(this.options.connectTimeoutMs, () =>
      this.lost(socket, `connect timed out after ${this.options.connectTimeoutMs} ms`),
    );
    socket.once(ready, () => {
      socket.setTimeout(0);
      this.connected = true;
      this.backoffMs = this.options.backoffMinMs;
      if (this.failing) {
        this.failing = false;
        this.options.onReachability(null);
      }
      this.flush();
    });
    socket.on('drain', () => this.flush());
    socket.on('data', () => undefined); // the peer never answers on this connection
    socket.on('error', (err) => this.lost(socket, errorText(err)));
    socket.on('end', () => this.lost(socket, 'closed by the peer'));
    socket.on('close', () => this.lost(socket, 'connection closed'));
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null || !this.connected) return;
    if (this.queue.length > 1) socket.cork();
    while (this.queue.length > 0 && !socket.writableNeedDrain) {
      const frame = this.queue.shift() as Buffer;
      this.queueBytes -= frame.length;
      socket.write(frame);
      this.sent++;
    }
    if (socket.writableCorked > 0) socket.uncork();
  }

  /** The connection failed: drop what waits and refuse sends until the back-off passes. */
  private lost(socket: Socket, reason: string): void {
    if (this.socket !== socket) return;
    socket.destroy();
    this.socket = null;
    this.connected = false;
    this.dropQueue();
    if (this.closed) return;
    this.retryAt = Date.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.backoffMaxMs);
    if (!this.failing) {
      this.failing = true;
      this.options.onReachability(reason);
    }
  }

  private dropQueue(): void {
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.queueBytes = 0;
  }
}
