// The server port's Raft calls, answered by this server: Raft.Apply and Raft.ReadIndex only on
// the leader (others answer NotLeaderError and the caller follows the new leader), the status
// calls everywhere.
import { NotLeaderError, type RaftHandle } from '../raft';
import type { RpcServer } from '../rpc';
import { RaftApply, RaftReadIndex, StatusLeader, StatusPeers } from './raft-rpc';

export function serveRaftRpc(rpc: RpcServer, raft: RaftHandle): void {
  const requireLeader = (): void => {
    if (!raft.isLeader()) {
      const status = raft.status();
      throw new NotLeaderError(status.leaderId, status.leaderAddress);
    }
  };
  rpc.methods.register(RaftApply, async ({ command }) => {
    requireLeader();
    return raft.propose(command);
  });
  rpc.methods.register(RaftReadIndex, async ({ consistent }) => {
    requireLeader();
    // Every acknowledged write is applied on the leader before it is acknowledged.
    const index = consistent ? await raft.readBarrier() : raft.status().appliedIndex;
    return { index };
  });
  rpc.methods.register(StatusLeader, () => ({ leader: raft.status().leaderAddress ?? '' }));
  rpc.methods.register(StatusPeers, () => ({
    peers: raft
      .status()
      .membership.servers.filter((server) => server.voter)
      .map((server) => server.address),
  }));
}
