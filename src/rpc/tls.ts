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
  TLSSocket,
  type ConnectionOptions,
  type SecureContext,
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
  /** The name checked with verifyServerHostname: `server.<datacenter>.<domain>`. */
  serverName: string;
  minVersion: SecureVersion;
  /** OpenSSL cipher list, or null for Node's default. */
  ciphers: string | null;
}

export class RpcTls {
  private readonly context: SecureContext;

  constructor(private readonly settings: RpcTlsSettings) {
    this.context = createSecureContext({
      ca: settings.ca.length > 0 ? [...settings.ca] : undefined,
      cert: settings.cert ?? undefined,
      key: settings.key ?? undefined,
      minVersion: settings.minVersion,
      ...(settings.ciphers === null ? {} : { ciphers: settings.ciphers }),
    });
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

  /** Starts the server side of the handshake on a connection whose RPCTLS byte was read. */
  accept(socket: Socket): TLSSocket {
    const verify = this.settings.verifyIncoming;
    return new TLSSocket(socket, {
      isServer: true,
      secureContext: this.context,
      requestCert: verify,
      rejectUnauthorized: verify,
    });
  }

  /** Client options for the handshake on `socket`. */
  clientOptions(socket: Socket): ConnectionOptions {
    const checkName = this.settings.verifyServerHostname;
    return {
      socket,
      secureContext: this.context,
      rejectUnauthorized: true,
      ...(checkName
        ? { servername: this.settings.serverName }
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
  options: { keepAliveMs?: number; allowHalfOpen?: boolean } = {},
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
  const secure = connectTls(tls.clientOptions(raw));
  // Queued by the TLS socket until the handshake completes.
  secure.write(Buffer.of(type));
  return { socket: secure, ready: 'secureConnect' };
}
