// The HTTP API of the agent: a Nest application on Fastify, bound to every client address.
import 'reflect-metadata';

import type { RequestListener, Server } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';

import type { DynamicModule, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import pino, { type Logger } from 'pino';

import type { AgentConfig, TlsProtocolConfig } from '../config';
import type { AgentCore, AgentRuntime } from '../server';
import { aclScope, openRequestAcl, type RequestAcl } from './acl-request';
import { aclEnforcedRuntime } from './acl-runtime';
import { metrics } from '../telemetry';
import { HANDLER_READ_METHODS, isWellFormedContentType, leaveBodyUnread } from './body';
import { ClientConnections, clientErrorsAnsweredByServer, createApiServer } from './connections';
import { AgentCache, serveCached } from './agent-cache';
import { AgentContext, HttpContext } from './context';
import {
  serveForwarded,
  type ForwardedReply,
  type ForwardedRequest,
  serveOtherDatacenters,
  type ApiForwarder,
  type OtherDatacenters,
} from './forwarded';
import { answerMethodNotAllowed, ApiExceptionFilter, sendError } from './exception.filter';
import { HttpError } from './errors';
import { HttpApiModule } from './http.module';
import { requestPath, type RouteEntry } from './routes';
import { serveUi } from './ui-static';

export { DEFAULT_MAX_TXN_OPS } from './context';
export { nearDistances, sortNear } from './catalog-params';
export { forwardedWaitMs } from './forwarded';
export type { ApiForwarder, ForwardedRequest, ForwardedReply, OtherDatacenters } from './forwarded';
export type { RouteEntry } from './routes';
export {
  blockingRead,
  parseQueryOptions,
  prepareRead,
  requireLeader,
  setLeaderHeaders,
  type Consistency,
  type QueryOptions,
} from './blocking';

export interface HttpServer {
  /**
   * Binds every client address on the HTTP port (unless ports.http < 0) and, when ports.https
   * > 0, on the HTTPS port; returns `host:port` of each HTTP listener.
   */
  listen(): Promise<string[]>;
  /** `host:port` of each HTTPS listener, once listening. */
  httpsAddresses(): string[];
  /**
   * Serves new HTTPS connections with `tls`'s certificate, key and CAs (a reload); whether
   * client certificates are required stays as the listener started.
   */
  reloadTls(tls: TlsProtocolConfig): void;
  /** Stops listening and drops open connections (blocking queries included). */
  close(): Promise<void>;
  /** Every endpoint the API serves, with the methods it accepts. */
  routes(): RouteEntry[];
  /**
   * Answers one request without a socket, through the same hooks and handlers (a request a
   * client agent forwarded over the server port).
   */
  inject(request: ForwardedRequest): Promise<ForwardedReply>;
}

/** Headers that describe one hop's connection, not the answer. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Answers one request through the app's hooks and handlers, without a socket. */
async function injectInto(
  fastify: FastifyInstance,
  request: ForwardedRequest,
): Promise<ForwardedReply> {
  const answer = await fastify.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    payload: Buffer.from(request.body.buffer, request.body.byteOffset, request.body.length),
  });
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return { status: answer.statusCode, headers, body: answer.rawPayload };
}

export interface HttpServerOptions {
  /** Where request failures and Nest's own messages (at debug) go; default: stderr. */
  logger?: Logger;
  /** Max ops per /v1/txn (default 128 as Consul ≥ 1.14; 64 before). */
  maxTxnOps?: number;
}

export async function createHttpServer(
  runtime: AgentRuntime,
  options: HttpServerOptions & { otherDatacenters?: OtherDatacenters } = {},
): Promise<HttpServer> {
  const logger = httpLogger(runtime, options);
  const context = new HttpContext(aclEnforcedRuntime(runtime), logger, options.maxTxnOps);
  return buildHttpServer(runtime, context, HttpApiModule.forServer(context), {
    forward: null,
    otherDatacenters: options.otherDatacenters ?? null,
  });
}

/**
 * A client agent's HTTP API: its own endpoints (/v1/agent/*, members, events, the UI's files)
 * answered here, every other request carried to a server by `forward` and answered there.
 */
export async function createClientHttpServer(
  runtime: AgentCore,
  forward: ApiForwarder,
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  const logger = httpLogger(runtime, options);
  const context = new AgentContext(runtime, logger, options.maxTxnOps);
  return buildHttpServer(runtime, context, HttpApiModule.forClient(context), {
    forward,
    otherDatacenters: null,
  });
}

