// /v1/operator/autopilot/* (agent/operator_endpoint.go): the configuration (PUT with ?cas), the
// leader's health view (429 while any server is unhealthy) and the 1.10+ state view.
import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  autopilotConfigJson,
  autopilotHealthJson,
  autopilotStateJson,
  decodeAutopilotConfig,
} from '../autopilot-json';
import { readBody } from '../body';
import { checkDatacenter, parseConsistency, prepareRead, setLeaderHeaders } from '../blocking';
import { HttpContext } from '../context';
import { badRequest, tooLarge } from '../errors';
import { BodyDecodeError } from '../go-decode';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { queryOf, queryValue } from '../query';
import { sendJson, wantsPretty } from '../respond';
import { CONSUL_COMPAT_VERSION } from '../../config';

const MAX_BODY_BYTES = 64 * 1024;
const UINT = /^[0-9]+$/;

@Controller('v1/operator/autopilot')
export class AutopilotController {
  constructor(private readonly http: HttpContext) {}

  @Get('configuration')
  async getConfiguration(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    await prepareRead(runtime, parseConsistency(query));
    setLeaderHeaders(reply, runtime);
    const body = autopilotConfigJson(runtime.autopilot.configuration());
    return sendJson(request, reply, body, wantsPretty(request, runtime.config.prettyJson));
  }

  /** Without `?cas` answers `true`; with it, whether the stored ModifyIndex matched. */
  @Put('configuration')
  async setConfiguration(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    const raw = await readBody(request, MAX_BODY_BYTES, () =>
      tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
    );
    const values = decoded(() => decodeAutopilotConfig(parseJsonBody(raw.toString('utf8'))));
    let cas: number | undefined;
    if (query.cas !== undefined) {
      const text = queryValue(query, 'cas');
      if (!UINT.test(text) || BigInt(text) >= 1n << 64n) {
        throw badRequest(
          `Error parsing cas value: strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`,
        );
      }
      cas = Number(text);
    }
    const updated = await runtime.autopilot.setConfiguration(values, cas);
    const pretty = wantsPretty(request, runtime.config.prettyJson);
    return sendJson(request, reply, cas === undefined ? true : updated, pretty);
  }

  @Get('health')
  async health(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    checkDatacenter(queryOf(request), runtime);
    const report = await runtime.autopilot.health();
    const body = autopilotHealthJson(report, CONSUL_COMPAT_VERSION);
    const pretty = wantsPretty(request, runtime.config.prettyJson);
    return sendJson(request, reply, body, pretty, report.healthy ? 200 : 429);
  }

  @Get('state')
  async state(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    checkDatacenter(queryOf(request), runtime);
    const report = await runtime.autopilot.health();
    const body = autopilotStateJson(report, CONSUL_COMPAT_VERSION);
    return sendJson(request, reply, body, wantsPretty(request, runtime.config.prettyJson));
  }
}

function decoded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof JsonSyntaxError || error instanceof BodyDecodeError) {
      throw badRequest(`Error parsing autopilot config: ${error.message}`);
    }
    throw error;
  }
}
