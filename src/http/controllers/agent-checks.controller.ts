// /v1/agent/checks and /v1/agent/check/* (consul-api.md §5.3): the agent's own checks, their
// registration, and the TTL reports applications send (pass/warn/fail/update).
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  admitCheck,
  decodeCheckInput,
  decodeCheckUpdate,
  isStatus,
  type CheckStatus,
} from '../../agent';
import { HEALTH_CHECK_SELECTORS } from '../../filter';
import { agentCheckJson, agentFilter, asHttp, readJsonBody } from '../agent-json';
import { AgentContext } from '../context';
import { badRequest } from '../errors';
import type { JsonValue } from '../json';
import { pathSuffix } from '../path';
import { queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

@Controller('v1/agent')
export class AgentChecksController {
  constructor(private readonly http: AgentContext) {}

  @Get('checks')
  async checks(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local, config } = this.http.runtime;
    const filter = agentFilter(request, HEALTH_CHECK_SELECTORS);
    const out: { [id: string]: JsonValue } = {};
    for (const check of local.listChecks()) {
      const json = agentCheckJson(check, config.nodeName);
      if (filter.matches(json)) out[check.definition.id] = json;
    }
    return sendJson(request, reply, out, wantsPretty(request, config.prettyJson));
  }

  @Put('check/register')
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local } = this.http.runtime;
    const body = await readJsonBody(request);
    asHttp(() => {
      const admitted = admitCheck(decodeCheckInput(body, 'api'), {
        source: 'api',
        scriptChecksAllowed: (source) => local.scriptChecksAllowed(source),
      });
      local.registerCheck(admitted);
    });
    sendEmpty(request, reply, 200);
  }

  @Put('check/deregister/*')
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const id = pathSuffix(request, '/v1/agent/check/deregister/');
    asHttp(() => this.http.runtime.local.deregisterCheck(id));
    sendEmpty(request, reply, 200);
  }

  @Put('check/pass/*')
  pass(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.report(request, reply, 'pass', 'passing');
  }

  @Put('check/warn/*')
  warn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.report(request, reply, 'warn', 'warning');
  }

  @Put('check/fail/*')
  fail(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.report(request, reply, 'fail', 'critical');
  }

  @Put('check/update/*')
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const id = pathSuffix(request, '/v1/agent/check/update/');
    const body = await readJsonBody(request);
    const update = asHttp(() => decodeCheckUpdate(body));
    if (!isStatus(update.status)) {
      throw badRequest(`Invalid check status: '${update.status}'`);
    }
    asHttp(() =>
      this.http.runtime.local.updateTtl(id, update.status as CheckStatus, update.output),
    );
    sendEmpty(request, reply, 200);
  }

  private report(
    request: FastifyRequest,
    reply: FastifyReply,
    verb: string,
    status: CheckStatus,
  ): void {
    const id = pathSuffix(request, `/v1/agent/check/${verb}/`);
    const note = queryValue(queryOf(request), 'note');
    asHttp(() => this.http.runtime.local.updateTtl(id, status, note));
    sendEmpty(request, reply, 200);
  }
}
