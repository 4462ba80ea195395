// /v1/catalog/*: for now the datacenters list (this agent knows only its own).
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { HttpContext } from '../context';
import { sendJson, wantsPretty } from '../respond';

@Controller('v1/catalog')
export class CatalogController {
  constructor(private readonly http: HttpContext) {}

  @Get('datacenters')
  datacenters(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { config } = this.http.runtime;
    sendJson(request, reply, [config.datacenter], wantsPretty(request, config.prettyJson));
  }
}
