// /v1/acl/*: bootstrap, tokens, policies and roles (consul-api.md §9, agent/acl_endpoint.go).
// Reads need acl:read, writes acl:write; token/self needs only a valid token; bootstrap none.
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { Controller, Delete, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  ANONYMOUS_TOKEN_ID,
  GLOBAL_MANAGEMENT_POLICY_ID,
  isReservedId,
  managementToken,
  newId,
  parsePolicyRules,
  PolicyRulesError,
  policyRecord,
  roleRecord,
  tokenRecord,
} from '../../acl';
import { parseDuration } from '../../config';
import type {
  AclBootstrapResult,
  AclLink,
  AclPolicyRecord,
  AclReads,
  AclResult,
  AclTokenRecord,
  ReadResult,
} from '../../state';
import { requestAcl, type RequestAcl } from '../acl-request';
import {
  decodePolicy,
  decodeRole,
  decodeToken,
  type LinkInput,
  type TokenInput,
} from '../acl-decode';
import { policyJson, policyStubJson, roleJson, tokenJson, tokenStubJson } from '../acl-json';
import { blockingRead, parseQueryOptions, requireLeader, setLeaderHeaders } from '../blocking';
import { readBody } from '../body';
import { HttpContext } from '../context';
import { badRequest, HttpError, tooLarge } from '../errors';
import { answerMethodNotAllowed } from '../exception.filter';
import { BodyDecodeError } from '../go-decode';
import type { JsonValue } from '../json';
import { JsonSyntaxError, parseJsonBody, type ParsedJson } from '../json-parse';
import { queryOf, queryValue } from '../query';
import { sendJson, wantsPretty } from '../respond';

const MAX_BODY_BYTES = 1024 * 1024;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const POLICY_NAME = /^[A-Za-z0-9\-_]{1,128}$/;
const ROLE_NAME = /^[A-Za-z0-9\-_]{1,256}$/;
// /v1/acl/token/self is its own GET-only endpoint in Consul's mux.
const SELF_ALLOW = 'OPTIONS,GET';
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 24 * 3600_000;

@Controller('v1/acl')
export class AclController {
  constructor(private readonly http: HttpContext) {}

  @Put('bootstrap')
  async bootstrap(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    this.requireEnabled();
    const body = await readJson(request);
    const secret = bootstrapSecret(body);
    const resetFile =
      runtime.config.dataDir === null ? null : join(runtime.config.dataDir, 'acl-bootstrap-reset');
    const resetIndex = resetFile === null ? 0 : await readResetIndex(resetFile);
    const token = managementToken(secret ?? newId(), 'Bootstrap Token (Global Management)');
    await requireLeader(runtime);
    const result = (await runtime.apply({
      type: 'acl-bootstrap',
      token,
      resetIndex,
    })) as AclBootstrapResult;
    if (!result.ok) {
      if (result.resetIndex !== undefined) {
        throw new HttpError(403, `Permission denied: ${result.error}`);
      }
      throw badRequest(result.error);
    }
    // The reset file is used once.
    if (resetFile !== null && resetIndex !== 0) await unlink(resetFile).catch(() => undefined);
    const stored = runtime.store.acl.token(token.accessorId).value ?? token;
    return this.send(request, reply, tokenJson(runtime.store.acl, stored, true, true));
  }

  // ---- tokens ----

