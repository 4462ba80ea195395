// /v1/health/*: checks by node, by service, by state, and service instances with their health
// (consul-api.md §6.2), as Consul's agent/health_endpoint.go. All blocking.
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { CHECK_SERVICE_NODE_SELECTORS, HEALTH_CHECK_SELECTORS } from '../../filter';
import { parseQueryOptions } from '../blocking';
import { parseFilter, parseNear, parseNodeMeta, parsePassing, parseTags } from '../catalog-params';
import { HttpContext } from '../context';
import { badRequest } from '../errors';
import { unwrittenTablesView } from '../catalog-views';
import {
  healthChecksView,
  healthConnectView,
  healthNodeView,
  healthServiceView,
  healthStateView,
} from '../health-views';
import { sendView } from '../listing';
import { pathSuffix } from '../path';
import { queryOf, queryValue } from '../query';

@Controller('v1/health')
export class HealthController {
  constructor(private readonly http: HttpContext) {}

  @Get('node/*')
  async node(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const node = pathSuffix(request, '/v1/health/node/');
    if (node === '') throw badRequest('Missing node name');
    const filter = parseFilter(queryOf(request), HEALTH_CHECK_SELECTORS);
    await sendView(runtime, request, reply, options, (ws) =>
      healthNodeView(runtime.store, node, filter, ws),
    );
  }

  @Get('checks/*')
  async checks(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const service = pathSuffix(request, '/v1/health/checks/');
    if (service === '') throw badRequest('Missing service name');
    const list = {
      filter: parseFilter(query, HEALTH_CHECK_SELECTORS),
      nodeMeta: parseNodeMeta(query),
      near: parseNear(query, runtime.config.nodeName),
    };
    await sendView(runtime, request, reply, options, (ws) =>
      healthChecksView(runtime.store, service, list, ws),
    );
  }

  @Get('service/*')
  service(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.serviceNodes(request, reply, 'service');
  }

  @Get('connect/*')
  connect(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.serviceNodes(request, reply, 'connect');
  }

  @Get('ingress/*')
  ingress(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.serviceNodes(request, reply, 'ingress');
  }

  /**
   * Consul's healthServiceNodes: the service's instances, its connect-capable ones, or the
   * ingress gateways in front of it — one parameter set, `?peer` included.
   */
  private async serviceNodes(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: 'service' | 'connect' | 'ingress',
  ): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const peer = queryValue(query, 'peer');
    const service = pathSuffix(request, `/v1/health/${kind}/`);
    if (service === '') throw badRequest('Missing service name');
    const list = {
      filter: parseFilter(query, CHECK_SERVICE_NODE_SELECTORS),
      nodeMeta: parseNodeMeta(query),
      near: parseNear(query, runtime.config.nodeName),
      tags: parseTags(query),
      passing: parsePassing(query),
    };
    await sendView(runtime, request, reply, options, (ws) => {
      if (kind === 'connect') {
        return peer === ''
          ? healthConnectView(runtime.store, service, ws)
          : unwrittenTablesView([]);
      }
      // Consul picks the tag lookup before the ingress one: `ingress/:s?tag=` lists the service.
      if (kind === 'ingress' && list.tags === null) return unwrittenTablesView([]);
      if (peer !== '') return unwrittenTablesView([]);
      return healthServiceView(runtime.store, service, list, ws);
    });
  }

  @Get('state/*')
  async state(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const state = pathSuffix(request, '/v1/health/state/');
    if (state === '') throw badRequest('Missing check state');
    const list = {
      filter: parseFilter(query, HEALTH_CHECK_SELECTORS),
      nodeMeta: parseNodeMeta(query),
      near: parseNear(query, runtime.config.nodeName),
    };
    await sendView(runtime, request, reply, options, (ws) =>
      healthStateView(runtime.store, state, list, ws),
    );
  }
}
