// /v1/kv/<key>: GET (exact, ?recurse, ?keys[&separator], ?raw), PUT (?flags, ?cas, ?acquire,
// ?release) and DELETE (?recurse, ?cas), as Consul's agent/kvs_endpoint.go.
import { Controller, Delete, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Command } from '../../state';
import type { KvTxnOp, TxnResult } from '../../state';
import { blockingRead, parseQueryOptions, requireLeader } from '../blocking';
import { readBody } from '../body';
import { HttpContext } from '../context';
import { badRequest, serverError, tooLarge } from '../errors';
import { kvEntriesJson, kvEntryBody } from '../kv-json';
import { pathSuffix } from '../path';
import {
  encodeQuery,
  parseUint64,
  queryOf,
  queryValue,
  raftIndexOf,
  type QueryValues,
} from '../query';
import { finish, sendEmpty, sendEncodedJson, sendJson, wantsPretty } from '../respond';

const PREFIX = '/v1/kv/';
const RAW_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
} as const;

@Controller('v1/kv')
export class KvController {
  constructor(private readonly http: HttpContext) {}

  @Get('*')
  async get(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const key = pathSuffix(request, PREFIX);
    const query = queryOf(request);
    const pretty = wantsPretty(request, runtime.config.prettyJson);
    const { store } = runtime;

    if (query.keys !== undefined) {
      const separator = separatorOf(query);
      const { value: keys } = await blockingRead(runtime, reply, options, (ws) =>
        store.kvKeys(key, separator, ws),
      );
      // The root answers [] rather than 404.
      if (keys.length === 0 && key !== '') return sendEmpty(request, reply, 404);
      return sendJson(request, reply, keys, pretty);
    }

    if (query.recurse !== undefined) {
      const { value: entries } = await blockingRead(runtime, reply, options, (ws) =>
        store.kvList(key, ws),
      );
      if (entries.length === 0) return sendEmpty(request, reply, 404);
      return sendJson(request, reply, kvEntriesJson(entries), pretty);
    }

    if (key === '') throw badRequest('Missing key name');
    const { value: entry } = await blockingRead(runtime, reply, options, (ws) =>
      store.kvGet(key, ws),
    );
    if (entry === null) return sendEmpty(request, reply, 404);
    if (query.raw !== undefined) {
      reply.headers(RAW_HEADERS);
      const body = Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength);
      return finish(request, reply, 200, 'text/plain', body);
    }
    return sendEncodedJson(request, reply, kvEntryBody(entry, pretty));
  }

  @Put('*')
  async put(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const key = pathSuffix(request, PREFIX);
    const query = queryOf(request);
    if (key === '') throw badRequest('Missing key name');
    rejectConflicting(query, ['cas', 'acquire', 'release']);

    const flags = query.flags !== undefined ? parseUint64(queryValue(query, 'flags')) : 0n;
    const cas = query.cas !== undefined ? parseUint64(queryValue(query, 'cas')) : undefined;
    const limit = runtime.config.limits.kvMaxValueSize;
    const value = await readBody(request, limit, (bytes) =>
      tooLarge(
        `Request body(${bytes} bytes) too large, max size: ${limit} bytes. See ` +
          'https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.',
      ),
    );

    await requireLeader(runtime);
    let written: boolean;
    if (query.acquire !== undefined) {
      const session = queryValue(query, 'acquire');
      // Lock-delay after an invalidation refuses new holders (Consul checks it before applying).
      written =
        runtime.store.kvLockDelayUntil(key) === 0 &&
        (await this.lockOp({ verb: 'lock', key, value, flags, session }, 'failed to lock key'));
    } else if (query.release !== undefined) {
      const session = queryValue(query, 'release');
      written = await this.lockOp(
        { verb: 'unlock', key, value, flags, session },
        'failed to unlock key',
      );
    } else {
      const command: Command = { type: 'kv-set', key, value, flags };
      if (cas !== undefined) command.cas = raftIndexOf(cas);
      const applied = await runtime.apply(command);
      // A plain set always answers true; only a CAS reports whether it wrote.
      written = cas === undefined ? true : applied === true;
    }
    return sendJson(request, reply, written, wantsPretty(request, runtime.config.prettyJson));
  }

  @Delete('*')
  async delete(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    parseQueryOptions(request, runtime);
    const key = pathSuffix(request, PREFIX);
    const query = queryOf(request);
    rejectConflicting(query, ['recurse', 'cas']);

    let command: Command;
    if (query.recurse !== undefined) {
      command = { type: 'kv-delete-tree', prefix: key };
    } else {
      if (key === '') throw badRequest('Missing key name');
      command = { type: 'kv-delete', key };
      if (query.cas !== undefined) command.cas = raftIndexOf(parseUint64(queryValue(query, 'cas')));
    }
    await requireLeader(runtime);
    const applied = await runtime.apply(command);
    const deleted =
      command.type === 'kv-delete' && command.cas !== undefined ? applied === true : true;
    return sendJson(request, reply, deleted, wantsPretty(request, runtime.config.prettyJson));
  }

  /**
   * ?acquire / ?release go through the same state-store path as the txn lock/unlock verbs:
   * a lost race answers false; anything else (unknown or missing session) is Consul's 500.
   */
  private async lockOp(op: KvTxnOp, refusedPrefix: string): Promise<boolean> {
    const result = (await this.http.runtime.apply({ type: 'txn', ops: [op] })) as TxnResult;
    if (result.errors === null) return true;
    const what = result.errors[0].what;
    if (what.startsWith(refusedPrefix)) return false;
    throw serverError(what);
  }
}

// ?separator wins over the historic misspelling ?seperator; empty means none.
function separatorOf(query: QueryValues): string | null {
  let separator = '';
  if (query.seperator !== undefined) separator = queryValue(query, 'seperator');
  if (query.separator !== undefined) separator = queryValue(query, 'separator');
  return separator === '' ? null : separator;
}

// Consul's conflictingFlags: at most one of `flags` may be present.
function rejectConflicting(query: QueryValues, flags: string[]): void {
  if (flags.filter((flag) => query[flag] !== undefined).length > 1) {
    throw badRequest(`Conflicting flags: ${encodeQuery(query)}\n`);
  }
}
