// Raft between servers over the server port: a connection that opens with RpcType.Raft carries
// one-way msgpack frames, each a RaftMessage. Every peer gets two outbound connections, as
// hashicorp/raft keeps heartbeats apart from replication: appends and snapshot chunks travel on
// the bulk lane, everything else (votes, heartbeats, responses, TimeoutNow) on the control lane,
// so that a heartbeat never waits behind a megabyte of entries. Delivery is best effort: a lane
// that is congested or down drops messages, and Raft's own retries (probes, heartbeats,
// election timeouts) recover from the loss.
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';

import {
  encodeFrame,
  decodePayload,
  FrameDecoder,
  parseAddress,
  RpcType,
  type RpcServer,
} from '../../rpc';
import type { RaftMessage, RaftMessageType } from '../messages';
import type { ServerInfo } from '../types';
import type { Transport } from './types';

export interface TcpTransportOptions {
  /** The server port listener this transport takes RpcType.Raft connections from. */
  server: RpcServer;
  logger?: Logger;
  /** Bytes a bulk lane may hold unsent before further appends are dropped. */
  maxBulkBufferedBytes?: number;
  /** Bytes a control lane may hold unsent before further messages are dropped. */
  maxControlBufferedBytes?: number;
  /** Largest frame accepted from a peer (an append batch or a snapshot chunk). */
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  /** After a failed dial, messages to that peer are dropped for this long before the next try. */
  redialDelayMs?: number;
}

const BULK_TYPES: ReadonlySet<RaftMessageType> = new Set(['append', 'snapshot']);
const MESSAGE_TYPES: ReadonlySet<string> = new Set<RaftMessageType>([
  'pre-vote',
  'vote',
  'pre-vote-response',
  'vote-response',
  'append',
  'append-response',
  'heartbeat',
  'heartbeat-response',
  'snapshot',
  'snapshot-response',
  'timeout-now',
]);

export class TcpTransport implements Transport {
  private readonly lanes = new Map<string, Lane>();
  private readonly inbound = new Set<Socket>();
  private unregister: (() => void) | null = null;
  private closed = false;
  private readonly warned = new Set<string>();

  constructor(private readonly options: TcpTransportOptions) {}

  async start(handler: (msg: RaftMessage) => void): Promise<void> {
    this.unregister = this.options.server.handleProtocol(RpcType.Raft, (socket) =>
      this.accept(socket, handler),
    );
  }

  send(to: ServerInfo, msg: RaftMessage): void {
    if (this.closed) return;
    const bulk = BULK_TYPES.has(msg.type);
    const key = `${bulk ? 'bulk' : 'control'} ${to.address}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = new Lane(to.address, bulk, this.options, (problem) => this.warnOnce(key, problem));
      this.lanes.set(key, lane);
    }
    lane.send(msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unregister?.();
    for (const lane of this.lanes.values()) lane.close();
    this.lanes.clear();
    for (const socket of this.inbound) socket.destroy();
    this.inbound.clear();
  }

  /** Frames from one peer connection, each a RaftMessage; anything else closes it. */
  private accept(socket: Socket, handler: (msg: RaftMessage) => void): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    const remote = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    const decoder = new FrameDecoder(this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      let payloads: Buffer[];
      try {
        payloads = decoder.push(chunk);
      } catch (err) {
        this.warnOnce(remote, `raft: closing ${remote}: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const payload of payloads) {
        let message: unknown;
        try {
          message = decodePayload(payload);
        } catch (err) {
          this.warnOnce(remote, `raft: closing ${remote}: undecodable frame: ${String(err)}`);
          socket.destroy();
          return;
        }
        if (!isRaftMessage(message)) {
          this.warnOnce(remote, `raft: closing ${remote}: frame is not a Raft message`);
          socket.destroy();
          return;
        }
        try {
          handler(message);
        } catch (err) {
          // A peer's message the core cannot take must not take this server down.
          this.warnOnce(remote, `raft: closing ${remote}: message refused: ${String(err)}`);
          socket.destroy();
          return;
        }
      }
    });
    socket.resume();
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size > 1024) this.warned.clear();
    this.warned.add(key);
    this.options.logger?.warn(message);
  }
}

/** Default bound on one Raft frame: an append batch or a snapshot chunk with room to spare. */
const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** One outbound connection to one peer, dialed on demand and again after it fails. */
class Lane {
  private socket: Socket | null = null;
  private connected = false;
  /** Frames written before the connection was up, flushed on connect. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private nextDialAt = 0;
  private closed = false;
  private readonly limit: number;

  constructor(
    private readonly address: string,
    bulk: boolean,
    private readonly options: TcpTransportOptions,
    private readonly warn: (problem: string) => void,
  ) {
    this.limit = bulk
      ? (options.maxBulkBufferedBytes ?? 64 * 1024 * 1024)
      : (options.maxControlBufferedBytes ?? 4 * 1024 * 1024);
  }

  send(msg: RaftMessage): void {
    if (this.closed) return;
    if (this.socket === null && !this.dial()) return;
    const frame = encodeFrame(msg);
    if (!this.connected) {
      if (this.waitingBytes + frame.length > this.limit) return;
      this.waiting.push(frame);
      this.waitingBytes += frame.length;
      return;
    }
    const socket = this.socket as Socket;
    // Congested: drop rather than queue without bound; Raft resends what matters.
    if (socket.writableLength + frame.length > this.limit) return;
    socket.write(frame);
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
  }

  /** Starts a connection unless a recent dial failed; false when the message must be dropped. */
  private dial(): boolean {
    if (Date.now() < this.nextDialAt) return false;
    let target: { host: string; port: number };
    try {
      target = parseAddress(this.address);
    } catch (err) {
      this.warn(`raft: cannot reach peer: ${(err as Error).message}`);
      this.nextDialAt = Date.now() + (this.options.redialDelayMs ?? 1000);
      return false;
    }
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    this.socket = socket;
    this.connected = false;
    socket.setTimeout(this.options.connectTimeoutMs ?? 5000, () =>
      socket.destroy(new Error('connect timed out')),
    );
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      socket.cork();
      socket.write(Buffer.of(RpcType.Raft));
      for (const frame of this.waiting) socket.write(frame);
      socket.uncork();
      this.waiting = [];
      this.waitingBytes = 0;
    });
    // Nothing is read on an outbound lane; replies come on the peer's own connection to us.
    socket.resume();
    socket.on('error', (err) => {
      this.warn(`raft: connection to ${this.address} failed: ${err.message}`);
    });
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.waiting = [];
      this.waitingBytes = 0;
      if (!this.connected) this.nextDialAt = Date.now() + (this.options.redialDelayMs ?? 200);
      this.connected = false;
    });
    return true;
  }
}

function isRaftMessage(value: unknown): value is RaftMessage {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as Record<string, unknown>;
  return (
    typeof msg.type === 'string' &&
    MESSAGE_TYPES.has(msg.type) &&
    typeof msg.from === 'string' &&
    typeof msg.to === 'string' &&
    typeof msg.term === 'number'
  );
}
