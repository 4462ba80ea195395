// / : with the web UI on, a redirect to it (301, as Consul's index handler); without, a short
// text saying what this server is, whatever the method (Consul's index has no method check).
import { All, Controller, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AgentContext } from '../context';
import { sendText } from '../respond';

const INDEX_TEXT =
  'Consulate Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.';

@Controller()
export class RootController {
  constructor(private readonly http: AgentContext) {}

  @All()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { ui, uiConfig } = this.http.runtime.config;
    if (!ui) {
      sendText(request, reply, 200, INDEX_TEXT);
      return;
    }
    reply.code(301).header('location', uiConfig.contentPath);
    sendText(request, reply, 301, `<a href="${uiConfig.contentPath}">Moved Permanently</a>.\n\n`);
  }
}
