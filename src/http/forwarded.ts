// A client agent answers its own endpoints; every other request goes whole to a server, which
// answers it with its own HTTP stack (ACLs, filtering, blocking queries held on the server).
// One catch-all route takes what no endpoint of the client owns.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { parseDuration } from '../config';
import { HANDLER_READ_METHODS, readBody } from './body';
import type { AgentContext } from './context';
import { HttpError } from './errors';

export interface ForwardedRequest {
  method: string;
  /** Path and query string, as received. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface ForwardedReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

/** Carries a request to a server and brings its answer back; rejects when none answers. */
export type ApiForwarder = (
  request: ForwardedRequest,
  signal: AbortSignal,
) => Promise<ForwardedReply>;

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

/**
 * How long a server may hold a forwarded `url` before answering: a blocking query's wait and
 * its jitter (wait/16), 0 for a request that does not block. The caller's deadline adds its RPC
 * timeout to this, as Consul's client does.
 */
export function forwardedWaitMs(url: string): number {
  const at = url.indexOf('?');
  if (at === -1) return 0;
  const query = new URLSearchParams(url.slice(at + 1));
  if (!query.has('index')) return 0;
  let waitMs = DEFAULT_WAIT_MS;
  const wait = query.get('wait');
  if (wait !== null && wait !== '') {
    try {
      waitMs = Math.min(MAX_WAIT_MS, parseDuration(wait));
    } catch {
      waitMs = DEFAULT_WAIT_MS;
    }
  }
  return waitMs + waitMs / 16;
}

/** What one forwarded body may weigh: the server port's frames carry at most 16 MiB. */
export const MAX_FORWARDED_BODY = 15 * 1024 * 1024;

/** Headers about this hop's connection: the forwarded request gets its own. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'expect',
]);

const FORWARDED_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Another datacenter's servers, reached over the WAN (servers only). */
export interface OtherDatacenters {
  knows(dc: string): boolean;
  forward(dc: string, request: ForwardedRequest, signal: AbortSignal): Promise<ForwardedReply>;
}

/** Paths that are this agent's own whatever `?dc` says (Consul's agent endpoints ignore it). */
const AGENT_PATHS = ['/v1/agent/', '/ui/', '/ui'];

/**
 * A request with `?dc=` naming another datacenter goes to a server there before anything else
 * runs here (its ACLs, its blocking query): the datacenter that holds the data answers.
 */
export function serveOtherDatacenters(
  fastify: FastifyInstance,
  context: AgentContext,
  remote: OtherDatacenters,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const dc = requestedDatacenter(request.url);
    if (dc === null || dc === context.runtime.config.datacenter || !remote.knows(dc)) return;
    if (AGENT_PATHS.some((path) => request.url.startsWith(path))) return;
    await relay(context, (req, signal) => remote.forward(dc, req, signal), request, reply);
    return reply;
  });
}

function requestedDatacenter(url: string): string | null {
  const at = url.indexOf('?');
  if (at === -1) return null;
  const dc = new URLSearchParams(url.slice(at + 1)).get('dc');
  return dc === null || dc === '' ? null : dc;
}

export function serveForwarded(
  fastify: FastifyInstance,
  context: AgentContext,
  forward: ApiForwarder,
): void {
  fastify.route({
    method: [...FORWARDED_METHODS],
    url: '/*',
    handler: (request, reply) => relay(context, forward, request, reply),
  });
}

async function relay(
  context: AgentContext,
  forward: ApiForwarder,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const body = HANDLER_READ_METHODS.has(request.method)
    ? await readBody(
        request,
        MAX_FORWARDED_BODY,
        (bytes) =>
          new HttpError(
            413,
            `Request body of ${bytes} bytes is too large for a client agent to forward ` +
              `(limit ${MAX_FORWARDED_BODY} bytes); send it to a server's HTTP API`,
          ),
      )
    : Buffer.alloc(0);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // A client that goes away cancels the call (a blocking query held on the server ends too).
  const gone = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableEnded) gone.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const answer = await forward(
      { method: request.method, url: request.url, headers, body },
      gone.signal,
    );
    if (gone.signal.aborted) return;
    reply.code(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    await reply.send(Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.length));
  } catch (error) {
    if (gone.signal.aborted) return;
    context.logger.debug({ err: error, url: request.url }, 'forwarding to a server failed');
    throw error;
  } finally {
    reply.raw.off('close', onClose);
  }
}
