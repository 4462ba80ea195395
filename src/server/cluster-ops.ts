// Assembles a server's snapshot service and autopilot (running while this server leads, with
// the configuration kept in the replicated state), so the agent wires them in a few lines.
import type { Logger } from 'pino';

import type { AgentConfig } from '../config';
import type { RaftHandle } from '../raft';
import type { RpcServer } from '../rpc';
import type { Command, StateStore } from '../state';
import { Autopilot } from './autopilot';
import { AutopilotOperator } from './autopilot-operator';
import type { LeaderForwarder } from './forward';
import type { KnownServer, ServerDiscovery } from './servers';
import { SnapshotService } from './snapshot';

export interface ClusterOperations {
  snapshots: SnapshotService;
  autopilot: AutopilotOperator;
  stop(): Promise<void>;
}

export interface ClusterOperationsOptions {
  config: AgentConfig;
  raft: RaftHandle;
  store: StateStore;
  rpc: RpcServer;
  forwarder: LeaderForwarder;
  apply: (cmd: Command) => Promise<unknown>;
  readIndex: (consistent: boolean, signal?: AbortSignal) => Promise<number>;
  /** The servers gossip knows; until the LAN pool lands the agent knows only itself. */
  discovery?: ServerDiscovery;
  logger: Logger;
}

/** What an agent without a gossip pool knows of the servers: only itself. */
function selfOnly(config: AgentConfig, address: string): ServerDiscovery {
  const self: KnownServer = {
    id: config.nodeId,
    name: config.nodeName,
    address,
    datacenter: config.datacenter,
    status: 'alive',
    expect: config.bootstrapExpect,
    bootstrap: config.bootstrap,
    readReplica: false,
  };
  return { servers: () => [self], onChange: () => () => undefined };
}

export function startClusterOperations(options: ClusterOperationsOptions): ClusterOperations {
  const { config, raft, store, logger } = options;
  const autopilotLogger = logger.child({ module: 'autopilot' });
  const operatorRef: { current: AutopilotOperator | null } = { current: null };
  const autopilot = new Autopilot({
    raft,
    discovery: options.discovery ?? selfOnly(config, `${config.advertiseAddr}:${options.rpc.port}`),
    datacenter: config.datacenter,
    config: () => operatorRef.current?.values() ?? { ...config.autopilot },
    logger: autopilotLogger,
  });
  const operator = new AutopilotOperator({
    raft,
    store,
    forwarder: options.forwarder,
    apply: options.apply,
    seed: { ...config.autopilot },
    health: () => autopilot.health(),
    logger: autopilotLogger,
  });
  operatorRef.current = operator;
  const stopServing = operator.serve(options.rpc);
  const follow = (): void => autopilot.setEnabled(raft.isLeader());
  const stopFollowing = raft.onLeaderChange(follow);
  follow();
  const snapshots = new SnapshotService({
    raft,
    store,
    apply: options.apply,
    readIndex: options.readIndex,
    spoolDir: config.dataDir ?? undefined,
  });
  return {
    snapshots,
    autopilot: operator,
    async stop() {
      stopFollowing();
      stopServing();
      await autopilot.stop();
      await operator.stop();
    },
  };
}
