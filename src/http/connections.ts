// The HTTP listeners' connection hygiene, shared by every client address:
// - Consul's per-client-IP limit (limits.http_max_conns_per_client, hashicorp/go-connlimit): a
//   connection over the limit gets a raw 429 at once and is closed; loopback is not exempt.
// - a deadline for receiving each request, headers and body (consulate.http_read_timeout):
//   Node's request/headers timeouts, which stop counting once the request is complete, so a
//   blocking query waiting for its answer is never cut. Idle keep-alive stays Node's 5 s.
// - Go's header size limit (http_config.max_header_bytes) and Go's answers to bytes that never
//   became a request.
// Both limits are read again for every new connection, so a reload changes them.
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { Socket } from 'node:net';

import type { AgentConfig } from '../config';

/** go-connlimit's answer, written before the client sent anything, then the connection closes. */
const TOO_MANY_CONNECTIONS_TEXT =
  'Your IP is issuing too many concurrent connections, please rate limit your calls\n';
const TOO_MANY_CONNECTIONS = Buffer.from(
  'HTTP/1.1 429 Too Many Requests\r\n' +
    'Content-Type: text/plain\r\n' +
    `Content-Length: ${TOO_MANY_CONNECTIONS_TEXT.length}\r\n` +
    'Connection: close\r\n\r\n' +
    TOO_MANY_CONNECTIONS_TEXT,
);
/** Consul gives that answer a 10 ms write deadline: slow readers are not waited for. */
const REFUSAL_WRITE_DEADLINE_MS = 10;
/** How often Node looks for requests past their read deadline. */
const READ_DEADLINE_CHECK_MS = 500;
/** Go's http.DefaultMaxHeaderBytes, used when max_header_bytes is 0, and the slack Go adds. */
const GO_DEFAULT_MAX_HEADER_BYTES = 1 << 20;
const GO_HEADER_SLACK = 4096;

/** Open connections per client IP, over every listener of the API. */
export class ClientConnections {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerClient: () => number) {}

  /** Counts `socket` against its client until it closes; false (not counted) when at the limit. */
  admit(socket: Socket): boolean {
    const client = clientKey(socket.remoteAddress);
    if (client === null) return false;
    const count = this.open.get(client) ?? 0;
    const limit = this.maxPerClient();
    if (limit > 0 && count >= limit) return false;
    this.open.set(client, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(client) ?? 1) - 1;
      if (left === 0) this.open.delete(client);
      else this.open.set(client, left);
    });
    return true;
  }

  /** Open connections of `address` (for tests and stats). */
  count(address: string): number {
    return this.open.get(clientKey(address) ?? '') ?? 0;
  }
}

/**
 * An HTTP server for the API: `handler` answers requests, `clients` limits connections per IP,
 * `config()` is the agent's current configuration. With `secure` it serves HTTPS (the limit
 * counts connections before their handshake, as Consul's does).
 */
export function createApiServer(
  handler: RequestListener,
  clients: ClientConnections,
  config: () => AgentConfig,
  secure?: HttpsOptions,
): Server {
  const { limits, httpConfig } = config();
  const options = {
    maxHeaderSize: (httpConfig.maxHeaderBytes || GO_DEFAULT_MAX_HEADER_BYTES) + GO_HEADER_SLACK,
    connectionsCheckingInterval: READ_DEADLINE_CHECK_MS,
    requestTimeout: limits.httpReadTimeoutMs,
    headersTimeout: limits.httpReadTimeoutMs,
  };
  const server: Server =
    secure === undefined
      ? createServer(options, handler)
      : createHttpsServer({ ...options, ...secure }, handler);
  server.on('clientError', answerClientError);
  // Node's own connection listener runs only for connections the limit admits.
  const serve = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const readTimeoutMs = Math.round(config().limits.httpReadTimeoutMs);
    // Node checks both from the first byte of each request; it wants headers ≤ request.
    server.requestTimeout = readTimeoutMs;
    server.headersTimeout = readTimeoutMs;
    if (!clients.admit(socket)) {
      refuse(socket);
      return;
    }
    for (const listener of serve) listener.call(server, socket);
  });
  return server;
}

function refuse(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  socket.end(TOO_MANY_CONNECTIONS);
  setTimeout(() => socket.destroy(), REFUSAL_WRITE_DEADLINE_MS).unref();
}

const UNBOUNDED_BODIES = new WeakSet<Socket>();

/**
 * Lets the request being read on `socket` take as long as it needs (a snapshot restore streams
 * an archive of any size: Consul issue 3326); it still fails if the client goes away. Call the
 * returned function once that request is answered.
 */
export function exemptFromReadDeadline(socket: Socket): () => void {
  UNBOUNDED_BODIES.add(socket);
  return () => UNBOUNDED_BODIES.delete(socket);
}

/** Fastify's hook for client errors: the server above answers them itself. */
export function clientErrorsAnsweredByServer(): void {}

/**
 * What Go's server writes for a request it could not read (and 408 for one that took longer
 * than the read timeout), unless part of an answer is already on the wire; then it closes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && UNBOUNDED_BODIES.has(socket)) return;
  // Node's own default handler looks at the response in flight the same way.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse<IncomingMessage> | null })
    ._httpMessage;
  if (socket.writable && error.code !== 'ECONNRESET' && inFlight?.headersSent !== true) {
    const status = clientErrorStatus(error.code);
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Connection: close\r\n\r\n${status}`,
    );
  }
  socket.destroy();
}

function clientErrorStatus(code: string | undefined): string {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  return '400 Bad Request';
}

// Go's IP.String(): an IPv4-mapped IPv6 address is the IPv4 client it stands for.
function clientKey(address: string | undefined): string | null {
  if (address === undefined) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