  @Put('token')
  async createToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const input = await readDecoded(request, decodeToken);
    return this.writeToken(request, reply, input, null);
  }

  @Get('token/self')
  async tokenSelf(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.requireEnabled();
    const acl = this.acl(request);
    const token = acl.permissions.resolved.token;
    if (token === null) throw new HttpError(403, 'ACL not found');
    return this.send(request, reply, tokenJson(this.http.runtime.store.acl, token, true));
  }

  @Get('token/:id')
  async readToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const acl = this.require(request, 'read');
    const { value: token } = await this.blockingAcl(request, reply, 'acl-tokens', (reads) =>
      reads.token(param(request, 'id')),
    );
    if (token === null) throw new HttpError(403, 'ACL not found');
    return this.send(
      request,
      reply,
      tokenJson(this.http.runtime.store.acl, token, canSeeSecrets(acl)),
    );
  }

  @Put('token/:id')
  async updateToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const accessorId = param(request, 'id');
    if (accessorId === 'self') return answerMethodNotAllowed(request, reply, SELF_ALLOW);
    this.require(request, 'write');
    const input = await readDecoded(request, decodeToken);
    if (input.accessorId !== '' && input.accessorId !== accessorId) {
      throw badRequest('Token Accessor ID in URL and payload do not match');
    }
    const existing = this.http.runtime.store.acl.token(accessorId).value;
    if (existing === null) throw badRequest(`Cannot find token "${accessorId}"`);
    return this.writeToken(request, reply, { ...input, accessorId }, existing);
  }

  @Put('token/:id/clone')
  async cloneToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const source = this.http.runtime.store.acl.token(param(request, 'id')).value;
    if (source === null) throw new HttpError(403, 'ACL not found');
    const input = await readDecoded(request, decodeToken);
    const token = tokenRecord({
      ...source,
      accessorId: newId(),
      secretId: newId(),
      description: input.description !== '' ? input.description : source.description,
      createTime: undefined,
    });
    await this.apply({ type: 'acl-token-set', token });
    return this.sendToken(request, reply, token.accessorId);
  }

  @Delete('token/:id')
  async deleteToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const accessorId = param(request, 'id');
    if (accessorId === 'self') return answerMethodNotAllowed(request, reply, SELF_ALLOW);
    const acl = this.require(request, 'write');
    if (accessorId === ANONYMOUS_TOKEN_ID) {
      throw badRequest('Delete operation not permitted on the anonymous token');
    }
    if (acl.permissions.resolved.accessorId === accessorId) {
      throw badRequest("Deletion of the request's authorization token is not permitted");
    }
    await this.apply({ type: 'acl-token-delete', accessorId });
    return this.send(request, reply, true);
  }

  @Get('tokens')
  async listTokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const acl = this.require(request, 'read');
    const reads = this.http.runtime.store.acl;
    const query = queryOf(request);
    const policy = queryValue(query, 'policy');
    const role = queryValue(query, 'role');
    const { value: tokens } = await this.blockingAcl(request, reply, 'acl-tokens', (acl) =>
      acl.tokens(),
    );
    const listed = tokens.filter(
      (token) =>
        (policy === '' || token.policies.some((link) => link.id === policy)) &&
        (role === '' || token.roles.some((link) => link.id === role)),
    );
    const show = canSeeSecrets(acl);
    return this.send(
      request,
      reply,
      listed.map((token) => tokenStubJson(reads, token, show)),
    );
  }

  // ---- policies ----

  @Put('policy')
  async createPolicy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const input = await readDecoded(request, decodePolicy);
    if (input.id !== '') throw badRequest('Invalid Policy: ID must not be set when creating');
    return this.writePolicy(request, reply, { ...input, id: newId() }, null);
  }

  @Get('policy/name/:name')
  async readPolicyByName(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.require(request, 'read');
    const { value } = await this.blockingAcl(request, reply, 'acl-policies', (reads) =>
      reads.policyByName(param(request, 'name')),
    );
    return this.sendPolicy(request, reply, value, null);
  }

  @Get('policy/:id')
  async readPolicy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'read');
    const { value } = await this.blockingAcl(request, reply, 'acl-policies', (reads) =>
      reads.policy(param(request, 'id')),
    );
    return this.sendPolicy(request, reply, value, null);
  }

  @Put('policy/:id')
  async updatePolicy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const id = param(request, 'id');
    const input = await readDecoded(request, decodePolicy);
    if (input.id !== '' && input.id !== id) {
      throw badRequest('Policy ID in URL and payload do not match');
    }
    const existing = this.http.runtime.store.acl.policy(id).value;
    if (existing === null) throw badRequest(`Cannot find policy ${JSON.stringify(id)}`);
    return this.writePolicy(request, reply, { ...input, id }, existing);
  }

  @Delete('policy/:id')
  async deletePolicy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const id = param(request, 'id');
    if (id === GLOBAL_MANAGEMENT_POLICY_ID) {
      throw badRequest('Delete operation not permitted on the builtin global-management policy');
    }
    await this.apply({ type: 'acl-policy-delete', id });
    return this.send(request, reply, true);
  }

  @Get('policies')
  async listPolicies(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'read');
    const { value } = await this.blockingAcl(request, reply, 'acl-policies', (reads) =>
      reads.policies(),
    );
    return this.send(request, reply, value.map(policyStubJson));
  }

  // ---- roles ----

  @Put('role')
  async createRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const input = await readDecoded(request, decodeRole);
    if (input.id !== '') throw badRequest('Invalid Role: ID must not be set when creating');
    return this.writeRole(request, reply, { ...input, id: newId() });
  }

  @Get('role/name/:name')
  async readRoleByName(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'read');
    const { value } = await this.blockingAcl(request, reply, 'acl-roles', (reads) =>
      reads.roleByName(param(request, 'name')),
    );
    if (value === null) throw new HttpError(403, 'ACL not found');
    return this.send(request, reply, roleJson(this.http.runtime.store.acl, value));
  }

  @Get('role/:id')
  async readRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'read');
    const { value } = await this.blockingAcl(request, reply, 'acl-roles', (reads) =>
      reads.role(param(request, 'id')),
    );
    if (value === null) throw new HttpError(403, 'ACL not found');
    return this.send(request, reply, roleJson(this.http.runtime.store.acl, value));
  }

  @Put('role/:id')
  async updateRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    const id = param(request, 'id');
    const input = await readDecoded(request, decodeRole);
    if (input.id !== '' && input.id !== id) {
      throw badRequest('Role ID in URL and payload do not match');
    }
    if (this.http.runtime.store.acl.role(id).value === null) {
      throw badRequest(`Cannot find role ${JSON.stringify(id)}`);
    }
    return this.writeRole(request, reply, { ...input, id });
  }

  @Delete('role/:id')
  async deleteRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'write');
    await this.apply({ type: 'acl-role-delete', id: param(request, 'id') });
    return this.send(request, reply, true);
  }

  @Get('roles')
  async listRoles(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.require(request, 'read');
    const reads = this.http.runtime.store.acl;
    const policy = queryValue(queryOf(request), 'policy');
    const { value } = await this.blockingAcl(request, reply, 'acl-roles', (acl) => acl.roles());
    const listed = value.filter(
      (role) => policy === '' || role.policies.some((link) => link.id === policy),
    );
    return this.send(
      request,
      reply,
      listed.map((role) => roleJson(reads, role)),
    );
  }

  // ---- shared ----

  private async writeToken(
    request: FastifyRequest,
    reply: FastifyReply,
    input: TokenInput,
    existing: AclTokenRecord | null,
  ): Promise<void> {
    const reads = this.http.runtime.store.acl;
    if (existing === null) {
      for (const [field, value] of [
        ['AccessorID', input.accessorId],
        ['SecretID', input.secretId],
      ] as const) {
        if (value === '') continue;
        if (!UUID.test(value)) throw badRequest(`Invalid Token: ${field} is not a valid UUID`);
        if (isReservedId(value)) {
          throw badRequest(`Invalid Token: ${field} is a reserved UUID`);
        }
      }
      if (input.accessorId !== '' && reads.token(input.accessorId).value !== null) {
        throw badRequest('Invalid Token: AccessorID is already in use');
      }
      if (input.secretId !== '' && reads.tokenBySecret(input.secretId) !== null) {
        throw badRequest('Invalid Token: SecretID is already in use');
      }
    } else {
      if (input.secretId !== '' && input.secretId !== existing.secretId) {
        throw badRequest('Changing a tokens SecretID is not permitted');
      }
      if (input.local !== existing.local) {
        throw badRequest(`Cannot toggle local mode of ${existing.accessorId}`);
      }
    }
    const expirationTime =
      existing !== null
        ? existing.expirationTime
        : expirationOf(input.expirationTime, input.expirationTtl);
    const token = tokenRecord({
      accessorId: existing?.accessorId ?? (input.accessorId || newId()),
      secretId: existing?.secretId ?? (input.secretId || newId()),
      description: input.description,
      policies: this.policyLinks(input.policies),
      roles: this.roleLinks(input.roles),
      serviceIdentities: input.serviceIdentities.map((id) => {
        if (id.serviceName === '')
          throw badRequest('Service identity is missing the service name field on this token');
        return id;
      }),
      nodeIdentities: input.nodeIdentities.map((id) => {
        if (id.nodeName === '')
          throw badRequest('Node identity is missing the node name field on this token');
        if (id.datacenter === '')
          throw badRequest(`Node identity is missing the datacenter field on this token`);
        return id;
      }),
      local: input.local,
      expirationTime,
      createTime: existing?.createTime,
    });
    await this.apply({ type: 'acl-token-set', token });
    return this.sendToken(request, reply, token.accessorId);
  }

  private async writePolicy(
    request: FastifyRequest,
    reply: FastifyReply,
    input: Omit<AclPolicyRecord, 'hash' | 'createIndex' | 'modifyIndex'>,
    existing: AclPolicyRecord | null,
  ): Promise<void> {
    if (input.name === '') throw badRequest('Invalid Policy: no Name is set');
    if (!POLICY_NAME.test(input.name))
      throw badRequest(`Invalid Policy: invalid Name "${input.name}"`);
    if (existing?.id === GLOBAL_MANAGEMENT_POLICY_ID && input.rules !== existing.rules) {
      throw badRequest(
        'Changing the Rules for the builtin global-management policy is not permitted',
      );
    }
    try {
      parsePolicyRules(input.rules);
    } catch (error) {
      if (error instanceof PolicyRulesError) {
        throw badRequest(`Invalid Policy: failed to parse rules: ${error.message}`);
      }
      throw error;
    }
    const policy = policyRecord(input);
    await this.apply({ type: 'acl-policy-set', policy });
    const { value, index } = this.http.runtime.store.acl.policy(policy.id);
    return this.sendPolicy(request, reply, value, index);
  }

  private async writeRole(
    request: FastifyRequest,
    reply: FastifyReply,
    input: ReturnType<typeof decodeRole>,
  ): Promise<void> {
    if (input.name === '') throw badRequest('Invalid Role: no Name is set');
    if (!ROLE_NAME.test(input.name)) throw badRequest(`Invalid Role: invalid Name "${input.name}"`);
    const role = roleRecord({
      id: input.id,
      name: input.name,
      description: input.description,
      policies: this.policyLinks(input.policies),
      serviceIdentities: input.serviceIdentities,
      nodeIdentities: input.nodeIdentities,
    });
    await this.apply({ type: 'acl-role-set', role });
    const reads = this.http.runtime.store.acl;
    const stored = reads.role(role.id).value ?? role;
    return this.send(request, reply, roleJson(reads, stored));
  }

  private policyLinks(links: readonly LinkInput[]): AclLink[] {
    const reads = this.http.runtime.store.acl;
    return uniqueLinks(
      links.map((link) => {
        if (link.id !== '') {
          if (reads.policy(link.id).value === null) {
            throw badRequest(`No such ACL policy with ID "${link.id}"`);
          }
          return { id: link.id };
        }
        const policy = reads.policyByName(link.name).value;
        if (policy === null) throw badRequest(`No such ACL policy with name "${link.name}"`);
        return { id: policy.id };
      }),
    );
  }

  private roleLinks(links: readonly LinkInput[]): AclLink[] {
    const reads = this.http.runtime.store.acl;
    return uniqueLinks(
      links.map((link) => {
        if (link.id !== '') {
          if (reads.role(link.id).value === null) {
            throw badRequest(`No such ACL role with ID "${link.id}"`);
          }
          return { id: link.id };
        }
        const role = reads.roleByName(link.name).value;
        if (role === null) throw badRequest(`No such ACL role with name "${link.name}"`);
        return { id: role.id };
      }),
    );
  }

  private async apply(
    cmd:
      | { type: 'acl-token-set'; token: AclTokenRecord }
      | { type: 'acl-token-delete'; accessorId: string }
      | { type: 'acl-policy-set'; policy: AclPolicyRecord }
      | { type: 'acl-policy-delete'; id: string }
      | { type: 'acl-role-set'; role: ReturnType<typeof roleRecord> }
      | { type: 'acl-role-delete'; id: string },
  ): Promise<void> {
    await requireLeader(this.http.runtime);
    const result = (await this.http.runtime.apply(cmd)) as AclResult;
    if (!result.ok) throw badRequest(result.error);
  }

  private sendToken(
    request: FastifyRequest,
    reply: FastifyReply,
    accessorId: string,
  ): Promise<void> {
    const reads = this.http.runtime.store.acl;
    const token = reads.token(accessorId).value;
    if (token === null) throw new HttpError(403, 'ACL not found');
    return this.send(request, reply, tokenJson(reads, token, true));
  }

  private sendPolicy(
    request: FastifyRequest,
    reply: FastifyReply,
    policy: AclPolicyRecord | null,
    index: number | null,
  ): Promise<void> {
    if (policy === null) throw new HttpError(403, 'ACL not found');
    if (index !== null) this.indexHeaders(reply, index);
    return this.send(request, reply, policyJson(policy));
  }

  /**
   * A read of the ACL tables as a blocking query: `?index` waits until `table` (tokens,
   * policies or roles) changes past it; consistency modes as every other read.
   */
  private blockingAcl<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    table: 'acl-tokens' | 'acl-policies' | 'acl-roles',
    read: (reads: AclReads) => ReadResult<T>,
  ): Promise<ReadResult<T>> {
    const { runtime } = this.http;
    return blockingRead(runtime, reply, parseQueryOptions(request, runtime), (ws) => {
      runtime.store.watchIndex(ws, table);
      return read(runtime.store.acl);
    });
  }

  private indexHeaders(reply: FastifyReply, index: number): void {
    reply.header('x-consul-index', String(index));
    setLeaderHeaders(reply, this.http.runtime);
  }

  private send(request: FastifyRequest, reply: FastifyReply, value: JsonValue): Promise<void> {
    return sendJson(
      request,
      reply,
      value,
      wantsPretty(request, this.http.runtime.config.prettyJson),
    );
  }

  private requireEnabled(): void {
    if (!this.http.runtime.acl.enabled()) throw new HttpError(401, 'ACL support disabled');
  }

  private acl(request: FastifyRequest): RequestAcl {
    const acl = requestAcl(request);
    if (acl === null) throw new Error('ACL endpoint reached without the request ACL hook');
    return acl;
  }

  /** 401 while ACLs are off; else the token needs acl:<access>. */
  private require(request: FastifyRequest, access: 'read' | 'write'): RequestAcl {
    this.requireEnabled();
    const acl = this.acl(request);
    acl.require('acl', '', access);
    return acl;
  }
}

