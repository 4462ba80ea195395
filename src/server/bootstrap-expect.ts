// bootstrap_expect = N: once N servers of this datacenter are seen, bootstrap the Raft
// configuration with all of them, exactly once, as Consul's maybeBootstrap does. Every server
// that bootstraps computes the same configuration from the same members, so the first entries
// of their logs are identical; a server that finds any Raft state, or any candidate that
// already has peers, never bootstraps (it is added to the existing cluster by its leader).
import type { Logger } from 'pino';

import type { Membership, RaftHandle } from '../raft';
import type { ConnPool } from '../rpc';
import { StatusPeers } from './raft-rpc';
import type { KnownServer, ServerDiscovery } from './servers';

export interface ExpectBootstrapOptions {
  expect: number;
  datacenter: string;
  raft: RaftHandle;
  discovery: ServerDiscovery;
  pool: ConnPool;
  logger: Logger;
  /** Status.Peers attempts per candidate, with doubling pauses from `firstRetryMs`. */
  peerQueryAttempts?: number;
  firstRetryMs?: number;
}

export class ExpectBootstrapper {
  private done = false;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ExpectBootstrapOptions) {
    this.unsubscribe = options.discovery.onChange(() => this.poke());
    this.poke();
  }

  stop(): void {
    this.done = true;
    this.unsubscribe();
  }

  /** Re-evaluates after a membership change; one evaluation at a time. */
  private poke(): void {
    if (this.done) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.evaluate()
      .catch((err: unknown) => this.options.logger.error({ err }, 'bootstrap_expect failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async evaluate(): Promise<void> {
    const { raft, expect, datacenter, logger } = this.options;
    const status = raft.status();
    if (status.lastLogIndex > 0 || status.membership.servers.length > 0) {
      logger.info(
        'Raft state exists: not bootstrapping (bootstrap_expect is only for new clusters)',
      );
      this.done = true;
      return;
    }
    const servers = this.options.discovery
      .servers()
      .filter((server) => server.datacenter === datacenter && server.status === 'alive');
    for (const server of servers) {
      if (server.expect !== 0 && server.expect !== expect) {
        logger.error(
          { member: server.name, expect: server.expect },
          `Member ${server.name} has a conflicting expect value. All nodes should expect the same number.`,
        );
        return;
      }
      if (server.bootstrap) {
        logger.error(`Member ${server.name} has bootstrap mode. Expect disabled.`);
        return;
      }
    }
    const voters = servers.filter((server) => !server.readReplica);
    if (voters.length < expect) {
      logger.debug({ seen: voters.length, expect }, 'waiting for more servers to bootstrap');
      return;
    }
    for (const server of servers) {
      const peers = await this.peersOf(server);
      if (peers === null) return; // unreachable for now: the next membership change retries
      if (peers.length > 0) {
        logger.info(
          { server: server.name, peers },
          'Existing Raft peers reported by server, disabling bootstrap mode',
        );
        this.done = true;
        return;
      }
    }
    const membership: Membership = {
      servers: [...servers]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((server) => ({ id: server.id, address: server.address, voter: !server.readReplica })),
    };
    const bootstrapped = await raft.bootstrapCluster(membership);
    this.done = true;
    if (bootstrapped) {
      logger.info(
        { servers: membership.servers.map((server) => `${server.id}@${server.address}`) },
        `found ${voters.length} servers: bootstrapped the cluster`,
      );
    } else {
      logger.info('Raft state appeared meanwhile: not bootstrapping');
    }
  }

  /** The voters `server` reports, or null when it did not answer within the attempts. */
  private async peersOf(server: KnownServer): Promise<string[] | null> {
    if (server.id === this.options.raft.status().id) return [];
    const attempts = this.options.peerQueryAttempts ?? 6;
    let pauseMs = this.options.firstRetryMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        const { peers } = await this.options.pool.call(
          server.address,
          StatusPeers,
          {},
          { timeoutMs: 5000 },
        );
        return peers;
      } catch (err) {
        if (attempt >= attempts || this.done) {
          this.options.logger.warn(
            { err, server: server.name, address: server.address },
            'could not ask a server for its Raft peers; bootstrap waits',
          );
          return null;
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        pauseMs *= 2;
      }
    }
  }
}
