// The one place errors become responses. A request no route matched arrives here as Nest's
// NotFoundException and is answered like Consul's mux: OPTIONS → 200 + Allow, a known path with
// another method → 405 + Allow, an unknown /v1/ path → 404 with Consul's text.
import { Catch, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AgentContext } from './context';
import { errorResponse } from './errors';
import { sendEmpty, sendText } from './respond';
import { requestPath } from './routes';

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly http: AgentContext) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof NotFoundException) {
      answerUnrouted(this.http, request, reply);
      return;
    }
    sendError(this.http, request, reply, exception);
  }
}

/** Answers a thrown error with Consul's status and text; logs what is not a client mistake. */
export function sendError(
  http: AgentContext,
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
): void {
  const { status, body, closeConnection, unexpected } = errorResponse(error);
  if (unexpected) {
    http.logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
  }
  if (reply.sent) return;
  reply.header('x-consul-default-acl-policy', http.runtime.acl.defaultPolicy());
  if (closeConnection) reply.header('connection', 'close');
  sendText(request, reply, status, body);
}

/** A method+path no controller serves. */
export function answerUnrouted(
  http: AgentContext,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const path = requestPath(request.url);
  const allow = http.routes.allowFor(path);
  if (allow !== null) {
    if (request.method === 'OPTIONS') {
      reply.header('allow', allow);
      return sendEmpty(request, reply, 200);
    }
    return answerMethodNotAllowed(request, reply, allow);
  }
  if (path.startsWith('/v1/')) {
    return sendText(request, reply, 404, 'Invalid URL path: not a recognized HTTP API endpoint');
  }
  sendEmpty(request, reply, 404);
}

/** Consul's answer to a method the endpoint does not take: 405, Allow, `method X not allowed`. */
export function answerMethodNotAllowed(
  request: FastifyRequest,
  reply: FastifyReply,
  allow: string,
): void {
  reply.header('allow', allow);
  sendText(request, reply, 405, `method ${request.method} not allowed`);
}
