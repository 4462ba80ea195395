// User events (consul-api.md §14, cluster.md §3.6): /v1/event/fire/:name sends one through the
// LAN pool; /v1/event/list shows what this agent received, blocking on ?index.
import { Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { UserEventError, type UserEvent } from '../../server';
import { checkDatacenter, parseQueryOptions, setLeaderHeaders } from '../blocking';
import { readBody } from '../body';
import { AgentContext } from '../context';
import { badRequest, serverError, tooLarge } from '../errors';
import type { JsonValue } from '../json';
import { queryOf, queryValue } from '../query';
import { sendJson, wantsPretty } from '../respond';

// Serf's limit on a user event (name and payload, encoded) is 512 bytes by default; a payload
// above this cannot be sent, so the body is not read past it.
const MAX_EVENT_BODY = 9 * 1024;

@Controller('v1/event')
export class EventController {
  constructor(private readonly http: AgentContext) {}

  @Put('fire/:name')
  async fire(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    if (name === '') throw badRequest('Missing name');
    const body = await readBody(request, MAX_EVENT_BODY, (bytes) =>
      tooLarge(`Event payload too large (${bytes} bytes)`),
    );
    let event: UserEvent;
    try {
      event = await runtime.events.fire({
        name,
        payload: body.length > 0 ? body : null,
        nodeFilter: queryValue(query, 'node'),
        serviceFilter: queryValue(query, 'service'),
        tagFilter: queryValue(query, 'tag'),
      });
    } catch (error) {
      if (error instanceof UserEventError) throw serverError(error.message);
      throw serverError((error as Error).message);
    }
    return sendJson(
      request,
      reply,
      eventJson(event),
      wantsPretty(request, runtime.config.prettyJson),
    );
  }

  /** Events received, oldest first; `?index` blocks until the newest event is another one. */
  @Get('list')
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const name = queryValue(query, 'name');
    // Validated by parseQueryOptions; read again as 64 bits, which a Number cannot hold.
    const indexText = queryValue(query, 'index');
    const requested = indexText === '' ? 0n : BigInt(indexText);
    const deadline = Date.now() + options.waitMs;
    const gone = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableEnded) gone.abort();
    };
    reply.raw.once('close', onClose);
    let events = runtime.events.list(name);
    try {
      // The index is a hash of the newest event, not a counter: Consul waits for it to differ.
      while (requested !== 0n && runtime.events.index(events) === requested) {
        const remaining = deadline - Date.now();
        if (remaining <= 0 || gone.signal.aborted) break;
        if (!(await runtime.events.waitForEvent(remaining, gone.signal))) break;
        events = runtime.events.list(name);
      }
    } finally {
      reply.raw.removeListener('close', onClose);
    }
    reply.header('x-consul-index', runtime.events.index(events).toString());
    setLeaderHeaders(reply, runtime);
    return sendJson(
      request,
      reply,
      events.map(eventJson),
      wantsPretty(request, runtime.config.prettyJson),
    );
  }
}

function eventJson(event: UserEvent): JsonValue {
  return {
    ID: event.id,
    Name: event.name,
    Payload: event.payload === null ? null : Buffer.from(event.payload).toString('base64'),
    NodeFilter: event.nodeFilter,
    ServiceFilter: event.serviceFilter,
    TagFilter: event.tagFilter,
    Version: event.version,
    LTime: event.ltime,
  };
}
