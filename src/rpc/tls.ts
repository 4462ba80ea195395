// TLS on the server port, as Consul's RPCTLS: the dialer sends the byte RpcType.Tls in plain
// text, then the TLS handshake runs on the same connection and the real protocol byte (RPC,
// Raft, snapshot) is the first byte inside it. With verify_incoming a server requires a client
// certificate signed by its CA and refuses every plain-text protocol byte; with
// verify_outgoing its own connections to other servers go through TLS and check the peer's
// certificate against the CA, and with verify_server_hostname also that it was issued for
// `server.<datacenter>.<domain>`.
import { connect as connectTcp, type Socket } from 'node:net';
import {
  connect as connectTls,
  createSecureContext,
  createServer as createTlsServer,
  type TLSSocket,
  type ConnectionOptions,
  type SecureContext,
  type SecureContextOptions,
  type Server as TlsServer,
  type SecureVersion,
} from 'node:tls';
import type { HostPort } from './address';
import { RpcType } from './protocol';

export interface RpcTlsSettings {
  /** PEM text of every CA certificate. */
  ca: readonly string[];
  /** This server's certificate and key (PEM), presented both ways. */
  cert: string | null;
  key: string | null;
  verifyIncoming: boolean;
  verifyOutgoing: boolean;
  verifyServerHostname: boolean;
  /** With verifyServerHostname a server of `dc` must be `server.<dc>.<domain>`: this agent's dc. */
  datacenter: string;
  /** Without the trailing dot (`consul`). */
  domain: string;
  minVersion: SecureVersion;
  /** OpenSSL cipher list, or null for Node's default. */
  ciphers: string | null;
}

interface PendingHandshake {
  onSecure: (secure: TLSSocket) => void;
  onError: (error: Error) => void;
}

export class RpcTls {
  private context: SecureContext;
  /** Never listens: it is handed connections whose RPCTLS byte was read. */
  private server: TlsServer | null = null;
  /** Handshakes in progress, by the client's `address:port`. */
  private readonly pending = new Map<string, PendingHandshake>();

  constructor(private settings: RpcTlsSettings) {
    this.context = createSecureContext(this.contextOptions());
  }

  /**
   * New certificate, key, CAs, version or ciphers (a configuration reload): connections made
   * from now on use them; the verify_* settings stay as the agent started.
   */
  reload(materials: Pick<RpcTlsSettings, 'ca' | 'cert' | 'key' | 'minVersion' | 'ciphers'>): void {
    const { ca, cert, key, minVersion, ciphers } = materials;
    this.settings = { ...this.settings, ca, cert, key, minVersion, ciphers };
    this.context = createSecureContext(this.contextOptions());
    this.server?.setSecureContext(this.contextOptions());
  }

  private contextOptions(): SecureContextOptions {
    const { settings } = this;
    return {
      ca: settings.ca.length > 0 ? [...settings.ca] : undefined,
      cert: settings.cert ?? undefined,
      key: settings.key ?? undefined,
      minVersion: settings.minVersion,
      ...(settings.ciphers === null ? {} : { ciphers: settings.ciphers }),
    };
  }

  /** A server with a certificate accepts RPCTLS connections. */
  get serves(): boolean {
    return this.settings.cert !== null;
  }

  /** verify_incoming: only TLS connections with a certificate from our CA are served. */
  get requiresTls(): boolean {
    return this.settings.verifyIncoming;
  }

  /** verify_outgoing: connections to other servers use TLS. */
  get dialsTls(): boolean {
    return this.settings.verifyOutgoing;
  }

  /**
   * Runs the server side of the handshake on a connection whose RPCTLS byte was read:
   * `onSecure` gets the TLS socket once the handshake (and, with verify_incoming, the client's
   * certificate) passed; `onError` says why it did not. An unlistened tls.Server takes the
   * connection, so that Node checks the client certificate as for any TLS server.
   */
  accept(
    socket: Socket,
    handshakeTimeoutMs: number,
    onSecure: (secure: TLSSocket) => void,
    onError: (error: Error) => void,
  ): void {
    const server = this.handshakeServer(handshakeTimeoutMs);
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    this.pending.set(key, { onSecure, onError });
    socket.once('close', () => this.pending.delete(key));
    server.emit('connection', socket);
  }

  private handshakeServer(handshakeTimeoutMs: number): TlsServer {
    if (this.server !== null) return this.server;
    const verify = this.settings.verifyIncoming;
    // The client's certificate is checked below, where the reason can be reported.
    const server = createTlsServer({
      ...this.contextOptions(),
      requestCert: verify,
      rejectUnauthorized: false,
      handshakeTimeout: handshakeTimeoutMs,
    });
    const take = (secure: TLSSocket): PendingHandshake | undefined => {
      const key = `${secure.remoteAddress}:${secure.remotePort}`;
      const pending = this.pending.get(key);
      this.pending.delete(key);
      return pending;
    };
    server.on('secureConnection', (secure: TLSSocket) => {
      const pending = take(secure);
      if (pending === undefined) {
        secure.destroy();
      } else if (verify && !secure.authorized) {
        const reason = secure.authorizationError;
        pending.onError(
          new Error(`client certificate refused: ${String(reason ?? 'none presented')}`),
        );
        secure.destroy();
      } else {
        pending.onSecure(secure);
      }
    });
    server.on('tlsClientError', (error, secure) => {
      take(secure)?.onError(error);
      secure.destroy();
    });
    this.server = server;
    return server;
  }

  /** Consul's ServerSNI: the name a server of `datacenter` has (default: this agent's). */
  serverName(datacenter = this.settings.datacenter): string {
    return `server.${datacenter}.${this.settings.domain}`;
  }

  /** Client options for the handshake on `socket`, to a server of `datacenter`. */
  clientOptions(socket: Socket, datacenter?: string): ConnectionOptions {
    const checkName = this.settings.verifyServerHostname;
    return {
      socket,
      secureContext: this.context,
      rejectUnauthorized: true,
      ...(checkName
        ? { servername: this.serverName(datacenter) }
        : // The chain is still checked against the CA; only the name is not (Consul's default).
          { checkServerIdentity: () => undefined }),
    };
  }
}

export interface ServerDial {
  /** Carries the protocol once `ready` fired; writes made before are queued in order. */
  socket: Socket;
  /** The event that says the protocol byte is on its way: 'connect', or 'secureConnect'. */
  ready: 'connect' | 'secureConnect';
}

/**
 * Dials a server port and announces `type` (its byte is queued at once): in plain text, or
 * with `tls` dialing TLS, as RPCTLS followed by the handshake and then `type` inside TLS.
 */
export function dialServer(
  target: HostPort,
  type: RpcType,
  tls: RpcTls | null | undefined,
  options: { keepAliveMs?: number; allowHalfOpen?: boolean; datacenter?: string } = {},
): ServerDial {
  const raw = connectTcp({
    host: target.host,
    port: target.port,
    noDelay: true,
    allowHalfOpen: options.allowHalfOpen ?? false,
  });
  if (options.keepAliveMs !== undefined) raw.setKeepAlive(true, options.keepAliveMs);
  if (tls === null || tls === undefined || !tls.dialsTls) {
    raw.write(Buffer.of(type));
    return { socket: raw, ready: 'connect' };
  }
  // Written on connect, before the ClientHello the TLS socket sends then.
  raw.write(Buffer.of(RpcType.Tls));
  const secure = connectTls(tls.clientOptions(raw, options.datacenter));
  // Queued by the TLS socket until the handshake completes.
  secure.write(Buffer.of(type));
  return { socket: secure, ready: 'secureConnect' };
}
