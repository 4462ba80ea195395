// What every controller of the HTTP API shares: the agent runtime, the logger, the table of
// registered routes and the API's own limits. One instance per agent, provided as a value.
import type { Logger } from 'pino';

import type { AgentCore, AgentRuntime } from '../server';
import { RouteTable } from './routes';

/** Consul ≥ 1.14 accepts 128 ops per /v1/txn (64 before); Consul has no setting for it. */
export const DEFAULT_MAX_TXN_OPS = 128;

/** What the agent's own endpoints (/v1/agent/*, members, events) share: any agent has these. */
export class AgentContext {
  readonly routes = new RouteTable();

  constructor(
    readonly runtime: AgentCore,
    readonly logger: Logger,
    readonly maxTxnOps: number = DEFAULT_MAX_TXN_OPS,
  ) {}
}

/** A server's context: the endpoints that read its state store and propose through Raft. */
export class HttpContext extends AgentContext {
  constructor(
    override readonly runtime: AgentRuntime,
    logger: Logger,
    maxTxnOps: number = DEFAULT_MAX_TXN_OPS,
  ) {
    super(runtime, logger, maxTxnOps);
  }
}
