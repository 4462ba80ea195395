// /v1/query: prepared queries (create, list, read, update, delete, execute, explain), as
// Consul's agent/prepared_query_endpoint.go. The path after /v1/query/ is the ID or name;
// a trailing /execute or /explain selects those. Server refusals answer 500 with Consul's
// text, an unknown query 404 `Query not found`.
import { isIP } from 'node:net';

import { Controller, Delete, Get, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AclNotFoundError, PermissionDeniedError } from '../../acl';
import { PreparedQueryRequestError, REDACTED_TOKEN, type AgentRuntime } from '../../server';
import {
  emptyPreparedQuery,
  QueryNotFoundError,
  queryAclPrefix,
  type PreparedQuery,
  type PreparedQueryOp,
  type PreparedQueryWrite,
} from '../../state';
import { requestAcl, requestToken, type RequestAcl } from '../acl-request';
import {
  blockingRead,
  parseQueryOptions,
  prepareRead,
  requireLeader,
  setLeaderHeaders,
  type QueryOptions,
} from '../blocking';
import { readBody } from '../body';
import { HttpContext } from '../context';
import { badRequest, HttpError, serverError, tooLarge } from '../errors';
import { answerMethodNotAllowed } from '../exception.filter';
import { BodyDecodeError } from '../go-decode';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { pathSuffix } from '../path';
import {
  decodePreparedQuery,
  executionJson,
  explainJson,
  preparedQueryJson,
  type QueryMetaJson,
} from '../prepared-query-json';
import { hasQueryFlag, queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, sendText, wantsPretty } from '../respond';

const MAX_BODY_BYTES = 1024 * 1024;
const PREFIX = '/v1/query/';
const INT = /^[+-]?[0-9]+$/;

@Controller('v1/query')
export class QueryController {
  constructor(private readonly http: HttpContext) {}

  @Post()
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const query = decoded(await this.body(request));
    await requireLeader(runtime);
    const id = await queryCall(() => runtime.preparedQueries.apply('create', query));
    return sendJson(request, reply, { ID: id }, this.pretty(request));
  }

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const { value } = await blockingRead(runtime, reply, options, (ws) =>
      runtime.store.preparedQueryList(ws),
    );
    // The route's filter (acl-routes.ts) keeps what the token may read and hides tokens.
    const rows = value.map((query) => preparedQueryJson(query));
    return sendJson(request, reply, rows, this.pretty(request));
  }

  @Get('*')
  async read(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id, action } = target(request);
    if (action === 'execute') return this.execute(request, reply, id);
    if (action === 'explain') return this.explain(request, reply, id);
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const { value } = await blockingRead(runtime, reply, options, (ws) =>
      runtime.store.preparedQueryGet(id, ws),
    );
    if (value === null) return sendText(request, reply, 404, 'Query not found');
    const acl = requestAcl(request);
    // A query no rule covers is shown to whoever has its ID; a named one needs query:read.
    if (queryAclPrefix(value) !== null) requireQueryRead(acl, value);
    const json = preparedQueryJson(value, shownToken(acl, value.token));
    return sendJson(request, reply, [json], this.pretty(request));
  }

  @Put('*')
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id, action } = target(request);
    if (action !== null) return answerMethodNotAllowed(request, reply, 'OPTIONS,GET');
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const query = decoded(await this.body(request));
    // The ID comes from the URL, never from the body.
    query.id = id;
    await this.write(runtime, 'update', query);
    return sendEmpty(request, reply, 200);
  }

  @Delete('*')
  async destroy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id, action } = target(request);
    if (action !== null) return answerMethodNotAllowed(request, reply, 'OPTIONS,GET');
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    await this.write(runtime, 'delete', emptyPreparedQuery(id));
    return sendEmpty(request, reply, 200);
  }

  private async execute(request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const limit = parseLimit(queryValue(query, 'limit'));
    await prepareRead(runtime, options.consistency);
    const answer = await queryCall(() =>
      runtime.preparedQueries.execute({
        idOrName: id,
        near: queryValue(query, 'near'),
        sourceIp: sourceAddress(request),
        limit,
        connect: hasQueryFlag(request, 'connect'),
        token: requestToken(request),
      }),
    );
    // Execution is not a blocking read: Consul's reply carries no index (the header says 1).
    const meta = this.meta(reply, options, 0);
    if (answer.filteredByAcls === true) requestAcl(request)?.markFiltered();
    return sendJson(request, reply, executionJson(answer, meta), this.pretty(request));
  }

  private async explain(request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    parseLimit(queryValue(queryOf(request), 'limit'));
    await prepareRead(runtime, options.consistency);
    const { query } = await queryCall(async () => runtime.preparedQueries.resolve(id));
    const acl = requestAcl(request);
    // Explain filters as a list does: unnamed queries are for management tokens only.
    if (acl !== null && acl.enforcing && !acl.allows('acl', '', 'write')) {
      const prefix = queryAclPrefix(query);
      if (prefix === null || !acl.allows('query', prefix, 'read')) {
        throw new HttpError(403, 'Permission denied');
      }
    }
    const meta = this.meta(reply, options, 0);
    const json = preparedQueryJson(query, shownToken(acl, query.token));
    return sendJson(request, reply, explainJson(json, meta), this.pretty(request));
  }

  private async write(
    runtime: AgentRuntime,
    op: PreparedQueryOp,
    query: PreparedQueryWrite,
  ): Promise<void> {
    await requireLeader(runtime);
    await queryCall(() => runtime.preparedQueries.apply(op, query));
  }

  /** Query-meta headers, and the same facts for the JSON body. */
  private meta(reply: FastifyReply, options: QueryOptions, index: number): QueryMetaJson {
    const { runtime } = this.http;
    reply.header('x-consul-index', String(Math.max(index, 1)));
    setLeaderHeaders(reply, runtime);
    reply.header('x-consul-effective-consistency', options.consistency);
    const status = runtime.raft.status();
    const leader = runtime.raft.isLeader();
    return {
      index,
      lastContactMs: leader ? 0 : Math.max(0, status.lastContactMs),
      knownLeader: leader || status.leaderId !== null,
      consistencyLevel: options.consistency,
    };
  }

  private async body(request: FastifyRequest): Promise<ReturnType<typeof parseJsonBody> | null> {
    const raw = await readBody(request, MAX_BODY_BYTES, () =>
      tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
    );
    if (raw.length === 0) return null;
    try {
      return parseJsonBody(raw.toString('utf8'));
    } catch (error) {
      if (error instanceof JsonSyntaxError) {
        throw badRequest(`Request decode failed: ${error.message}`);
      }
      throw error;
    }
  }

  private pretty(request: FastifyRequest): boolean {
    return wantsPretty(request, this.http.runtime.config.prettyJson);
  }
}

