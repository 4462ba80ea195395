// /v1/session/*: create, destroy, renew (PUT) and info, node, list (GET, blocking), as Consul's
// agent/session_endpoint.go. Server-side rules (Behavior, TTL, node and checks) answer 500 with
// Consul's text; a body that does not decode answers 400.
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { SessionRequestError } from '../../server';
import { blockingRead, parseQueryOptions, requireLeader } from '../blocking';
import { readBody } from '../body';
import { HttpContext } from '../context';
import { badRequest, HttpError, serverError, tooLarge } from '../errors';
import { BodyDecodeError } from '../go-decode';
import { jsonRows } from '../json';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { pathSuffix } from '../path';
import { sendJson, wantsPretty } from '../respond';
import { decodeSessionCreate, sessionBehavior, sessionJson } from '../session-json';

// Consul reads the whole body; a session request is a few hundred bytes.
const MAX_BODY_BYTES = 1024 * 1024;

@Controller('v1/session')
export class SessionController {
  constructor(private readonly http: HttpContext) {}

  @Put('create')
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const raw = await readBody(request, MAX_BODY_BYTES, () =>
      tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
    );
    const body = decoded(() =>
      decodeSessionCreate(
        raw.length === 0 ? null : parseJsonBody(raw.toString('utf8')),
        runtime.config.nodeName,
      ),
    );
    const behavior = sessionBehavior(body.behavior);
    if (behavior === null) throw serverError(`Invalid Behavior setting '${body.behavior}'`);
    await requireLeader(runtime);
    const id = await sessionCall(() => runtime.sessions.create({ ...body, behavior }));
    return sendJson(request, reply, { ID: id }, this.pretty(request));
  }

  @Put('destroy/*')
  async destroy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const id = pathSuffix(request, '/v1/session/destroy/');
    if (id === '') throw badRequest('Missing session');
    await requireLeader(runtime);
    await sessionCall(() => runtime.sessions.destroy(id));
    return sendJson(request, reply, true, this.pretty(request));
  }

  @Put('renew/*')
  async renew(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const id = pathSuffix(request, '/v1/session/renew/');
    if (id === '') throw badRequest('Missing session');
    await requireLeader(runtime);
    const session = await runtime.sessions.renew(id);
    if (session === null) throw new HttpError(404, `Session id '${id}' not found`);
    return sendJson(request, reply, [sessionJson(session)], this.pretty(request));
  }

  @Get('info/*')
  async info(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const id = pathSuffix(request, '/v1/session/info/');
    if (id === '') throw badRequest('Missing session');
    const { value } = await blockingRead(runtime, reply, options, (ws) =>
      runtime.store.sessionGet(id, ws),
    );
    const sessions = value === null ? [] : [value];
    return sendJson(request, reply, jsonRows(sessions, sessionJson), this.pretty(request));
  }

  @Get('node/*')
  async node(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const node = pathSuffix(request, '/v1/session/node/');
    if (node === '') throw badRequest('Missing node name');
    const { value } = await blockingRead(runtime, reply, options, (ws) =>
      runtime.store.nodeSessions(node, ws),
    );
    return sendJson(request, reply, jsonRows(value, sessionJson), this.pretty(request));
  }

  @Get('list')
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const { value } = await blockingRead(runtime, reply, options, (ws) =>
      runtime.store.sessionList(ws),
    );
    return sendJson(request, reply, jsonRows(value, sessionJson), this.pretty(request));
  }

  private pretty(request: FastifyRequest): boolean {
    return wantsPretty(request, this.http.runtime.config.prettyJson);
  }
}

function decoded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof JsonSyntaxError || error instanceof BodyDecodeError) {
      throw badRequest(`Request decode failed: ${error.message}`);
    }
    throw error;
  }
}

// The server's refusals are RPC errors: 500 with their text.
async function sessionCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionRequestError) throw serverError(error.message);
    throw error;
  }
}
