// Autopilot, a leader duty: servers seen alive but missing from the Raft configuration join as
// non-voters; a non-voter that stays healthy (recent contact, few trailing entries) for
// ServerStabilizationTime is promoted; servers that left are removed, and failed ones too when
// CleanupDeadServers allows it without risking the quorum. One configuration change per round,
// as Raft allows only one at a time.
import type { Logger } from 'pino';

import type { NodeId, PeerStats, RaftHandle } from '../raft';
import type { KnownServer, ServerDiscovery } from './servers';

export interface AutopilotConfig {
  cleanupDeadServers: boolean;
  lastContactThresholdMs: number;
  maxTrailingLogs: number;
  /** Voters that must stay before dead ones may be removed. */
  minQuorum: number;
  serverStabilizationTimeMs: number;
}

/** Consul's defaults. */
export const DEFAULT_AUTOPILOT: AutopilotConfig = {
  cleanupDeadServers: true,
  lastContactThresholdMs: 200,
  maxTrailingLogs: 250,
  minQuorum: 0,
  serverStabilizationTimeMs: 10_000,
};

export interface ServerHealth {
  id: NodeId;
  name: string;
  address: string;
  serfStatus: string;
  leader: boolean;
  voter: boolean;
  /** Milliseconds since the leader heard from it (0 for the leader itself). */
  lastContactMs: number;
  lastIndex: number;
  healthy: boolean;
  /** When it last became healthy (epoch ms), null while unhealthy. */
  stableSince: number | null;
}

export interface AutopilotHealth {
  healthy: boolean;
  failureTolerance: number;
  servers: ServerHealth[];
}

export interface AutopilotOptions {
  raft: RaftHandle;
  discovery: ServerDiscovery;
  datacenter: string;
  config: () => AutopilotConfig;
  logger: Logger;
  intervalMs?: number;
}

export class Autopilot {
  private timer: ReturnType<typeof setInterval> | null = null;
  private round: Promise<void> | null = null;
  private readonly healthySince = new Map<NodeId, number>();

  constructor(private readonly options: AutopilotOptions) {}

  /** Runs while this server leads. */
  setEnabled(leading: boolean): void {
    if (leading && this.timer === null) {
      this.timer = setInterval(() => this.runRound(), this.options.intervalMs ?? 1000);
      this.runRound();
    } else if (!leading && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.healthySince.clear();
    }
  }

  async stop(): Promise<void> {
    this.setEnabled(false);
    await this.round;
  }

  /** Consul's /v1/operator/autopilot/health view, from this leader's knowledge. */
  health(): AutopilotHealth {
    const { raft } = this.options;
    const status = raft.status();
    const config = this.options.config();
    const known = new Map(this.options.discovery.servers().map((s) => [s.id, s]));
    const stats = new Map(raft.peerStats().map((p) => [p.id, p]));
    const servers = status.membership.servers.map((server): ServerHealth => {
      const self = server.id === status.id;
      const peer = stats.get(server.id);
      const lastIndex = self ? status.lastLogIndex : (peer?.matchIndex ?? 0);
      const healthy = self
        ? raft.isLeader() || status.leaderId !== null
        : this.isHealthy(peer, status.lastLogIndex, config);
      return {
        id: server.id,
        name: known.get(server.id)?.name ?? server.id,
        address: server.address,
        serfStatus: known.get(server.id)?.status ?? (self ? 'alive' : 'unknown'),
        leader: server.id === status.leaderId,
        voter: server.voter,
        lastContactMs: self ? 0 : (peer?.lastContactMs ?? -1),
        lastIndex,
        healthy,
        stableSince: healthy ? (this.healthySince.get(server.id) ?? null) : null,
      };
    });
    const voters = servers.filter((s) => s.voter);
    const healthyVoters = voters.filter((s) => s.healthy).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    return {
      healthy: servers.every((s) => s.healthy),
      failureTolerance: Math.max(0, healthyVoters - quorum),
      servers,
    };
  }

  private runRound(): void {
    if (this.round !== null) return;
    this.round = this.reconcile()
      .catch((err: unknown) => this.options.logger.warn({ err }, 'autopilot round failed'))
      .finally(() => (this.round = null));
  }

  private async reconcile(): Promise<void> {
    const { raft, logger } = this.options;
    if (!raft.isLeader()) return;
    const config = this.options.config();
    const status = raft.status();
    const members = status.membership.servers;
    const inConfig = new Map(members.map((server) => [server.id, server]));
    const known = this.options.discovery
      .servers()
      .filter((server) => server.datacenter === this.options.datacenter);
    const stats = new Map(raft.peerStats().map((peer) => [peer.id, peer]));
    const now = Date.now();
    for (const server of members) {
      if (server.id === status.id) continue;
      if (this.isHealthy(stats.get(server.id), status.lastLogIndex, config)) {
        if (!this.healthySince.has(server.id)) this.healthySince.set(server.id, now);
      } else this.healthySince.delete(server.id);
    }

    const joining = known.find((s) => s.status === 'alive' && !inConfig.has(s.id));
    if (joining !== undefined) {
      logger.info(
        { server: joining.name, address: joining.address },
        'adding server as a non-voter',
      );
      await raft.addNonVoter(joining.id, joining.address);
      return;
    }

    const gone = this.removable(known, members, status.id, config);
    if (gone !== null) {
      logger.info(
        { server: gone.name, status: gone.status },
        'removing server from the Raft configuration',
      );
      await raft.removeServer(gone.id);
      this.healthySince.delete(gone.id);
      return;
    }

    for (const server of members) {
      if (server.voter || server.id === status.id) continue;
      if (known.find((s) => s.id === server.id)?.readReplica === true) continue;
      const since = this.healthySince.get(server.id);
      if (since !== undefined && now - since >= config.serverStabilizationTimeMs) {
        logger.info({ server: server.id }, 'promoting a stable server to voter');
        await raft.promote(server.id);
        return;
      }
    }
  }

  /**
   * A server to remove: one that left gracefully, or (CleanupDeadServers) one that failed, as
   * long as the voters that remain are at least MinQuorum and fewer than half of them are dead.
   */
  private removable(
    known: KnownServer[],
    members: { id: NodeId; voter: boolean }[],
    self: NodeId,
    config: AutopilotConfig,
  ): KnownServer | null {
    const byId = new Map(known.map((server) => [server.id, server]));
    const left = members
      .map((m) => byId.get(m.id))
      .find((s) => s !== undefined && s.id !== self && s.status === 'left');
    if (left !== undefined) return left;
    if (!config.cleanupDeadServers) return null;
    const voters = members.filter((m) => m.voter);
    const failed = members
      .map((m) => byId.get(m.id))
      .filter((s): s is KnownServer => s !== undefined && s.id !== self && s.status === 'failed');
    if (failed.length === 0) return null;
    const failedVoters = failed.filter((s) => voters.some((v) => v.id === s.id)).length;
    const remaining = voters.length - (failedVoters > 0 ? 1 : 0);
    if (remaining < config.minQuorum) return null;
    if (failedVoters * 2 >= voters.length) return null;
    return failed[0];
  }

  private isHealthy(
    peer: PeerStats | undefined,
    leaderLastIndex: number,
    config: AutopilotConfig,
  ): boolean {
    if (peer === undefined || peer.lastContactMs < 0) return false;
    return (
      peer.lastContactMs <= config.lastContactThresholdMs &&
      leaderLastIndex - peer.matchIndex <= config.maxTrailingLogs
    );
  }
}