function httpLogger(runtime: AgentCore, options: HttpServerOptions): Logger {
  return (
    options.logger ?? pino({ name: 'http', level: runtime.config.logLevel }, pino.destination(2))
  );
}

async function buildHttpServer(
  runtime: AgentCore,
  context: AgentContext,
  module: DynamicModule,
  relays: { forward: ApiForwarder | null; otherDatacenters: OtherDatacenters | null },
): Promise<HttpServer> {
  const { logger } = context;
  let handler: RequestListener | undefined;
  // One count per client IP over every listener, as Consul's one limiter for all HTTP servers.
  const clients = new ClientConnections(() => runtime.config.limits.httpMaxConnsPerClient);
  const config = (): AgentConfig => runtime.config;
  const fastifyOptions: FastifyServerOptions<Server> & { skipMiddie: boolean } = {
    // Keep Fastify's request handler so that extra client addresses can serve it too.
    serverFactory: (listener) => {
      handler = listener;
      return createApiServer(listener, clients, config);
    },
    clientErrorHandler: clientErrorsAnsweredByServer,
    logger: false,
    exposeHeadRoutes: false,
    // Blocking queries hold connections for minutes: close must not wait for them.
    forceCloseConnections: true,
    skipMiddie: true,
    // Keys are path parameters of any length (find-my-way's default cap is 100 characters).
    routerOptions: { maxParamLength: 65536 },
    // Malformed URLs: Go's server answers them with a bare 400 before any handler.
    frameworkErrors: (error, request, reply) =>
      sendError(
        context,
        request,
        reply,
        error.code === 'FST_ERR_BAD_URL' ? new HttpError(400, '400 Bad Request') : error,
      ),
  };
  const adapter = new FastifyAdapter(fastifyOptions);
  const fastify = adapter.getInstance();
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) context.routes.add(method, route.url);
  });
  // Bodies are read by the handlers that want them, as raw bytes of any Content-Type.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', leaveBodyUnread);
  for (const method of HANDLER_READ_METHODS) {
    fastify.addHttpMethod(method, { hasBody: false, overrideExisting: true });
  }
  if (relays.otherDatacenters !== null) {
    serveOtherDatacenters(fastify, context, relays.otherDatacenters);
  }
  // A client's cache fetches from a server; a server's from its own handlers.
  const cache = new AgentCache(relays.forward ?? ((request) => injectInto(fastify, request)));
  serveCached(fastify, context, cache);
  fastify.addHook('onRequest', (request, reply, done) => {
    let acl: RequestAcl;
    try {
      reply.header('x-consul-default-acl-policy', runtime.acl.defaultPolicy());
      if (onRequest(context, request, reply)) return;
      acl = openRequestAcl(runtime, request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    // The handler runs inside the request's ACL scope: its writes are checked against it.
    aclScope.run(acl, () => done());
  });

  // consul.api.http: every answered request, labelled with its method and route pattern.
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined) {
      metrics.addSample('api.http', reply.elapsedTime, {
        method: request.method,
        path: routeLabel(route),
      });
    }
    done();
  });

  if (relays.forward !== null) serveForwarded(fastify, context, relays.forward);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter(context));
  await app.init();

  const extraServers: Server[] = [];
  const httpsAddresses: string[] = [];
  const httpsServers: HttpsServer[] = [];
  /** Binds `hosts` on `port` (0: a free port, then the same one for every host). */
  const listenAll = async (
    hosts: readonly string[],
    port: number,
    make: () => Server,
    keepAliveTimeout: number,
  ): Promise<string[]> => {
    const addresses: string[] = [];
    for (const host of hosts) {
      const server = make();
      server.keepAliveTimeout = keepAliveTimeout;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      extraServers.push(server);
      addresses.push(formatAddress(server));
      port = (server.address() as AddressInfo).port;
    }
    return addresses;
  };
  return {
    async listen(): Promise<string[]> {
      const { ports, addresses: own, clientAddr, tls } = runtime.config;
      const addresses: string[] = [];
      let keepAliveTimeout = 5000;
      if (ports.http >= 0) {
        const [first, ...others] = own.http ?? clientAddr;
        await app.listen(ports.http, first);
        const main = app.getHttpServer() as Server;
        keepAliveTimeout = main.keepAliveTimeout;
        addresses.push(formatAddress(main));
        const port = (main.address() as AddressInfo).port;
        const make = (): Server => createApiServer(handler as RequestListener, clients, config);
        addresses.push(...(await listenAll(others, port, make, keepAliveTimeout)));
      } else {
        // No plain listener: Fastify still has to compile its routes before it can answer.
        await fastify.ready();
      }
      // ports.https: -1 (Consul's default) and 0 leave HTTPS off.
      if (ports.https > 0) {
        const secure = httpsOptions(tls.https, runtime.config.limits.httpsHandshakeTimeoutMs);
        const make = (): Server => {
          const server = createApiServer(handler as RequestListener, clients, config, secure);
          httpsServers.push(server as HttpsServer);
          return server;
        };
        httpsAddresses.push(
          ...(await listenAll(own.https ?? clientAddr, ports.https, make, keepAliveTimeout)),
        );
      }
      return addresses;
    },
    httpsAddresses: () => [...httpsAddresses],
    reloadTls(tls: TlsProtocolConfig): void {
      for (const server of httpsServers) server.setSecureContext(httpsContext(tls));
    },
    async close(): Promise<void> {
      cache.close();
      await Promise.all(
        extraServers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      await app.close();
    },
    routes: () => context.routes.entries(),
    inject: (request: ForwardedRequest) => injectInto(fastify, request),
  };
}