function canSeeSecrets(acl: RequestAcl): boolean {
  return acl.allows('acl', '', 'write');
}

function param(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, string | undefined>)[name];
  return value ?? '';
}

function uniqueLinks(links: AclLink[]): AclLink[] {
  const seen = new Set<string>();
  return links.filter((link) => !seen.has(link.id) && seen.add(link.id));
}

function expirationOf(time: string, ttl: string): string | null {
  if (time !== '' && ttl !== '') {
    throw badRequest('Expiration TTL and Expiration Time cannot both be set');
  }
  if (time !== '') {
    const at = Date.parse(time);
    if (Number.isNaN(at))
      throw badRequest(`Invalid Token: ExpirationTime ${JSON.stringify(time)} is not RFC 3339`);
    if (at <= Date.now()) throw badRequest('ExpirationTime cannot be in the past');
    return new Date(at).toISOString();
  }
  if (ttl === '') return null;
  let ms: number;
  try {
    ms = parseDuration(ttl);
  } catch (error) {
    throw badRequest(`Invalid Token: ExpirationTTL: ${(error as Error).message}`);
  }
  if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) {
    throw badRequest(`Invalid Token: ExpirationTTL ${ttl} should be between 1m0s and 24h0m0s`);
  }
  return new Date(Date.now() + ms).toISOString();
}

async function readJson(request: FastifyRequest): Promise<ParsedJson> {
  const raw = await readBody(request, MAX_BODY_BYTES, () =>
    tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
  );
  const text = raw.toString('utf8');
  return text.trim() === '' ? null : decoded(() => parseJsonBody(text));
}

async function readDecoded<T>(
  request: FastifyRequest,
  decode: (body: ParsedJson) => T,
): Promise<T> {
  const body = await readJson(request);
  return decoded(() => decode(body));
}

function bootstrapSecret(body: ParsedJson): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const value = (body as Record<string, ParsedJson>).BootstrapSecret;
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw badRequest('Invalid BootstrapSecret: must be a UUID');
  }
  return value;
}

async function readResetIndex(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 0;
  }
  const index = Number(text.trim());
  if (!Number.isSafeInteger(index) || index <= 0) {
    throw badRequest(`Invalid reset index in ${file}: ${JSON.stringify(text.trim())}`);
  }
  return index;
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
