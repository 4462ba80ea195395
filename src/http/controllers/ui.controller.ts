// /v1/internal/ui/*: the summaries Consul's web UI reads (agent/ui_endpoint.go), blocking as
// every catalog read.
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { parseQueryOptions } from '../blocking';
import { HttpContext } from '../context';
import { sendView } from '../listing';
import { uiServicesView } from '../ui-views';

@Controller('v1/internal/ui')
export class UiController {
  constructor(private readonly http: HttpContext) {}

  @Get('services')
  async services(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    await sendView(runtime, request, reply, options, (ws) =>
      uiServicesView(runtime.store, runtime.config.datacenter, ws),
    );
  }
}
