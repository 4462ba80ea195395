// / : Consul answers with a short text when the UI is not served, whatever the method (its
// index handler has no method check).
import { All, Controller, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { sendText } from '../respond';

const INDEX_TEXT = 'Consulate Agent: the web UI is not available on this agent.';

@Controller()
export class RootController {
  @All()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    sendText(request, reply, 200, INDEX_TEXT);
  }
}