function decoded(body: ReturnType<typeof parseJsonBody> | null): PreparedQueryWrite {
  try {
    return decodePreparedQuery(body);
  } catch (error) {
    if (error instanceof BodyDecodeError) {
      throw badRequest(`Request decode failed: ${error.message}`);
    }
    throw error;
  }
}

/** The ID or name in the path, and the action a trailing /execute or /explain asks for. */
function target(request: FastifyRequest): { id: string; action: 'execute' | 'explain' | null } {
  const rest = pathSuffix(request, PREFIX);
  for (const action of ['execute', 'explain'] as const) {
    if (rest.endsWith(`/${action}`)) return { id: rest.slice(0, -action.length - 1), action };
  }
  return { id: rest, action: null };
}

/**
 * The client's address for `?near=_ip` (Consul's sourceAddrFromRequest): the first
 * X-Forwarded-For entry, else the connection's remote address.
 */
function sourceAddress(request: FastifyRequest): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (first !== undefined && isIP(first) !== 0) return unmapped(first);
  return unmapped(request.socket.remoteAddress ?? '');
}

// Go prints an IPv4-mapped IPv6 address as the IPv4 one.
function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address;
}

/** Go's strconv.Atoi on `?limit`; Consul answers a bad one with a 500. */
function parseLimit(text: string): number {
  if (text === '') return 0;
  if (!INT.test(text) || !Number.isSafeInteger(Number(text))) {
    throw serverError(`Bad limit: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number(text);
}

/** Consul's redactPreparedQueryTokens: only acl:write (management) sees a stored Token. */
export function shownToken(acl: RequestAcl | null, token: string): string {
  if (token === '' || acl === null || !acl.enforcing) return token;
  return acl.allows('acl', '', 'write') ? token : REDACTED_TOKEN;
}

function requireQueryRead(acl: RequestAcl | null, query: PreparedQuery): void {
  if (acl === null || !acl.enforcing || acl.allows('acl', '', 'write')) return;
  const prefix = queryAclPrefix(query);
  if (prefix === null || !acl.allows('query', prefix, 'read')) {
    throw new HttpError(403, 'Permission denied');
  }
}

// The server's refusals: 500 with their text; an unknown query 404; ACL refusals 403.
async function queryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof QueryNotFoundError) throw new HttpError(404, error.message);
    if (error instanceof PreparedQueryRequestError) throw serverError(error.message);
    if (error instanceof PermissionDeniedError || error instanceof AclNotFoundError) {
      throw new HttpError(403, error.message);
    }
    throw error;
  }
}
