// A server agent: Raft storage (SQLite under data_dir, memory in -dev), the state store and its
// FSM, the Raft node on the server port, the gossip pools, the leader's duties (tombstone GC,
// member reconcile, autopilot, session timers), bootstrap_expect, and the HTTP API and DNS.
import pino, { type Logger } from 'pino';
import { storeAgentHost } from '../agent';
import { DnsHandler, startDnsServer } from '../dns';
import { Renderer, resourceFromObject } from '../render';
import { createHttpServer, forwardedWaitMs, nearDistances, sortNear } from '../http';
import { AgentWatches } from '../watches';
import type { RunningEsm } from '../esm';
import { createJobQueue } from '../jobs';
import type { AgentConfig, LoadedAgentConfig } from '../config';
import { MemoryStorage, RaftNode, raftTiming, TcpTransport } from '../raft';
import { ConnPool, RpcServer } from '../rpc';
import { SqliteStorage } from '../raft/storage';
import type { RaftStorage } from '../raft/storage';
import type { Membership, RaftHandle } from '../raft';
import { encodeCommand, Fsm, StateStore, type Command } from '../state';
import { LogHub, metrics, startRuntimeCollector } from '../telemetry';
import type { AgentRuntime } from './runtime';
import { startAclLeaderDuty } from './acl-leader';
import { rpcTlsFor } from './tls';
import { Autopilot } from './autopilot';
import { ExpectBootstrapper } from './bootstrap-expect';
import { ConfigWatcher } from './config-watch';
import { MemberReconciler } from './member-reconcile';
import { AgentMembership } from './membership';
import { LeaderForwarder } from './forward';
import type { AutopilotOperator } from './autopilot-operator';
import { startClusterOperations } from './cluster-ops';
import { RaftOperator } from './operator';
import type { SnapshotService } from './snapshot';
import { serveRaftRpc } from './rpc-handlers';
import { serveClientAgents } from './agent-endpoints';
import { AgentBase, runAll } from './agent-base';
import { RemoteDatacenters } from './datacenters';
import { PreparedQueryService } from './prepared-queries';
import { serveExecuteRemote } from './prepared-query-rpc';
import { SessionService } from './sessions';
import { startServerCoordinates, type ServerCoordinates } from './coordinates';
import { TombstoneGc } from './tombstone-gc';
import { waitForReplay } from './replay';

export interface ServerAgent extends AgentRuntime {
  /** host:port of every HTTP listener, with the real port when the config said 0. */
  readonly httpAddresses: string[];
  /** host:port of every HTTPS listener (ports.https > 0). */
  readonly httpsAddresses: string[];
  /** host:port of every DNS listener (UDP and TCP), empty when ports.dns is -1. */
  readonly dnsAddresses: string[];
  /**
   * Applies the reloadable parts of a freshly loaded configuration (consul-api.md §11.4):
   * services and checks from files first (throws, changing nothing, when they cannot apply).
   */
  reload(next: AgentConfig): void;
}

export interface ServerAgentOptions {
  /**
   * Re-reads the configuration from its sources (the agent's flags, files and directories);
   * without it, reloads (SIGHUP aside, which the CLI handles) answer that none is possible.
   */
  reloadSource?: () => LoadedAgentConfig;
  /** Files and directories to watch when auto_reload_config is on. */
  watchPaths?: readonly string[];
  /** Where `logger` also writes its lines (createAgentLogger's hub), for /v1/agent/monitor. */
  logHub?: LogHub;
}

