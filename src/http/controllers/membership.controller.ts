// Gossip membership over HTTP (consul-api.md §14): /v1/agent/members, join, leave, force-leave.
import { Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AgentContext } from '../context';
import { serverError } from '../errors';
import { memberJson } from '../member-json';
import { hasQueryFlag, queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

// Consul's api.AllSegments: members of every network segment.
const ALL_SEGMENTS = '_all';

@Controller('v1/agent')
export class MembershipController {
  constructor(private readonly http: AgentContext) {}

  /** The LAN pool's members (`?wan`: the WAN pool's), `?segment` as Consul's OSS build. */
  @Get('members')
  async members(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const wan = hasQueryFlag(request, 'wan');
    if (wan && runtime.membership.wan === null) {
      throw serverError('Cannot list WAN members: this agent is not a server');
    }
    const segment = queryValue(queryOf(request), 'segment');
    const members = runtime.membership
      .pool(wan)
      .members()
      .filter(
        (member) => wan || segment === ALL_SEGMENTS || (member.tags.segment ?? '') === segment,
      );
    return sendJson(
      request,
      reply,
      members.map(memberJson),
      wantsPretty(request, runtime.config.prettyJson),
    );
  }

  @Put('join/*')
  async join(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const address = (request.params as { '*': string })['*'];
    const wan = hasQueryFlag(request, 'wan');
    if (wan && runtime.membership.wan === null) {
      throw serverError('Cannot join a WAN pool: this agent is not a server');
    }
    try {
      await runtime.membership.join([address], wan);
    } catch (error) {
      throw serverError((error as Error).message);
    }
    sendEmpty(request, reply, 200);
  }

  /** Leaves both pools gracefully, answers, then shuts the agent down (as Consul). */
  @Put('leave')
  async leave(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    try {
      await runtime.membership.leave();
    } catch (error) {
      throw serverError((error as Error).message);
    }
    reply.raw.once('finish', () => void runtime.leave());
    sendEmpty(request, reply, 200);
  }

  /** Marks a failed member left (`?prune`: forgets it at once; `?wan`: in the WAN pool). */
  @Put('force-leave/:node')
  async forceLeave(
    @Param('node') node: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { runtime } = this.http;
    const wan = hasQueryFlag(request, 'wan');
    if (wan && runtime.membership.wan === null) {
      throw serverError('Cannot force-leave in the WAN pool: this agent is not a server');
    }
    try {
      await runtime.membership.pool(wan).removeFailedNode(node, hasQueryFlag(request, 'prune'));
    } catch (error) {
      throw serverError((error as Error).message);
    }
    sendEmpty(request, reply, 200);
  }
}
