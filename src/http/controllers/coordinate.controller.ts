// /v1/coordinate/*: the servers' WAN coordinates per datacenter, the LAN coordinates of the
// catalog's nodes (blocking), and agents' updates (batched through Raft on the servers), as
// Consul's agent/coordinate_endpoint.go.
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { coordinateProblem } from '../../coordinate';
import { blockingRead, checkDatacenter, parseQueryOptions } from '../blocking';
import { readBody } from '../body';
import { parseFilter } from '../catalog-params';
import { HttpContext } from '../context';
import {
  COORDINATE_SELECTORS,
  coordinateEntryJson,
  coordinateRowJson,
  decodeCoordinateUpdate,
} from '../coordinate-json';
import { badRequest, HttpError, serverError, tooLarge } from '../errors';
import { BodyDecodeError } from '../go-decode';
import { jsonRows, type JsonValue } from '../json';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { sendView } from '../listing';
import { pathSuffix } from '../path';
import { queryOf, queryValue, type QueryValues } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

const MAX_BODY_BYTES = 1024 * 1024;

/** `?segment=`: only that segment; absent: every segment. */
function segmentOf(query: QueryValues): string | null {
  return query.segment === undefined ? null : queryValue(query, 'segment');
}

/** disable_coordinates: every coordinate endpoint answers Consul's 401. */
function requireCoordinates(http: HttpContext): void {
  if (http.runtime.config.coordinates.disabled) {
    throw new HttpError(401, 'Coordinate support disabled');
  }
}

@Controller('v1/coordinate')
export class CoordinateController {
  constructor(private readonly http: HttpContext) {}

  /** Every datacenter's servers with their WAN coordinates (this server's WAN pool cache). */
  @Get('datacenters')
  async datacenters(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireCoordinates(this.http);
    const { runtime } = this.http;
    const wan = runtime.membership.wan;
    const byDc = new Map<string, { [key: string]: JsonValue }[]>();
    if (wan !== null) {
      for (const member of wan.members()) {
        const dc = member.tags.dc;
        if (member.tags.role !== 'consul' || dc === undefined) continue;
        const coord = wan.getCachedCoordinate(member.name);
        const list = byDc.get(dc) ?? [];
        byDc.set(dc, list);
        if (coord === null) continue;
        const node = member.name.endsWith(`.${dc}`)
          ? member.name.slice(0, -(dc.length + 1))
          : member.name;
        list.push(coordinateEntryJson(node, '', coord));
      }
    }
    const maps = [...byDc]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([dc, coords]) => ({
        Datacenter: dc,
        AreaID: 'wan',
        Coordinates: coords.sort((a, b) => ((a.Node as string) < (b.Node as string) ? -1 : 1)),
      }));
    return sendJson(request, reply, maps, wantsPretty(request, runtime.config.prettyJson));
  }

  @Get('nodes')
  async nodes(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireCoordinates(this.http);
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const query = queryOf(request);
    const filter = parseFilter(query, COORDINATE_SELECTORS);
    const segment = segmentOf(query);
    await sendView(runtime, request, reply, options, (ws) => {
      const { value, index } = runtime.store.coordinates(segment, ws);
      const shape = (): JsonValue =>
        filter.active
          ? filter.apply(value.map(coordinateRowJson), (item) => item)
          : jsonRows(value, coordinateRowJson);
      return { value: shape, index };
    });
  }

  /** One node's coordinates (one per segment); 404 with no body when it has none. */
  @Get('node/*')
  async node(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireCoordinates(this.http);
    const { runtime } = this.http;
    const options = parseQueryOptions(request, runtime);
    const node = pathSuffix(request, '/v1/coordinate/node/');
    if (node === '') throw badRequest('Missing node name');
    const segment = segmentOf(queryOf(request));
    const { value } = await blockingRead(runtime, reply, options, (ws) => {
      const read = runtime.store.nodeCoordinates(node, ws);
      const rows = read.value.filter((row) => segment === null || row.segment === segment);
      return { value: rows, index: read.index };
    });
    if (value.length === 0) return sendEmpty(request, reply, 404);
    const json = value.map(coordinateRowJson);
    return sendJson(request, reply, json, wantsPretty(request, runtime.config.prettyJson));
  }

  @Put('update')
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireCoordinates(this.http);
    const { runtime } = this.http;
    const query = queryOf(request);
    const raw = await readBody(request, MAX_BODY_BYTES, () =>
      tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
    );
    let body: ReturnType<typeof decodeCoordinateUpdate>;
    try {
      body = decodeCoordinateUpdate(parseJsonBody(raw.toString('utf8')));
    } catch (error) {
      if (error instanceof JsonSyntaxError || error instanceof BodyDecodeError) {
        throw badRequest(`Request decode failed: ${error.message}`);
      }
      throw error;
    }
    checkDatacenter(query, runtime);
    if (body.datacenter !== '' && body.datacenter !== runtime.config.datacenter) {
      throw serverError('No path to datacenter');
    }
    if (body.coord === null) throw badRequest('invalid coordinate');
    const problem = coordinateProblem(body.coord);
    if (problem !== null) throw badRequest(problem);
    runtime.coordinates.update({ node: body.node, segment: body.segment, coord: body.coord });
    return sendEmpty(request, reply, 200);
  }
}