export async function startServerAgent(
  config: AgentConfig,
  logger: Logger,
  options: ServerAgentOptions = {},
): Promise<ServerAgent> {
  const storage: RaftStorage =
    config.dataDir === null
      ? new MemoryStorage()
      : await SqliteStorage.open(config.dataDir, {
          logger: logger.child({ module: 'raft-storage' }),
        });
  const cleanup: (() => Promise<void>)[] = [() => storage.close()];
  metrics.configure({
    prefix: config.telemetry.metricsPrefix,
    disableHostname: config.telemetry.disableHostname,
    prometheusRetentionMs: config.telemetry.prometheusRetentionMs,
  });
  try {
    const store = new StateStore();
    const tls = rpcTlsFor(config);
    // The server port carries RPC and Raft; Raft addresses are RPC addresses.
    const rpc = new RpcServer({
      tls,
      host: config.bindAddr,
      port: config.ports.server,
      logger: logger.child({ module: 'rpc' }),
      maxConnsPerClient: config.limits.rpcMaxConnsPerClient,
      handshakeTimeoutMs: config.limits.rpcHandshakeTimeoutMs,
    });
    await rpc.listen();
    cleanup.unshift(() => rpc.close());
    const pool = new ConnPool({ logger: logger.child({ module: 'rpc-pool' }), tls });
    cleanup.unshift(async () => pool.close());
    const address = `${config.advertiseAddr}:${rpc.port}`;
    const raft = new RaftNode({
      id: config.nodeId,
      address,
      transport: new TcpTransport({
        server: rpc,
        logger: logger.child({ module: 'raft-net' }),
        tls,
      }),
      storage,
      fsm: new Fsm(store),
      bootstrap: bootstrapMembership(config, address),
      snapshotThreshold: config.raftSnapshotThreshold ?? undefined,
      ...raftTicks(config),
      trailingLogs: config.raftTrailingLogs ?? undefined,
      logger: logger.child({ module: 'raft' }),
    });
    await raft.start();
    cleanup.unshift(() => raft.stop());
    serveRaftRpc(rpc, raft);
    const gaveUp = new GaveUp();
    const membership = await AgentMembership.start({
      config,
      serverPort: rpc.port,
      logger,
      onJoinGaveUp: (message) => gaveUp.fire(message),
    });
    cleanup.unshift(() => membership.shutdown());
    if (config.bootstrapExpect > 1) {
      logger.info(
        { expect: config.bootstrapExpect },
        'bootstrap_expect: waiting for that many servers of this datacenter in the LAN pool',
      );
      const bootstrapper = new ExpectBootstrapper({
        expect: config.bootstrapExpect,
        datacenter: config.datacenter,
        raft,
        discovery: membership,
        pool,
        logger: logger.child({ module: 'bootstrap' }),
      });
      cleanup.unshift(async () => bootstrapper.stop());
    }
    await waitForReplay(raft, config.nodeId, logger);

    const collector = startRuntimeCollector(metrics, raftGauges(raft, config));
    cleanup.unshift(async () => collector.stop());
    const gc = startTombstoneGc(config, raft, logger);
    cleanup.unshift(async () => gc.stop());
    const forwarder = new LeaderForwarder(raft, pool, config.rpcHoldTimeoutMs);
    const agent = new RunningServerAgent(
      config,
      raft,
      forwarder,
      store,
      gc,
      membership,
      logger,
      cleanup,
      options,
    );
    agent.serverAddress = address;
    const stopAclDuty = startAclLeaderDuty(
      () => agent.config,
      raft,
      logger.child({ module: 'acl' }),
    );
    cleanup.unshift(async () => stopAclDuty());
    agent.operator.serve(rpc);
    gaveUp.agent = agent;
    if (gaveUp.pending !== null) void agent.fail(gaveUp.pending);
    const ops = startClusterOperations({
      config,
      raft,
      store,
      rpc,
      forwarder,
      apply: (cmd) => agent.apply(cmd),
      readIndex: (consistent, signal) => agent.readIndex(consistent, signal),
      discovery: membership,
      logger,
    });
    cleanup.unshift(() => ops.stop());
    agent.snapshots = ops.snapshots;
    agent.autopilot = ops.autopilot;
    agent.coordinates = startServerCoordinates({
      config,
      membership,
      apply: (cmd) => agent.apply(cmd),
      logger: logger.child({ module: 'coordinate' }),
    });
    cleanup.unshift(async () => agent.coordinates.stop());
    agent.sessions.start(rpc, config.nodeId);
    serveExecuteRemote(rpc, agent.preparedQueries);
    cleanup.unshift(async () => agent.sessions.stop());
    startMemberReconcile(config, agent, membership, logger, cleanup);
    cleanup.unshift(() => agent.local.stop());
    agent.local.start();
    const http = await createHttpServer(agent, {
      logger: logger.child({ module: 'http' }),
      otherDatacenters: {
        knows: (dc) => agent.otherDatacenters.knows(dc),
        forward: (dc, request, signal) =>
          agent.otherDatacenters.http(dc, request, forwardedWaitMs(request.url), signal),
      },
    });
    cleanup.unshift(async () => {
      store.abandon();
      await http.close();
    });
    agent.httpAddresses.push(...(await http.listen()));
    agent.httpsAddresses.push(...http.httpsAddresses());
    agent.tlsReloads.push((next) => {
      http.reloadTls(next.https);
      tls?.reload(next.internalRpc);
    });
    serveClientAgents(rpc, agent, http, new DnsHandler(agent, logger.child({ module: 'dns' })));
    const dns = await startDnsServer(agent, logger.child({ module: 'dns' }));
    if (dns !== null) {
      cleanup.unshift(() => dns.close());
      agent.dnsAddresses.push(...dns.addresses);
    }
    await startAgentReaders(agent, config, options, logger, cleanup);
    return agent;
  } catch (error) {
    await runAll(cleanup, logger);
    throw error;
  }
}

