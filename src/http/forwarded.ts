// A client agent answers its own endpoints; every other request goes whole to a server, which
// answers it with its own HTTP stack (ACLs, filtering, blocking queries held on the server).
// One catch-all route takes what no endpoint of the client owns.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

export function serveForwarded(
  fastify: FastifyInstance,
  context: AgentContext,
  forward: ApiForwarder,
): void {
  fastify.route({
    method: [...FORWARDED_METHODS],
    url: '/*',
    handler: (request, reply) => forwardRequest(context, forward, request, reply),
  });
}

async function forwardRequest(
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
