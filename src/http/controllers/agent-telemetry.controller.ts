// /v1/agent/metrics (Consul's JSON view or, with prometheus_retention_time, Prometheus' text
// format) and /v1/agent/monitor (the agent's log, streamed until the client goes away).
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { metrics, type LogLevelName } from '../../telemetry';
import { AgentContext } from '../context';
import { badRequest, HttpError } from '../errors';
import { hasQueryFlag, queryOf, queryValue } from '../query';
import { finish, sendJson, wantsPretty } from '../respond';

const MONITOR_FLUSH_MS = 200;
const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error']);

@Controller('v1/agent')
export class AgentTelemetryController {
  constructor(private readonly http: AgentContext) {}

  @Get('metrics')
  async metrics(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = queryOf(request);
    const accept = request.headers.accept ?? '';
    if (
      queryValue(query, 'format') === 'prometheus' ||
      accept.includes('application/openmetrics-text')
    ) {
      const text = await metrics.prometheusText();
      if (text === null) {
        throw new HttpError(
          415,
          'Prometheus is not enabled since its retention time is not positive',
        );
      }
      finish(request, reply, 200, text.contentType, text.body);
      return;
    }
    const pretty = wantsPretty(request, this.http.runtime.config.prettyJson);
    return sendJson(request, reply, metrics.json(), pretty);
  }

  /** Streams log lines at ?loglevel (default info), as text or with ?logjson as JSON objects. */
  @Get('monitor')
  monitor(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const wanted = (queryValue(queryOf(request), 'loglevel') || 'info').toLowerCase();
    const level = wanted === 'warning' ? 'warn' : wanted === 'err' ? 'error' : wanted;
    if (!LEVELS.has(level)) throw badRequest(`Unknown log level: ${wanted}`);
    const subscription = this.http.runtime.logs.subscribe(
      level as LogLevelName,
      hasQueryFlag(request, 'logjson'),
    );
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'x-consul-default-acl-policy': 'allow',
      'cache-control': 'no-cache',
    });
    out.flushHeaders();
    let timer: NodeJS.Timeout | null = null;
    const flush = (): void => {
      timer = null;
      const { lines, dropped } = subscription.take();
      if (dropped > 0) {
        this.http.logger.warn(
          { dropped },
          'monitor: dropped log lines the client was too slow for',
        );
      }
      if (lines.length > 0) out.write(lines.join(''));
      subscription.onLine(schedule);
    };
    const schedule = (): void => {
      timer ??= setTimeout(flush, MONITOR_FLUSH_MS);
    };
    subscription.onLine(schedule);
    const stop = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      subscription.close();
    };
    request.raw.once('close', stop);
    out.once('close', stop);
  }
}
