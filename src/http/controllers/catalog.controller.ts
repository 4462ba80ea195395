// /v1/catalog/*: register/deregister and the blocking listings (consul-api.md §4), as Consul's
// agent/catalog_endpoint.go. This agent knows only its own datacenter.
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { NODE_SELECTORS, NODE_SERVICE_SELECTORS, SERVICE_NODE_SELECTORS } from '../../filter';
import { parseQueryOptions } from '../blocking';
import { parseFilter, parseNear, parseNodeMeta, parseTags } from '../catalog-params';
import {
  catalogConnectView,
  catalogNodeServicesView,
  catalogNodesView,
  catalogNodeView,
  catalogServicesView,
  catalogServiceView,
  unwrittenTablesView,
} from '../catalog-views';
import { deregisterFromCatalog, registerInCatalog } from '../catalog-write';
import { HttpContext } from '../context';
import { badRequest } from '../errors';
import { sendView } from '../listing';
import { pathSuffix } from '../path';
import { queryOf } from '../query';
import { sendJson, wantsPretty } from '../respond';

@Controller('v1/catalog')
export class CatalogController {
  constructor(private readonly http: HttpContext) {}

  @Get('datacenters')
  async datacenters(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { config, otherDatacenters } = this.http.runtime;
    return sendJson(
      request,
      reply,
      otherDatacenters.datacenters(),
      wantsPretty(request, config.prettyJson),
    );
  }

  @Put('register')
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await registerInCatalog(this.http.runtime, request);
    return sendJson(
      request,
      reply,
      true,
      wantsPretty(request, this.http.runtime.config.prettyJson),
    );
  }

  @Put('deregister')
  async deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await deregisterFromCatalog(this.http.runtime, request);
    return sendJson(
      request,
      reply,
      true,
      wantsPretty(request, this.http.runtime.config.prettyJson),
    );
  }

  @Get('nodes')
  async nodes(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const list = {
      filter: parseFilter(query, NODE_SELECTORS),
      nodeMeta: parseNodeMeta(query),
      near: parseNear(query, runtime.config.nodeName),
    };
    await sendView(runtime, request, reply, options, (ws) =>
      catalogNodesView(runtime.store, list, ws),
    );
  }

  @Get('services')
  async services(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const list = {
      filter: parseFilter(query, SERVICE_NODE_SELECTORS),
      filtered: query.filter !== undefined,
      nodeMeta: parseNodeMeta(query),
      near: '',
    };
    await sendView(runtime, request, reply, options, (ws) =>
      catalogServicesView(runtime.store, list, ws),
    );
  }

  @Get('service/*')
  async service(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const name = pathSuffix(request, '/v1/catalog/service/');
    if (name === '') throw badRequest('Missing service name');
    const list = {
      filter: parseFilter(query, SERVICE_NODE_SELECTORS),
      nodeMeta: parseNodeMeta(query),
      near: parseNear(query, runtime.config.nodeName),
      tags: parseTags(query),
    };
    await sendView(runtime, request, reply, options, (ws) =>
      catalogServiceView(runtime.store, name, list, ws),
    );
  }

  /** Consul's catalogServiceNodes with Connect set: the same parameters, checked the same way. */
  @Get('connect/*')
  async connect(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const name = pathSuffix(request, '/v1/catalog/connect/');
    if (name === '') throw badRequest('Missing service name');
    parseFilter(query, SERVICE_NODE_SELECTORS);
    await sendView(runtime, request, reply, options, (ws) =>
      catalogConnectView(runtime.store, name, ws),
    );
  }

  @Get('gateway-services/*')
  async gatewayServices(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const gateway = pathSuffix(request, '/v1/catalog/gateway-services/');
    if (gateway === '') throw badRequest('Missing gateway name');
    await sendView(runtime, request, reply, options, () => unwrittenTablesView(null));
  }

  @Get('node/*')
  async node(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const node = pathSuffix(request, '/v1/catalog/node/');
    if (node === '') throw badRequest('Missing node name');
    const filter = parseFilter(queryOf(request), NODE_SERVICE_SELECTORS);
    await sendView(runtime, request, reply, options, (ws) =>
      catalogNodeView(runtime.store, node, filter, ws),
    );
  }

  @Get('node-services/*')
  async nodeServices(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const node = pathSuffix(request, '/v1/catalog/node-services/');
    if (node === '') throw badRequest('Missing node name');
    const filter = parseFilter(queryOf(request), NODE_SERVICE_SELECTORS);
    await sendView(runtime, request, reply, options, (ws) =>
      catalogNodeServicesView(runtime.store, node, filter, ws),
    );
  }
}
