// The write half of /v1/catalog: read and decode the body (400 `Request decode failed: …`),
// route by datacenter, check the registration before proposing it, apply it through Raft and
// turn the FSM's verdict into Consul's answer (RPC errors are 500 with their text).
import type { FastifyRequest } from 'fastify';

import type { AgentRuntime } from '../server';
import { CatalogError, normalizeRegistration, type CatalogResult, type Command } from '../state';
import { requireLeader } from './blocking';
import { readBody } from './body';
import { decodeDeregistration, decodeRegistration } from './catalog-decode';
import { badRequest, serverError, tooLarge } from './errors';
import { BodyDecodeError } from './go-decode';
import { JsonSyntaxError, parseJsonBody, type ParsedJson } from './json-parse';

// Consul sets no limit of its own on these bodies; one registration is a few KiB at most.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** PUT /v1/catalog/register. */
export async function registerInCatalog(
  runtime: AgentRuntime,
  request: FastifyRequest,
): Promise<void> {
  const body = await readJsonBody(request);
  const registration = decoded(() => decodeRegistration(body, runtime.config.datacenter));
  checkRoute(runtime, registration.datacenter);
  const normalized = normalizeRegistration(registration);
  if (normalized instanceof CatalogError) throw serverError(normalized.message);
  await apply(runtime, { type: 'catalog-register', registration: normalized });
}

/** PUT /v1/catalog/deregister. */
export async function deregisterFromCatalog(
  runtime: AgentRuntime,
  request: FastifyRequest,
): Promise<void> {
  const body = await readJsonBody(request);
  const { datacenter, ...deregistration } = decoded(() =>
    decodeDeregistration(body, runtime.config.datacenter),
  );
  checkRoute(runtime, datacenter);
  if (deregistration.node === '') throw serverError('Must provide node');
  await apply(runtime, { type: 'catalog-deregister', deregistration });
}

async function readJsonBody(request: FastifyRequest): Promise<ParsedJson> {
  const body = await readBody(request, MAX_BODY_BYTES, () =>
    tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`),
  );
  return decoded(() => parseJsonBody(body.toString('utf8')));
}

function decoded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof JsonSyntaxError || error instanceof BodyDecodeError) {
      throw badRequest(`Request decode failed: ${error.message}`);
    }
    throw error;
  }
}

// The request goes to the datacenter it names; this agent reaches only its own.
function checkRoute(runtime: AgentRuntime, datacenter: string): void {
  if (datacenter !== runtime.config.datacenter) throw serverError('No path to datacenter');
}

async function apply(runtime: AgentRuntime, command: Command): Promise<void> {
  await requireLeader(runtime);
  const result = (await runtime.apply(command)) as CatalogResult;
  if (!result.ok) throw serverError(result.error);
}