/**
 * What reads the agent's own HTTP API once it listens, on servers and clients alike: the
 * `watches` stanza, `template` blocks, the ESM scheduler, and auto_reload_config's file watcher.
 */
export async function startAgentReaders(
  agent: AgentBase,
  config: AgentConfig,
  options: ServerAgentOptions,
  logger: Logger,
  cleanup: (() => Promise<void>)[],
): Promise<void> {
  const http = agent.httpAddresses[0];
  if (http !== undefined) {
    const watches = new AgentWatches(http, logger.child({ module: 'watch' }));
    cleanup.unshift(async () => watches.stop());
    watches.apply(config.watches);
    agent.watches = watches;
  }
  const renderer = await startAgentTemplates(config, http, logger);
  if (renderer !== null) cleanup.unshift(() => renderer.stop());
  if (config.esm.enabled && http !== undefined) {
    const esm = await startAgentEsm(config, http, logger);
    cleanup.unshift(() => esm.stop());
  }
  if (config.autoReloadConfig && options.reloadSource !== undefined) {
    const watcher = new ConfigWatcher(
      options.watchPaths ?? config.configSources,
      () => agent.reloadConfig(),
      logger.child({ module: 'config-watch' }),
    );
    cleanup.unshift(() => watcher.close());
  }
}

/**
 * `template` blocks: the agent renders them from its own HTTP API, as `consulate render` would;
 * with jobs.redis their renders and commands are durable BullMQ jobs (queues scoped to the node).
 */
export async function startAgentTemplates(
  config: AgentConfig,
  httpAddress: string | undefined,
  logger: Logger,
): Promise<{ stop(): Promise<void> } | null> {
  if (config.templates.length === 0 || httpAddress === undefined) return null;
  const templates = config.templates.map((block, i) => resourceFromObject(block, `template[${i}]`));
  const renderLogger = logger.child({ module: 'render' });
  const queue = await createJobQueue(config.jobs, `render.${config.nodeName}`, renderLogger);
  const renderer = new Renderer({
    consul: { address: `http://${httpAddress}`, token: null },
    templates,
    logger: renderLogger,
    queue,
  });
  renderer.start();
  return {
    async stop() {
      await renderer.stop();
      await queue.close();
    },
  };
}

/**
 * `esm {}`: the agent keeps the external checks scheduled, and runs some when esm.concurrency > 0.
 * Loaded only when configured: BullMQ is not on every agent's start-up path.
 */
export async function startAgentEsm(
  config: AgentConfig,
  httpAddress: string,
  logger: Logger,
): Promise<RunningEsm> {
  const { esm, jobs } = config;
  const { startEsm } = await import('../esm');
  return startEsm({
    agentUrl: `http://${httpAddress}`,
    redis: jobs.redis as string,
    prefix: jobs.prefix,
    externalNodeMeta: esm.externalNodeMeta,
    probe: {
      intervalMs: esm.nodeProbeIntervalMs,
      timeoutMs: esm.nodeProbeTimeoutMs,
      pingType: esm.pingType,
      port: esm.pingPort,
    },
    retryMs: esm.syncIntervalMs,
    coordinate: true,
    concurrency: esm.concurrency,
    logger: logger.child({ module: 'esm' }),
  });
}

