// The client: one keep-alive connection pool to one agent, grouped by API area.
import { Agent } from './agent';
import { Catalog } from './catalog';
import { Health } from './health';
import { LeaderElection, type LeaderElectionOptions } from './election';
import { KV } from './kv';
import { Lock, type LockOptions } from './lock';
import { Semaphore, type SemaphoreOptions } from './semaphore';
import { Session } from './session';
import { resolveOptions, type ConsulOptions } from './options';
import { Status } from './status';
import { Transport, type QueryOptions } from './transport';
import { runTxn } from './txn';
import type { TxnOp, TxnResponse } from './types';

/**
 * Typed client of a Consul-compatible agent's HTTP API.
 *
 * ```ts
 * const consul = new Consul({ address: 'http://127.0.0.1:8500' });
 * const { data, meta } = await consul.kv.get('app/config');
 * ```
 */
export class Consul {
  readonly kv: KV;
  readonly status: Status;
  readonly agent: Agent;
  readonly catalog: Catalog;
  readonly health: Health;
  readonly session: Session;
  /** The HTTP layer, for endpoints this client does not wrap. */
  readonly transport: Transport;

  constructor(options: ConsulOptions = {}) {
    this.transport = new Transport(resolveOptions(options));
    this.kv = new KV(this.transport);
    this.status = new Status(this.transport);
    this.agent = new Agent(this.transport);
    this.catalog = new Catalog(this.transport);
    this.health = new Health(this.transport);
    this.session = new Session(this.transport);
  }

  /** A lock on `key` (Consul's api.Lock layout); call `acquire()` to take it. */
  lock(key: string, options: Omit<LockOptions, 'key'> = {}): Lock {
    return new Lock(this, { ...options, key });
  }

  /** A semaphore of `limit` slots under `prefix` (Consul's api.Semaphore layout). */
  semaphore(
    prefix: string,
    limit: number,
    options: Omit<SemaphoreOptions, 'prefix' | 'limit'> = {},
  ): Semaphore {
    return new Semaphore(this, { ...options, prefix, limit });
  }

  /** Campaigns for leadership on `key` in the background (renewing, re-campaigning on loss). */
  leaderElection(key: string, options: Omit<LeaderElectionOptions, 'key'> = {}): LeaderElection {
    return new LeaderElection(this, { ...options, key }).start();
  }

  /** Runs KV/Node/Service/Check operations atomically (`PUT /v1/txn`). */
  txn(ops: TxnOp[], options?: QueryOptions): Promise<TxnResponse> {
    return runTxn(this.transport, ops, options);
  }

  /** Closes idle connections (in-flight requests finish). */
  close(): void {
    this.transport.close();
  }
}