// Per request, before the handler: the reloadable http_config.response_headers and
// http_config.block_endpoints, the web UI's files, then the method check of the endpoint that owns the path.
// Returns true when it answered the request itself.
function onRequest(context: AgentContext, request: FastifyRequest, reply: FastifyReply): boolean {
  const { responseHeaders, blockEndpoints } = context.runtime.config.httpConfig;
  for (const name in responseHeaders) reply.header(name, responseHeaders[name]);
  if (blockEndpoints.length > 0) {
    const path = request.url;
    if (blockEndpoints.some((blocked) => path.startsWith(blocked))) {
      throw new HttpError(403, 'Endpoint is blocked by agent configuration');
    }
  }
  if (serveUi(context.runtime.config, request, reply)) return true;
  const matched = request.routeOptions.url;
  if (matched !== undefined) {
    const allow = context.routes.misrouted(request.method, matched, requestPath(request.url));
    if (allow !== null) {
      answerMethodNotAllowed(request, reply, allow);
      return true;
    }
  }
  // What Fastify's content-type step answered for these methods before they skipped it.
  const contentType = request.headers['content-type'];
  if (
    contentType !== undefined &&
    HANDLER_READ_METHODS.has(request.method) &&
    !isWellFormedContentType(contentType)
  ) {
    throw new HttpError(415, 'Unsupported Media Type');
  }
  return false;
}

/** Consul's `path` label: the registered pattern without the leading '/', '/' → '_' (v1_kv_). */
export function routeLabel(route: string): string {
  const cut = route.search(/[:*]/);
  const pattern = cut === -1 ? route : route.slice(0, cut);
  return pattern.replace(/^\//, '').replace(/\//g, '_');
}

/**
 * The HTTPS listener's TLS settings: with verify_incoming a client must present a certificate
 * signed by one of the configured CAs, or the handshake fails.
 */
function httpsOptions(tls: TlsProtocolConfig, handshakeTimeoutMs: number): HttpsServerOptions {
  return {
    ...httpsContext(tls),
    handshakeTimeout: handshakeTimeoutMs,
    requestCert: tls.verifyIncoming,
    rejectUnauthorized: tls.verifyIncoming,
  };
}

/** The certificate, key, CAs, version and ciphers: what a reload may change. */
function httpsContext(tls: TlsProtocolConfig): SecureContextOptions {
  return {
    cert: tls.cert ?? undefined,
    key: tls.key ?? undefined,
    ca: tls.ca.length > 0 ? tls.ca : undefined,
    minVersion: tls.minVersion,
    ...(tls.ciphers === null ? {} : { ciphers: tls.ciphers }),
  };
}

function formatAddress(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/** Nest's own messages go to pino at debug; its errors stay errors. */
class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown): void {
    this.logger.debug({ source: 'nest' }, String(message));
  }

  error(message: unknown, trace?: unknown): void {
    this.logger.error({ source: 'nest', trace }, String(message));
  }

  warn(message: unknown): void {
    this.logger.warn({ source: 'nest' }, String(message));
  }

  debug(message: unknown): void {
    this.logger.debug({ source: 'nest' }, String(message));
  }

  verbose(message: unknown): void {
    this.logger.trace({ source: 'nest' }, String(message));
  }
}