/**
 * Alone as the only voter when -dev or -bootstrap (the config turns -bootstrap-expect=1 into
 * -bootstrap, as Consul); otherwise wait for peers.
 */
function bootstrapMembership(config: AgentConfig, address: string): Membership | undefined {
  const alone = config.dev || config.bootstrap;
  return alone ? { servers: [{ id: config.nodeId, address, voter: true }] } : undefined;
}

/** The join loop gave up (retry_max): the agent shuts down, as Consul's does. */
class GaveUp {
  agent: RunningServerAgent | null = null;
  private message: string | null = null;

  fire(message: string): void {
    this.message = message;
    if (this.agent !== null) void this.agent.fail(message);
  }

  get pending(): string | null {
    return this.message;
  }
}

/** The member reconcile runs on the leader only, following leadership changes. */
function startMemberReconcile(
  config: AgentConfig,
  agent: RunningServerAgent,
  membership: AgentMembership,
  logger: Logger,
  cleanup: (() => Promise<void>)[],
): void {
  const reconciler = new MemberReconciler({
    source: { members: () => membership.lan.members(), onChange: (l) => membership.onChange(l) },
    store: agent.store,
    apply: (cmd) => agent.apply(cmd),
    datacenter: config.datacenter,
    nodeName: config.nodeName,
    logger: logger.child({ module: 'reconcile' }),
  });
  const follow = (leaderId: string | null): void =>
    reconciler.setEnabled(leaderId === config.nodeId);
  const off = agent.raft.onLeaderChange(follow);
  follow(agent.raft.status().leaderId);
  cleanup.unshift(async () => {
    off();
    await reconciler.stop();
  });
}

function startTombstoneGc(config: AgentConfig, raft: RaftHandle, logger: Logger): TombstoneGc {
  const gcLogger = logger.child({ module: 'tombstone-gc' });
  const gc = new TombstoneGc({
    ttlMs: config.tombstoneTtlMs,
    reap: async (upto) => {
      try {
        await raft.propose(encodeCommand({ type: 'tombstone-reap', upto }));
        gcLogger.debug({ upto }, 'reaped tombstones');
      } catch (error) {
        gcLogger.warn({ err: error, upto }, 'failed to reap tombstones');
      }
    },
  });
  const follow = (leaderId: string | null): void => {
    const leading = leaderId === config.nodeId;
    gc.setEnabled(leading);
    // Tombstones left by an earlier leader (or before a restart) expire one TTL from now.
    if (leading) gc.hint(raft.status().appliedIndex);
  };
  raft.onLeaderChange(follow);
  follow(raft.status().leaderId);
  return gc;
}

class RunningServerAgent extends AgentBase implements ServerAgent {
  /** host:port of the server port (RPC and Raft). */
  serverAddress = '';
  readonly operator: RaftOperator;
  snapshots!: SnapshotService;
  autopilot!: AutopilotOperator;
  coordinates!: ServerCoordinates;
  readonly sessions: SessionService;
  readonly otherDatacenters: RemoteDatacenters;
  readonly preparedQueries: PreparedQueryService;

  constructor(
    config: AgentConfig,
    readonly raft: RaftHandle,
    private readonly forwarder: LeaderForwarder,
    readonly store: StateStore,
    private readonly gc: TombstoneGc,
    membership: AgentMembership,
    logger: Logger,
    cleanup: (() => Promise<void>)[],
    options: ServerAgentOptions,
  ) {
    const host = storeAgentHost({
      store,
      raft,
      apply: (cmd) => applyCommand(forwarder, gc, cmd),
    });
    super(config, membership, host, store.acl, logger, cleanup, options);
    this.operator = new RaftOperator(raft, forwarder, (id) => this.nodeNameOf(id));
    this.sessions = new SessionService(
      raft,
      forwarder,
      store,
      (cmd) => this.apply(cmd),
      logger.child({ module: 'session' }),
      config.sessionTtlMinMs,
    );
    this.otherDatacenters = new RemoteDatacenters(
      membership,
      config.datacenter,
      forwarder.pool,
      logger.child({ module: 'wan' }),
    );
    this.preparedQueries = new PreparedQueryService({
      store,
      apply: (cmd) => this.apply(cmd),
      catchUp: () => this.readIndex(false),
      config: () => this.current,
      acl: this.acl,
      logger: logger.child({ module: 'prepared-query' }),
    });
    // Failover reaches other datacenters' servers through the WAN pool.
    this.preparedQueries.setRemoteExecutor(this.otherDatacenters.queryExecutor());
    // `Near` and `?near` order results by the network coordinates stored here.
    this.preparedQueries.setNearSorter({
      sortByDistance: (source, items, nodeOf) => {
        const distance = nearDistances(store, source);
        if (distance === null) return false;
        items.splice(0, items.length, ...sortNear(items, distance, nodeOf));
        return true;
      },
    });
  }

