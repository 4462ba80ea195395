// Raft over the server port. Every server dials two connections (protocol byte RpcType.Raft) to
// each peer it talks to: a control lane for heartbeats, votes, TimeoutNow and every response, and
// a bulk lane for AppendEntries and InstallSnapshot chunks. Heartbeats thus never queue behind a
// large append (hashicorp/raft keeps a separate heartbeat connection for the same reason).
// Appends are pipelined: the core keeps up to maxInflight unacknowledged appends per follower
// and acknowledgements return on the follower's own control lane; this transport bounds what it
// buffers per lane and drops past that (Raft retransmits). Inbound connections of either lane
// are read the same way: each frame is one RaftMessage, checked before the core sees it.
import type { Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import {
  decodePayload,
  encodeFrame,
  errorText,
  FrameDecoder,
  RpcType,
  type RpcServer,
  type RpcTls,
} from '../../rpc';
import type { RaftMessage } from '../messages';
import type { ServerInfo } from '../types';
import { Lane, type LaneStats } from './lane';
import type { Transport } from './types';
import { parseRaftMessage, splitAppend } from './wire';

export interface TcpTransportOptions {
  /** The server port this transport takes RpcType.Raft connections from. */
  server: RpcServer;
  logger?: Logger;
  /** Largest frame accepted from a peer. */
  maxFrameBytes?: number;
  /** Appends carrying more entry bytes than this are sent as several consecutive appends. */
  maxAppendBytes?: number;
  /** Bound on what one bulk lane buffers (frames, bytes). */
  bulkWindow?: { frames: number; bytes: number };
  controlWindow?: { frames: number; bytes: number };
  connectTimeoutMs?: number;
  /** Back-off before dialing an unreachable peer again: doubles from min to max. */
  backoffMs?: { min: number; max: number };
  /** Dial peers through TLS when it says so (verify_outgoing). */
  tls?: RpcTls;
}

export interface PeerStats {
  control: LaneStats;
  bulk: LaneStats;
}

const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_APPEND_BYTES = 4 * 1024 * 1024;

/** The two lanes to one peer; logs once when it becomes unreachable and once when it answers. */
class Peer {
  readonly control: Lane;
  readonly bulk: Lane;
  private unreachableSince: number | null = null;

  constructor(
    private readonly address: string,
    options: TcpTransportOptions,
    private readonly logger: Logger,
  ) {
    const lane = (window: { frames: number; bytes: number }): Lane =>
      new Lane({
        address,
        maxFrames: window.frames,
        maxBytes: window.bytes,
        connectTimeoutMs: options.connectTimeoutMs ?? 5000,
        backoffMinMs: options.backoffMs?.min ?? 50,
        backoffMaxMs: options.backoffMs?.max ?? 1000,
        onReachability: (reason) => this.reachability(reason),
        tls: options.tls,
      });
    this.control = lane(options.controlWindow ?? { frames: 4096, bytes: 4 * 1024 * 1024 });
    this.bulk = lane(options.bulkWindow ?? { frames: 1024, bytes: 64 * 1024 * 1024 });
  }

  close(): void {
    this.control.close();
    this.bulk.close();
  }

  private reachability(reason: string | null): void {
    if (reason !== null && this.unreachableSince === null) {
      this.unreachableSince = Date.now();
      this.logger.warn(
        { peer: this.address, reason },
        `raft: peer ${this.address} unreachable (${reason}); dropping messages to it until it answers`,
      );
    } else if (reason === null && this.unreachableSince !== null) {
      const downMs = Date.now() - this.unreachableSince;
      this.unreachableSince = null;
      this.logger.info(
        { peer: this.address, downMs },
        `raft: peer ${this.address} reachable again after ${downMs} ms`,
      );
    }
  }
}

export class TcpTransport implements Transport {
  private readonly logger: Logger;
  private readonly peers = new Map<string, Peer>();
  private readonly inbound = new Set<Socket>();
  private unregister: (() => void) | null = null;
  private handler: ((msg: RaftMessage) => void) | null = null;
  private closed = false;

  constructor(private readonly options: TcpTransportOptions) {
    this.logger = options.logger ?? pino({ name: 'raft-transport' });
  }

  async start(handler: (msg: RaftMessage) => void): Promise<void> {
    if (this.closed) throw new Error('raft transport is closed');
    this.handler = handler;
    this.unregister = this.options.server.handleProtocol(RpcType.Raft, (socket) =>
      this.accept(socket),
    );
  }

  send(to: ServerInfo, msg: RaftMessage): void {
    if (this.closed) return;
    try {
      const peer = this.peer(to.address);
      if (msg.type === 'append') {
        const maxBytes = this.options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
        for (const piece of splitAppend(msg, maxBytes)) peer.bulk.send(encodeFrame(piece));
      } else if (msg.type === 'snapshot') {
        peer.bulk.send(encodeFrame(msg));
      } else {
        peer.control.send(encodeFrame(msg));
      }
    } catch (err) {
      // A bad address in the configuration or an unencodable message: drop it, say why.
      this.logger.error(
        { err, to: to.id, address: to.address },
        `raft: cannot send ${msg.type} to ${to.address}: ${errorText(err)}`,
      );
    }
  }

  /** Per-peer lane statistics (tests and `consulate info`). */
  peerStats(address: string): PeerStats | undefined {
    const peer = this.peers.get(address);
    return peer === undefined
      ? undefined
      : { control: peer.control.stats(), bulk: peer.bulk.stats() };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unregister?.();
    this.unregister = null;
    this.handler = null;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    for (const socket of this.inbound) socket.destroy();
    this.inbound.clear();
  }

  private peer(address: string): Peer {
    let peer = this.peers.get(address);
    if (peer === undefined) {
      peer = new Peer(address, this.options, this.logger);
      this.peers.set(address, peer);
    }
    return peer;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const decoder = new FrameDecoder(this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      let messages: RaftMessage[];
      try {
        messages = decoder.push(chunk).map((payload) => parseRaftMessage(decodePayload(payload)));
      } catch (err) {
        this.logger.warn(
          { remote, err },
          `raft: closing connection from ${remote}: ${errorText(err)}`,
        );
        socket.destroy();
        return;
      }
      for (const msg of messages) this.handler?.(msg);
    });
    socket.on('end', () => socket.end());
    socket.resume();
  }
}
