// The server port (8300 by default): one TCP listener whose connections announce their protocol
// with their first byte, as Consul's do. Calls (RpcType.Consul) are served here from the method
// registry; other protocols (Raft, snapshot streams) are handed the socket by whoever registered
// for their byte. Unknown or unsupported bytes are logged once per source and closed.
import { createServer, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { metrics } from '../telemetry';
import { CallSession } from './call-session';
import { DEFAULT_MAX_FRAME_BYTES } from './frames';
import { MethodRegistry } from './methods';
import { protocolName, RpcType } from './protocol';
import type { RpcTls } from './tls';

export interface RpcServerOptions {
  /** Address to bind; default 0.0.0.0. */
  host?: string;
  /** Default 8300 (Consul's server port); 0 picks a free one. */
  port?: number;
  logger?: Logger;
  /** Time a new connection has to send its protocol byte (Consul: rpc_handshake_timeout 5 s). */
  handshakeTimeoutMs?: number;
  /** Connections one source IP may hold open (Consul: rpc_max_conns_per_client 100). */
  maxConnsPerClient?: number;
  /** Largest call or reply frame accepted. */
  maxFrameBytes?: number;
  /** Calls one connection may have running before we stop reading from it. */
  maxInflightPerConnection?: number;
  /** RPCTLS (and, with verify_incoming, nothing else); without it RPCTLS is refused. */
  tls?: RpcTls;
}

/** Takes over a connection whose protocol byte has been read; the socket is paused. */
export type ProtocolHandler = (socket: Socket) => void;

export interface RpcServerStats {
  connections: number;
  callConnections: number;
  /** Reply bytes queued in user space across call connections. */
  bufferedReplyBytes: number;
  /** Call connections we stopped reading because they are congested or at their call limit. */
  pausedCallConnections: number;
}

export const DEFAULT_SERVER_PORT = 8300;
/** Distinct sources remembered for log-once; past this the memory starts over. */
const WARNED_SOURCES = 4096;

export class RpcServer {
  readonly methods = new MethodRegistry();
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly handlers = new Map<number, ProtocolHandler>();
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<CallSession>();
  private readonly perClient = new Map<string, number>();
  private readonly warned = new Set<string>();
  private listening: { host: string; port: number } | null = null;

  constructor(private readonly options: RpcServerOptions = {}) {
    this.logger = options.logger ?? pino({ name: 'rpc' });
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
    this.handlers.set(RpcType.Consul, (socket) => this.serveCalls(socket));
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? DEFAULT_SERVER_PORT, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') throw new Error('rpc listener has no port');
    this.listening = { host: bound.address, port: bound.port };
  }

  /** `host:port` the listener is bound to. */
  get address(): string {
    if (this.listening === null) throw new Error('rpc server is not listening');
    const { host, port } = this.listening;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  get port(): number {
    if (this.listening === null) throw new Error('rpc server is not listening');
    return this.listening.port;
  }

  /** Routes connections that start with `type` to `handler`; returns the unregister function. */
  handleProtocol(type: RpcType, handler: ProtocolHandler): () => void {
    if (this.handlers.has(type)) throw new Error(`${protocolName(type)} already has a handler`);
    this.handlers.set(type, handler);
    return () => {
      if (this.handlers.get(type) === handler) this.handlers.delete(type);
    };
  }

  stats(): RpcServerStats {
    let bufferedReplyBytes = 0;
    let pausedCallConnections = 0;
    for (const session of this.sessions) {
      bufferedReplyBytes += session.bufferedBytes;
      if (session.paused) pausedCallConnections++;
    }
    return {
      connections: this.sockets.size,
      callConnections: this.sessions.size,
      bufferedReplyBytes,
      pausedCallConnections,
    };
  }

  /** Stops listening and drops every connection (including those handed to other protocols). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.listening = null;
  }

  private accept(socket: Socket): void {
    const source = socket.remoteAddress ?? 'unknown';
    const open = (this.perClient.get(source) ?? 0) + 1;
    const limit = this.options.maxConnsPerClient ?? 100;
    if (open > limit) {
      this.warnOnce(source, 'limit', `rpc: ${source} exceeds ${limit} connections; refusing more`);
      socket.destroy();
      return;
    }
    this.perClient.set(source, open);
    this.sockets.add(socket);
    metrics.incrCounter('rpc.accept_conn');
    socket.once('close', () => {
      this.sockets.delete(socket);
      const left = (this.perClient.get(source) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(source);
      else this.perClient.set(source, left);
    });
    socket.on('error', () => undefined); // each protocol reports what matters to it; 'close' follows
    socket.setTimeout(this.options.handshakeTimeoutMs ?? 5000, () => {
      this.logger.debug({ remote: source }, 'rpc: no protocol byte within the handshake timeout');
      socket.destroy();
    });
    readProtocolByte(socket, (type) => this.route(socket, source, type, false));
  }

  private route(socket: Socket, source: string, type: number, secure: boolean): void {
    const tls = this.options.tls;
    if (type === RpcType.Tls && !secure && tls?.serves === true) {
      this.acceptTls(socket, source, tls);
      return;
    }
    if (type === RpcType.Tls && secure) {
      this.warnOnce(source, 'tls-in-tls', `rpc: TLS inside TLS from ${source}; closing`);
      socket.destroy();
      return;
    }
    if (!secure && tls?.requiresTls === true) {
      this.warnOnce(
        source,
        `plain-${type}`,
        `rpc: ${protocolName(type)} (byte ${type}) in plain text from ${source} refused: verify_incoming requires TLS`,
      );
      socket.destroy();
      return;
    }
    const handler = this.handlers.get(type);
    if (handler === undefined) {
      const known = protocolName(type);
      this.warnOnce(
        source,
        `type-${type}`,
        known.startsWith('unknown')
          ? `rpc: unrecognized RPC byte ${type} from ${source}; closing`
          : `rpc: ${known} (byte ${type}) from ${source} is not supported; closing`,
      );
      socket.destroy();
      return;
    }
    socket.pause();
    handler(socket);
  }

  /** RPCTLS: the handshake (within the handshake timeout), then the protocol byte inside it. */
  private acceptTls(socket: Socket, source: string, tls: RpcTls): void {
    const timeoutMs = this.options.handshakeTimeoutMs ?? 5000;
    tls.accept(
      socket,
      timeoutMs,
      (secure) => {
        this.sockets.add(secure);
        secure.once('close', () => this.sockets.delete(secure));
        secure.on('error', () => undefined); // each protocol reports what matters to it
        secure.setTimeout(timeoutMs, () => {
          this.logger.debug({ remote: source }, 'rpc: no protocol byte inside TLS in time');
          secure.destroy();
        });
        readProtocolByte(secure, (type) => this.route(secure, source, type, true));
      },
      (error) =>
        this.warnOnce(source, 'tls', `rpc: TLS connection from ${source} failed: ${error.message}`),
    );
  }

  private serveCalls(socket: Socket): void {
    const session = new CallSession(socket, this.methods, {
      maxFrameBytes: this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxInflight: this.options.maxInflightPerConnection ?? 256,
      logger: this.logger,
    });
    this.sessions.add(session);
    socket.once('close', () => this.sessions.delete(session));
    socket.resume();
  }

  private warnOnce(source: string, what: string, message: string): void {
    const key = `${source} ${what}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= WARNED_SOURCES) this.warned.clear();
    this.warned.add(key);
    this.logger.warn({ remote: source }, message);
  }
}

/** Reads the first byte of `socket`, then hands it over (after Node updated its stream state). */
function readProtocolByte(socket: Socket, onByte: (type: number) => void): void {
  const readType = (): void => {
    const head = socket.read(1) as Buffer | null;
    if (head === null) return;
    socket.off('readable', readType);
    socket.setTimeout(0);
    // Node updates the stream's listening state on the next tick; hand over after it.
    process.nextTick(() => onByte(head[0]));
  };
  socket.on('readable', readType);
  readType();
}
