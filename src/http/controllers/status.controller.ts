// /v1/status/leader and /v1/status/peers: the Raft leader's and the voters' RPC addresses.
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { checkDatacenter } from '../blocking';
import { HttpContext } from '../context';
import { queryOf } from '../query';
import { sendJson, wantsPretty } from '../respond';

@Controller('v1/status')
export class StatusController {
  constructor(private readonly http: HttpContext) {}

  /** `"ip:port"` of the leader, `""` when there is none. */
  @Get('leader')
  async leader(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    checkDatacenter(queryOf(request), runtime);
    const status = runtime.raft.status();
    const leader =
      status.leaderId === null
        ? ''
        : (status.leaderAddress ??
          status.membership.servers.find((server) => server.id === status.leaderId)?.address ??
          '');
    return sendJson(request, reply, leader, wantsPretty(request, runtime.config.prettyJson));
  }

  /** The voters' addresses, in configuration order. */
  @Get('peers')
  async peers(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    checkDatacenter(queryOf(request), runtime);
    const peers = runtime.raft
      .status()
      .membership.servers.filter((server) => server.voter)
      .map((server) => server.address);
    return sendJson(request, reply, peers, wantsPretty(request, runtime.config.prettyJson));
  }
}