  apply(cmd: Command): Promise<unknown> {
    return applyCommand(this.forwarder, this.gc, cmd);
  }

  /** A server's node name: ours, or the catalog node registered with that ID. */
  private nodeNameOf(id: string): string | null {
    if (id === this.current.nodeId) return this.current.nodeName;
    return this.store.catalogNodes().value.find((node) => node.id === id)?.node ?? null;
  }

  readIndex(consistent: boolean, signal?: AbortSignal): Promise<number> {
    return this.forwarder.readIndex(consistent, signal);
  }
}

/** Proposes `cmd` on the leader, timing it as Consul's endpoints do, and hints the GC. */
async function applyCommand(
  forwarder: LeaderForwarder,
  gc: TombstoneGc,
  cmd: Command,
): Promise<unknown> {
  const started = performance.now();
  const { index, result } = await forwarder.apply(encodeCommand(cmd));
  const timer = APPLY_TIMERS[cmd.type];
  if (timer !== undefined) metrics.measureSince(timer, started);
  if (leavesTombstones(cmd)) gc.hint(index);
  return result;
}

/** Consul's endpoint timers (kvs.apply, txn.apply, catalog.register, …) by command. */
const APPLY_TIMERS: Partial<Record<Command['type'], string>> = {
  'kv-set': 'kvs.apply',
  'kv-delete': 'kvs.apply',
  'kv-delete-tree': 'kvs.apply',
  txn: 'txn.apply',
  'txn-mixed': 'txn.apply',
  'catalog-register': 'catalog.register',
  'catalog-deregister': 'catalog.deregister',
};

/**
 * Raft's gauges each second; on the leader, each follower's last contact and autopilot's verdict
 * (healthy when every server of the configuration is, as autopilot's health() decides).
 */
function raftGauges(raft: RaftHandle, config: AgentConfig): () => void {
  const autopilot = new Autopilot({
    raft,
    discovery: { servers: () => [], onChange: () => () => undefined },
    datacenter: config.datacenter,
    config: () => config.autopilot,
    logger: pino({ enabled: false }),
  });
  return () => {
    const status = raft.status();
    const leader = raft.isLeader();
    metrics.setGauge('raft.applied_index', status.appliedIndex);
    metrics.setGauge('raft.last_index', status.lastLogIndex);
    metrics.setGauge('raft.is_leader', leader ? 1 : 0);
    metrics.setGauge('server.isLeader', leader ? 1 : 0);
    if (!leader) return;
    for (const peer of raft.peerStats()) {
      if (peer.lastContactMs >= 0) metrics.addSample('raft.leader.lastContact', peer.lastContactMs);
    }
    const health = autopilot.health();
    metrics.setGauge('autopilot.healthy', health.healthy ? 1 : 0);
    metrics.setGauge('autopilot.failure_tolerance', health.failureTolerance);
  };
}

function leavesTombstones(cmd: Command): boolean {
  // A destroyed session with behavior `delete` deletes the keys it held; a restored snapshot may
  // bring tombstones of its own.
  if (cmd.type === 'kv-delete' || cmd.type === 'kv-delete-tree') return true;
  if (cmd.type === 'session-destroy' || cmd.type === 'snapshot-restore') return true;
  return cmd.type === 'txn' && cmd.ops.some((op) => op.verb.startsWith('delete'));
}

/** RaftNode's clock from performance.raft_multiplier, as Consul scales hashicorp/raft's timeouts. */
function raftTicks(config: AgentConfig): {
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
} {
  const { tickMs, electionTicks, heartbeatTicks } = raftTiming(config.raftMultiplier);
  return { tickMs, electionTicks, heartbeatTicks };
}
