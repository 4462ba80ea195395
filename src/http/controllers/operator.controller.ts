// /v1/operator/raft/*: the Raft configuration, removing a peer, handing leadership over
// (agent/operator_endpoint.go). Autopilot's endpoints join once autopilot runs in the agent.
import { Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { PeerNotFoundError } from '../../server';
import { checkDatacenter, parseConsistency, prepareRead, setLeaderHeaders } from '../blocking';
import { HttpContext } from '../context';
import { badRequest, serverError } from '../errors';
import { queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

@Controller('v1/operator/raft')
export class OperatorController {
  constructor(private readonly http: HttpContext) {}

  /** The servers of the configuration in force: `{Servers: [...], Index}`. */
  @Get('configuration')
  async configuration(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    const consistency = parseConsistency(query);
    await prepareRead(runtime, consistency);
    const view = await runtime.operator.configurationFromLeader(consistency === 'stale');
    setLeaderHeaders(reply, runtime);
    const body = {
      Servers: view.servers.map((server) => ({
        ID: server.id,
        Node: server.node,
        Address: server.address,
        Leader: server.leader,
        Voter: server.voter,
        ProtocolVersion: server.protocolVersion,
        LastIndex: server.lastIndex,
      })),
      Index: view.index,
    };
    return sendJson(request, reply, body, wantsPretty(request, runtime.config.prettyJson));
  }

  /** `?id=` or `?address=` (exactly one): removes that server from the configuration. */
  @Delete('peer')
  async removePeer(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    const id = queryValue(query, 'id');
    const address = queryValue(query, 'address');
    if (id === '' && address === '') {
      throw badRequest(
        "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
      );
    }
    if (id !== '' && address !== '') throw badRequest('Must specify only one of ?id or ?address');
    try {
      await runtime.operator.removePeer(id !== '' ? { id } : { address });
    } catch (err) {
      if (err instanceof PeerNotFoundError) throw serverError(err.message);
      throw err;
    }
    sendEmpty(request, reply, 200);
  }

  /** `?id=` (optional): hands leadership to that server, or to the best candidate. */
  @Post('transfer-leader')
  async transferLeader(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    try {
      await runtime.operator.transferLeader(queryValue(query, 'id'));
    } catch (err) {
      if (err instanceof PeerNotFoundError) throw badRequest(err.message);
      throw err;
    }
    return sendJson(
      request,
      reply,
      { Success: true },
      wantsPretty(request, runtime.config.prettyJson),
    );
  }
}
