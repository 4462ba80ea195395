// /v1/operator/keyring (consul-api.md §14): list, install, use and remove gossip keys across
// every member of the LAN pool (and the WAN pool on servers), through serf's key queries.
import { Controller, Delete, Get, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { KeyResponse, Serf } from '../../gossip';
import { readBody } from '../body';
import { AgentContext } from '../context';
import { badRequest, serverError, tooLarge } from '../errors';
import type { JsonValue } from '../json';
import { JsonSyntaxError, parseJsonBody, type ParsedJson } from '../json-parse';
import { hasQueryFlag } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

type KeyOperation = 'installKey' | 'useKey' | 'removeKey';

@Controller('v1/operator/keyring')
export class KeyringController {
  constructor(private readonly http: AgentContext) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const pools = this.pools(hasQueryFlag(request, 'local-only'));
    const answers: JsonValue[] = [];
    for (const { wan, serf } of pools) {
      const response = await serf.keyManager().listKeys();
      answers.push(keyringJson(response, wan, runtime.config.datacenter));
    }
    return sendJson(request, reply, answers, wantsPretty(request, runtime.config.prettyJson));
  }

  @Post()
  install(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.change(request, reply, 'installKey');
  }

  @Put()
  use(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.change(request, reply, 'useKey');
  }

  @Delete()
  remove(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.change(request, reply, 'removeKey');
  }

  private async change(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: KeyOperation,
  ): Promise<void> {
    const body = await readBody(request, 64 * 1024, (bytes) =>
      tooLarge(`Request body too large (${bytes} bytes)`),
    );
    let parsed: ParsedJson;
    try {
      parsed = parseJsonBody(body.toString('utf8'));
    } catch (error) {
      if (error instanceof JsonSyntaxError)
        throw badRequest(`Request decode failed: ${error.message}`);
      throw error;
    }
    const key =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as { [key: string]: ParsedJson }).Key
        : undefined;
    if (typeof key !== 'string' || key === '') {
      throw badRequest('Request decode failed: missing Key');
    }
    const errors: string[] = [];
    // WAN first, as Consul's KeyringOperation does on servers.
    for (const { wan, serf } of [...this.pools(false)].reverse()) {
      const response = await serf.keyManager()[operation](key);
      if (response.numErr > 0) {
        const messages = Object.entries(response.messages).map(
          ([node, text]) => `${node}: ${text}`,
        );
        errors.push(
          `${wan ? 'WAN' : 'LAN'} error: ${response.numErr}/${response.numNodes} nodes reported failure${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`,
        );
      }
    }
    if (errors.length > 0) throw serverError(errors.join('\n'));
    sendEmpty(request, reply, 200);
  }

  private pools(localOnly: boolean): { wan: boolean; serf: Serf }[] {
    const { membership } = this.http.runtime;
    const pools: { wan: boolean; serf: Serf }[] = [{ wan: false, serf: membership.lan }];
    if (membership.wan !== null && !localOnly) pools.unshift({ wan: true, serf: membership.wan });
    return pools;
  }
}

function keyringJson(response: KeyResponse, wan: boolean, datacenter: string): JsonValue {
  return {
    WAN: wan,
    Datacenter: datacenter,
    Segment: '',
    Partition: '',
    Keys: { ...response.keys },
    PrimaryKeys: { ...response.primaryKeys },
    NumNodes: response.numNodes,
    Messages: { ...response.messages },
  };
}
