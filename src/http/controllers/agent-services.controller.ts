// /v1/agent/services, /v1/agent/service/* and /v1/agent/health/service/* (consul-api.md §5.2):
// the agent's own services, registered from config files or here, with hash-based blocking on
// one service and the aggregated local health of a service by name or ID.
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { admitService, decodeServiceInput, type LocalService } from '../../agent';
import { NODE_SERVICE_SELECTORS } from '../../filter';
import {
  agentCheckJson,
  agentFilter,
  agentServiceJson,
  aggregatedStatus,
  asHttp,
  enableFlag,
  readJsonBody,
  serviceContentHash,
  statusCodeOf,
  wantsText,
} from '../agent-json';
import { parseQueryOptions } from '../blocking';
import { AgentContext } from '../context';
import { badRequest, HttpError } from '../errors';
import type { JsonValue } from '../json';
import { pathSuffix } from '../path';
import { queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, sendText, wantsPretty } from '../respond';

@Controller('v1/agent')
export class AgentServicesController {
  constructor(private readonly http: AgentContext) {}

  @Get('services')
  async services(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local, config } = this.http.runtime;
    const filter = agentFilter(request, NODE_SERVICE_SELECTORS);
    const out: { [id: string]: JsonValue } = {};
    for (const service of local.listServices()) {
      const json = agentServiceJson(service, config.datacenter);
      if (filter.matches(json)) out[service.record.id] = json;
    }
    return sendJson(request, reply, out, wantsPretty(request, config.prettyJson));
  }

  @Get('service/*')
  async service(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const id = pathSuffix(request, '/v1/agent/service/');
    const hash = queryValue(queryOf(request), 'hash');
    const { waitMs } = parseQueryOptions(request, runtime);
    const current = (): LocalService | undefined => runtime.local.service(id);
    if (hash !== '' && current() !== undefined) {
      await waitForChange(runtime.local, waitMs, reply, () => {
        const service = current();
        return (
          service === undefined || serviceContentHash(service, runtime.config.datacenter) !== hash
        );
      });
    }
    const service = current();
    if (service === undefined) throw new HttpError(404, `unknown service ID: ${id}`);
    const contentHash = serviceContentHash(service, runtime.config.datacenter);
    reply.header('x-consul-contenthash', contentHash);
    return sendJson(
      request,
      reply,
      agentServiceJson(service, runtime.config.datacenter, contentHash),
      wantsPretty(request, runtime.config.prettyJson),
    );
  }

  @Put('service/register')
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local } = this.http.runtime;
    const body = await readJsonBody(request);
    // Only an empty value or "true" turns it on (Consul's own parsing of this one flag).
    const replace = queryOf(request)['replace-existing-checks'];
    const replaceExisting =
      replace !== undefined &&
      ['', 'true'].includes(queryValue(queryOf(request), 'replace-existing-checks'));
    asHttp(() => {
      const admitted = admitService(decodeServiceInput(body, 'api'), {
        source: 'api',
        scriptChecksAllowed: (source) => local.scriptChecksAllowed(source),
      });
      local.registerService(admitted, replaceExisting);
    });
    sendEmpty(request, reply, 200);
  }

  @Put('service/deregister/*')
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const id = pathSuffix(request, '/v1/agent/service/deregister/');
    asHttp(() => this.http.runtime.local.deregisterService(id));
    sendEmpty(request, reply, 200);
  }

  @Put('service/maintenance/*')
  maintenance(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const id = pathSuffix(request, '/v1/agent/service/maintenance/');
    if (id === '') throw badRequest('Missing service ID');
    const enable = enableFlag(request);
    const reason = queryValue(queryOf(request), 'reason');
    asHttp(() => this.http.runtime.local.setServiceMaintenance(id, enable, reason));
    sendEmpty(request, reply, 200);
  }

  @Get('health/service/name/*')
  async healthByName(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local, config } = this.http.runtime;
    const name = pathSuffix(request, '/v1/agent/health/service/name/');
    if (name === '') throw badRequest('Missing serviceName');
    let code = 404;
    let status = `ServiceName ${name} Not Found`;
    const result: JsonValue[] = [];
    for (const service of local.listServices()) {
      if (service.record.service !== name) continue;
      const checks = local.checksForService(service.record.id);
      const aggregated = aggregatedStatus(checks);
      const serviceCode = statusCodeOf(aggregated);
      result.push({
        AggregatedStatus: aggregated,
        Service: agentServiceJson(service, config.datacenter),
        Checks: checks.map((check) => agentCheckJson(check, config.nodeName)),
      });
      // The worst status wins: passing 200 < warning 429 < critical 503.
      if (code === 404 || code < serviceCode) {
        code = serviceCode;
        status = aggregated;
      }
    }
    reply.header('x-consul-reason', status);
    if (wantsText(request)) return sendText(request, reply, code, status);
    return sendJson(request, reply, result, wantsPretty(request, config.prettyJson), code);
  }

  @Get('health/service/id/*')
  async healthById(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { local, config } = this.http.runtime;
    const id = pathSuffix(request, '/v1/agent/health/service/id/');
    if (id === '') throw badRequest('Missing serviceID');
    const pretty = wantsPretty(request, config.prettyJson);
    const service = local.service(id);
    if (service === undefined) {
      const reason = `ServiceId ${id} not found`;
      reply.header('x-consul-reason', reason);
      if (wantsText(request)) return sendText(request, reply, 404, reason);
      const body = { AggregatedStatus: 'critical', Service: null, Checks: null };
      return sendJson(request, reply, body, pretty, 404);
    }
    const checks = local.checksForService(id);
    const aggregated = aggregatedStatus(checks);
    const code = statusCodeOf(aggregated);
    reply.header('x-consul-reason', aggregated);
    if (wantsText(request)) return sendText(request, reply, code, aggregated);
    const body = {
      AggregatedStatus: aggregated,
      Service: agentServiceJson(service, config.datacenter),
      Checks: checks.map((check) => agentCheckJson(check, config.nodeName)),
    };
    return sendJson(request, reply, body, pretty, code);
  }
}

/** Hash-based blocking: resolves when `changed()` holds, the wait expires, or the client leaves. */
function waitForChange(
  local: { onChange(listener: () => void): () => void },
  waitMs: number,
  reply: FastifyReply,
  changed: () => boolean,
): Promise<void> {
  if (changed()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      reply.raw.off('close', finish);
      resolve();
    };
    const timer = setTimeout(finish, waitMs);
    const unsubscribe = local.onChange(() => {
      if (changed()) finish();
    });
    reply.raw.once('close', finish);
  });
}
