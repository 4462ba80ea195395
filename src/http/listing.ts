// Answering a read of the catalog/health API: run the view as a blocking query (headers
// included) and send what it built as JSON.
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AgentRuntime } from '../server/runtime';
import type { ReadResult } from '../state';
import { blockingRead, type QueryOptions, type StoreWatchSet } from './blocking';
import type { JsonValue } from './json';
import { sendJson, wantsPretty } from './respond';

export async function sendView(
  runtime: AgentRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  options: QueryOptions,
  view: (watchSet: StoreWatchSet) => ReadResult<JsonValue>,
): Promise<void> {
  const { value } = await blockingRead(runtime, reply, options, view);
  sendJson(request, reply, value, wantsPretty(request, runtime.config.prettyJson));
}
