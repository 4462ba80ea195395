// PUT /v1/agent/token/:name: replaces one of the agent's ACL tokens (agent/agent_endpoint.go
// AgentToken); with acl.enable_token_persistence it is also written to data_dir.
import { Controller, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { readBody } from '../body';
import { AgentContext } from '../context';
import { badRequest, HttpError, tooLarge } from '../errors';
import { BodyDecodeError, goString, ROOT, structFields } from '../go-decode';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { pathSuffix } from '../path';
import { sendEmpty } from '../respond';

/** Token names Consul takes here, legacy names mapped to the current ones. */
const TOKEN_NAMES: Readonly<Record<string, string>> = {
  default: 'default',
  acl_token: 'default',
  agent: 'agent',
  acl_agent_token: 'agent',
  agent_recovery: 'agent_recovery',
  agent_master: 'agent_recovery',
  acl_agent_master_token: 'agent_recovery',
  replication: 'replication',
  acl_replication_token: 'replication',
  config_file_service_registration: 'config_file_service_registration',
  dns: 'dns',
};

@Controller('v1/agent')
export class AgentTokenController {
  constructor(private readonly http: AgentContext) {}

  @Put('token/*')
  async setToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    if (!runtime.acl.enabled()) throw new HttpError(401, 'ACL support disabled');
    const name = pathSuffix(request, '/v1/agent/token/');
    const body = await readBody(request, 64 * 1024, () => tooLarge('Request body too large'));
    let token: string;
    try {
      const fields = structFields(
        parseJsonBody(body.toString('utf8')),
        { goType: 'api.AgentToken', fields: ['Token'] },
        ROOT,
      );
      token = goString(fields?.get('Token') ?? null, { struct: 'AgentToken', path: 'Token' });
    } catch (error) {
      if (error instanceof JsonSyntaxError || error instanceof BodyDecodeError) {
        throw badRequest(`Request decode failed: ${error.message}`);
      }
      throw error;
    }
    const canonical = TOKEN_NAMES[name];
    if (canonical === undefined) throw new HttpError(404, `Token "${name}" is unknown`);
    runtime.acl.setAgentToken(canonical, token);
    this.http.logger.info({ token: canonical }, 'Updated agent ACL token');
    sendEmpty(request, reply, 200);
  }
}
