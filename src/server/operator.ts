// Raft operator actions (Consul's Operator endpoint): the configuration as servers see it,
// removing a peer and handing leadership over. Changes run on the leader; a follower forwards
// them over the server port.
import { NotLeaderError, type NodeId, type RaftHandle } from '../raft';
import type { RpcServer } from '../rpc';
import type { LeaderForwarder } from './forward';
import { OperatorRaftLastIndexes, OperatorRemovePeer, OperatorTransferLeader } from './raft-rpc';

export interface RaftServerEntry {
  id: NodeId;
  /** Node name when this server knows it, else the ID. */
  node: string;
  address: string;
  leader: boolean;
  voter: boolean;
  /** Raft protocol version, as Consul reports it. */
  protocolVersion: string;
  /** On the leader: the last index known to be replicated to it; elsewhere its own last index. */
  lastIndex: number;
}

export interface RaftConfigurationView {
  servers: RaftServerEntry[];
  /** Index of the configuration entry in force. */
  index: number;
}

/** Why a peer could not be removed, in Consul's words; the HTTP layer answers 400/500. */
export class PeerNotFoundError extends Error {
  constructor(what: string) {
    super(`id or address "${what}" was not found in the Raft configuration`);
    this.name = 'PeerNotFoundError';
  }
}

export class RaftOperator {
  constructor(
    private readonly raft: RaftHandle,
    private readonly forwarder: LeaderForwarder,
    /** The node name of a server ID, when this agent knows it (catalog, gossip). */
    private readonly nodeName: (id: NodeId) => string | null,
  ) {}

  /** This server's last index and, on the leader, how far each peer's log is known to reach. */
  private lastIndexes(): Record<string, number> {
    const status = this.raft.status();
    const indexes: Record<string, number> = { [status.id]: status.lastLogIndex };
    for (const peer of this.raft.peerStats()) indexes[peer.id] = peer.matchIndex;
    return indexes;
  }

  /** Answers the leader's calls from followers; register once on the server port. */
  serve(rpc: RpcServer): void {
    rpc.methods.register(OperatorRaftLastIndexes, async () => {
      this.requireLeader();
      return { lastIndexes: this.lastIndexes() };
    });
    rpc.methods.register(OperatorRemovePeer, async ({ id }) => {
      this.requireLeader();
      await this.raft.removeServer(id);
      return {};
    });
    rpc.methods.register(OperatorTransferLeader, async ({ id }) => {
      this.requireLeader();
      await this.raft.transferLeadership(id === '' ? undefined : id);
      return {};
    });
  }

  /**
   * The configuration with each server's last index as the leader knows it (Consul answers
   * this on the leader); a follower asks the leader, and `stale` answers from this server.
   */
  async configurationFromLeader(stale: boolean): Promise<RaftConfigurationView> {
    if (stale || this.raft.isLeader()) return this.configuration();
    const { lastIndexes } = await this.forwarder.onLeader(
      OperatorRaftLastIndexes,
      {},
      async () => ({
        lastIndexes: this.lastIndexes(),
      }),
    );
    return this.configuration(new Map(Object.entries(lastIndexes)));
  }

  configuration(known?: ReadonlyMap<string, number>): RaftConfigurationView {
    const status = this.raft.status();
    const matches = known ?? new Map(Object.entries(this.lastIndexes()));
    return {
      index: status.membershipIndex,
      servers: status.membership.servers.map((server) => ({
        id: server.id,
        node: this.nodeName(server.id) ?? server.id,
        address: server.address,
        leader: server.id === status.leaderId,
        voter: server.voter,
        protocolVersion: '3',
        lastIndex: matches.get(server.id) ?? (server.id === status.id ? status.lastLogIndex : 0),
      })),
    };
  }

  /** Removes the server with `id`, or the one at `address`. */
  async removePeer(peer: { id: string } | { address: string }): Promise<void> {
    const servers = this.raft.status().membership.servers;
    const found =
      'id' in peer
        ? servers.find((server) => server.id === peer.id)
        : servers.find((server) => server.address === peer.address);
    if (found === undefined) throw new PeerNotFoundError('id' in peer ? peer.id : peer.address);
    await this.forwarder.onLeader(OperatorRemovePeer, { id: found.id }, async () => {
      await this.raft.removeServer(found.id);
      return {};
    });
  }

  /** Hands leadership to `id`, or to the most up-to-date voter when empty. */
  async transferLeader(id: string): Promise<void> {
    if (id !== '' && !this.raft.status().membership.servers.some((s) => s.id === id)) {
      throw new PeerNotFoundError(id);
    }
    await this.forwarder.onLeader(OperatorTransferLeader, { id }, async () => {
      await this.raft.transferLeadership(id === '' ? undefined : id);
      return {};
    });
  }

  private requireLeader(): void {
    if (this.raft.isLeader()) return;
    const status = this.raft.status();
    throw new NotLeaderError(status.leaderId, status.leaderAddress);
  }
}
