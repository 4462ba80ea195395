// The agent endpoints' JSON: AgentService (Consul's api.AgentService field order, omitempty
// where Go omits), the agent's HealthCheck, ContentHash, aggregated health; and the request
// side: JSON bodies decoded into service/check definitions with Consul's error texts.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

import {
  DefinitionDecodeError,
  DefinitionError,
  durationText,
  isMaintenanceCheck,
  type LocalCheck,
  type LocalService,
} from '../agent';
import { parseGoBool } from '../config';
import { compileFilter, FilterError, type Filter } from '../filter';
import { readBody } from './body';
import { badRequest, filterFailure, HttpError, tooLarge } from './errors';
import type { JsonValue } from './json';
import { JsonNumber, JsonSyntaxError, parseJsonBody, type ParsedJson } from './json-parse';
import { queryOf, queryValue } from './query';

/** Consul sets no limit on agent bodies; this one only guards memory. */
const MAX_AGENT_BODY = 1024 * 1024;

export type AggregatedStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

export function agentServiceJson(
  service: LocalService,
  datacenter: string,
  contentHash?: string,
): { [field: string]: JsonValue | undefined } {
  const r = service.record;
  const tagged = Object.keys(r.taggedAddresses).sort();
  return {
    Kind: r.kind === '' ? undefined : r.kind,
    ID: r.id,
    Service: r.service,
    Tags: r.tags,
    Meta: sortedMap(r.meta),
    Port: r.port,
    Address: r.address,
    SocketPath: r.socketPath === '' ? undefined : r.socketPath,
    TaggedAddresses:
      tagged.length === 0
        ? undefined
        : Object.fromEntries(
            tagged.map((name) => [
              name,
              { Address: r.taggedAddresses[name].address, Port: r.taggedAddresses[name].port },
            ]),
          ),
    Weights: { Passing: r.weights.passing, Warning: r.weights.warning },
    EnableTagOverride: r.enableTagOverride,
    ContentHash: contentHash,
    Datacenter: datacenter,
  };
}

/** Consul's hash of a service for hash-based blocking: changes whenever the service does. */
export function serviceContentHash(service: LocalService, datacenter: string): string {
  const json = JSON.stringify(agentServiceJson(service, datacenter));
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

export function agentCheckJson(check: LocalCheck, node: string): JsonValue {
  const def = check.definition;
  return {
    Node: node,
    CheckID: def.id,
    Name: def.name,
    Status: check.status,
    Notes: def.notes ?? '',
    Output: check.output,
    ServiceID: def.serviceId ?? '',
    ServiceName: check.serviceName,
    ServiceTags: check.serviceTags,
    Type: check.type,
    Interval: durationText(def.interval),
    Timeout: durationText(def.timeout),
    ExposedPort: 0,
    Definition: {
      HTTP: def.http,
      TLSServerName: def.tlsServerName,
      TLSSkipVerify: def.tlsSkipVerify === true ? true : undefined,
      Header: def.header === undefined ? undefined : sortedHeader(def.header),
      Method: def.method,
      Body: def.body,
      TCP: def.tcp,
      UDP: def.udp,
      GRPC: def.grpc,
      GRPCUseTLS: def.grpcUseTls === true ? true : undefined,
      Interval: durationText(def.interval) || undefined,
      Timeout: durationText(def.timeout) || undefined,
      DeregisterCriticalServiceAfter: durationText(def.deregisterCriticalServiceAfter) || undefined,
    },
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** Go's api.HealthChecks.AggregatedStatus. */
export function aggregatedStatus(checks: readonly LocalCheck[]): AggregatedStatus {
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const check of checks) {
    if (isMaintenanceCheck(check.definition.id)) maintenance = true;
    else if (check.status === 'critical') critical = true;
    else if (check.status === 'warning') warning = true;
  }
  if (maintenance) return 'maintenance';
  if (critical) return 'critical';
  if (warning) return 'warning';
  return 'passing';
}

/** 200 passing, 429 warning, 503 critical or maintenance (agentHealthService). */
export function statusCodeOf(status: AggregatedStatus): number {
  if (status === 'passing') return 200;
  if (status === 'warning') return 429;
  return 503;
}

/** Reads and parses a JSON body, with Consul's `Request decode failed: …` on bad syntax. */
export async function readJsonBody(request: FastifyRequest): Promise<unknown> {
  const body = await readBody(request, MAX_AGENT_BODY, (bytes) =>
    tooLarge(`Request body too large: ${bytes} bytes`),
  );
  let parsed: ParsedJson;
  try {
    parsed = parseJsonBody(body.toString('utf8'));
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw badRequest(`Request decode failed: ${error.message}`);
    }
    throw error;
  }
  return plain(parsed);
}

/** Runs a decode/admission step, turning its errors into Consul's responses. */
export function asHttp<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof DefinitionDecodeError) {
      throw badRequest(`Request decode failed: ${error.message}`);
    }
    if (error instanceof DefinitionError) throw new HttpError(error.statusCode, error.message);
    throw error;
  }
}

/** `?enable=` as Consul reads it: required, strconv.ParseBool. */
export function enableFlag(request: FastifyRequest): boolean {
  const query = queryOf(request);
  if (query.enable === undefined) throw badRequest('Missing value for enable');
  const raw = queryValue(query, 'enable');
  const enable = parseGoBool(raw);
  if (enable === null) throw badRequest(`Invalid value for enable: ${JSON.stringify(raw)}`);
  return enable;
}

/** `?filter` over one endpoint's items; a bad expression is Consul's 500 text. */
export function agentFilter(request: FastifyRequest, selectors: readonly string[]): Filter {
  try {
    return compileFilter(queryValue(queryOf(request), 'filter'), { selectors });
  } catch (error) {
    if (error instanceof FilterError) throw filterFailure(error);
    throw error;
  }
}

/** Text answers for the agent health endpoints: `?format=text` or `Accept: text/plain…`. */
export function wantsText(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (typeof accept === 'string' && accept.startsWith('text/plain')) return true;
  return queryValue(queryOf(request), 'format') === 'text';
}

function plain(value: ParsedJson): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain(value[key]);
    return out;
  }
  return value;
}

function sortedMap(map: Record<string, string>): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key];
  return out;
}

function sortedHeader(header: Record<string, string[]>): { [key: string]: string[] } {
  const out: { [key: string]: string[] } = {};
  for (const key of Object.keys(header).sort()) out[key] = header[key];
  return out;
}
