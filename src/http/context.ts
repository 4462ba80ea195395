// What every controller of the HTTP API shares: the agent runtime, the logger, the table of
// registered routes and the API's own limits. One instance per server, provided as a value.
import type { Logger } from 'pino';

import type { AgentRuntime } from '../server';
import { RouteTable } from './routes';

/** Consul ≥ 1.14 accepts 128 ops per /v1/txn (64 before); Consul has no setting for it. */
export const DEFAULT_MAX_TXN_OPS = 128;

export class HttpContext {
  readonly routes = new RouteTable();

  constructor(
    readonly runtime: AgentRuntime,
    readonly logger: Logger,
    readonly maxTxnOps: number = DEFAULT_MAX_TXN_OPS,
  ) {}
}
