// What a running agent hands to its front ends (HTTP, DNS, CLI over HTTP, renderer). AgentCore is
// what every agent has, server or client; AgentRuntime is a server's, with its state and Raft.
import type { AclResolver } from '../acl';
import type { LocalAgent } from '../agent';
import type { AgentConfig } from '../config';
import type { RaftHandle } from '../raft';
import type { Command } from '../state';
import type { AutopilotOperator } from './autopilot-operator';
import type { ServerCoordinates } from './coordinates';
import type { RemoteDatacenters } from './datacenters';
import type { AgentMembership } from './membership';
import type { RaftOperator } from './operator';
import type { SnapshotService } from './snapshot';
import type { PreparedQueryService } from './prepared-queries';
import type { SessionService } from './sessions';
import type { UserEvents } from './user-events';
import type { StateStore } from '../state';
import type { LogHub } from '../telemetry';

export interface AgentCore {
  readonly config: AgentConfig;
  /** This server's Raft; null on a client agent. */
  readonly raft: RaftHandle | null;
  /** The agent's own services and checks (config files and API), synced into the catalog. */
  readonly local: LocalAgent;
  /**
   * Re-reads every configuration source and applies what Consul reloads (§11.4). Rejects with
   * the error, changing nothing, when a file is broken or reload is not available.
   */
  reloadConfig(): Promise<void>;
  /** Resolves request tokens to what they may do (everything while ACLs are off). */
  readonly acl: AclResolver;
  /** The agent's log lines for live readers (/v1/agent/monitor). */
  readonly logs: LogHub;
  /** Epoch milliseconds when the agent started (for /v1/agent/self stats). */
  readonly startedAtMs: number;
  /** The gossip pools (LAN, and WAN on servers). */
  readonly membership: AgentMembership;
  /** User events received by this agent, and firing new ones. */
  readonly events: UserEvents;
  /** Leaves the gossip pools gracefully, then shuts down (`consulate leave`). */
  leave(): Promise<void>;
  /**
   * Resolves once the agent has shut down, by a leave, a signal or a failure: with the reason
   * when it failed (a join that gave up), else null.
   */
  readonly stopped: Promise<string | null>;
  /** Stops listeners, Raft and storage; idempotent. */
  shutdown(): Promise<void>;
}

export interface AgentRuntime extends AgentCore {
  readonly raft: RaftHandle;
  /** Local state store, fed only by the FSM. Reads are served from here. */
  readonly store: StateStore;
  /**
   * Encodes `cmd`, proposes it through Raft and resolves with the FSM's result once applied.
   * Rejects with NotLeaderError (from src/raft/types) when there is no leader to take it.
   */
  apply(cmd: Command): Promise<unknown>;
  /**
   * Waits until this server's store has applied everything the leader had applied (confirmed by
   * a quorum when `consistent`); a follower asks the leader over the server port. Rejects with
   * NotLeaderError when no leader answers within rpc_hold_timeout.
   */
  readIndex(consistent: boolean, signal?: AbortSignal): Promise<number>;
  /** Sessions: create/destroy through Raft, renew on the leader, TTL timers. */
  readonly sessions: SessionService;
  /** Prepared queries: apply through Raft, explain, execute with failover. */
  readonly preparedQueries: PreparedQueryService;
  /** Raft operator actions (configuration, remove peer, transfer leadership). */
  readonly operator: RaftOperator;
  /** Snapshot save and restore (GET/PUT /v1/snapshot). */
  readonly snapshots: SnapshotService;
  /** Autopilot's configuration and the leader's server health view. */
  readonly autopilot: AutopilotOperator;
  /** Other datacenters, through their servers in the WAN pool. */
  readonly otherDatacenters: RemoteDatacenters;
  /** Network coordinates agents send (PUT /v1/coordinate/update), batched through Raft. */
  readonly coordinates: ServerCoordinates;
}
