// The agent's gossip pools (cluster.md §3): the LAN pool every agent of the datacenter joins,
// and on servers the WAN pool of all datacenters' servers. Consul's tags tell servers apart;
// the LAN pool's servers are what bootstrap_expect counts and autopilot adds to Raft.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

import type { AgentConfig, GossipTuning } from '../config';
import {
  Keyring,
  Serf,
  lanConfig,
  wanConfig,
  type MemberlistConfig,
  type SerfEvent,
  type SerfMember,
} from '../gossip';
import { CONSUL_COMPAT_BUILD } from '../config';
import { distanceSeconds, isCompatible } from '../coordinate';
import { recordMemberEvent, type MemberEvent } from '../telemetry';
import type { KnownServer, ServerDiscovery, ServerStatus } from './servers';

/** Consul's consul.serf.member.* counters, one per member in each event. */
const MEMBER_METRICS: Partial<Record<SerfEvent['type'], MemberEvent>> = {
  'member-join': 'join',
  'member-leave': 'left',
  'member-failed': 'failed',
  'member-update': 'update',
  'member-reap': 'reap',
};

/** Serf's MemberStatus numbers, as /v1/agent/members reports them. */
export const MEMBER_STATUS_CODES: Readonly<Record<SerfMember['status'], number>> = {
  none: 0,
  alive: 1,
  leaving: 2,
  left: 3,
  failed: 4,
};

export type Pool = 'lan' | 'wan';

export interface MembershipOptions {
  config: AgentConfig;
  /** Bound port of the server port (RPC and Raft), 0 on client agents. */
  serverPort: number;
  logger: Logger;
  /** Called when joining gave up after retry_max attempts; the agent then exits. */
  onJoinGaveUp: (message: string) => void;
}

export class AgentMembership implements ServerDiscovery {
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: SerfEvent, pool: Pool) => void>();
  private readonly stopJoins = new AbortController();
  private left = false;

  private constructor(
    private readonly options: MembershipOptions,
    readonly lan: Serf,
    readonly wan: Serf | null,
  ) {
    lan.onEvent((event) => this.dispatch(event, 'lan'));
    wan?.onEvent((event) => this.dispatch(event, 'wan'));
  }

  /** Starts the pools (WAN first, so the LAN tags can carry its bound port) and the joins. */
  static async start(options: MembershipOptions): Promise<AgentMembership> {
    const { config, logger } = options;
    const serfDir = config.dataDir === null ? null : join(config.dataDir, 'serf');
    if (serfDir !== null) mkdirSync(serfDir, { recursive: true });
    const keyringFile = (name: string): string | undefined =>
      serfDir === null ? undefined : join(serfDir, name);
    let wan: Serf | null = null;
    if (config.server) {
      wan = await Serf.create({
        nodeName: `${config.nodeName}.${config.datacenter}`,
        tags: serverTags(config, options.serverPort, null),
        memberlist: memberlistConfig(
          wanConfig(),
          config,
          'wan',
          loadKeyring(config, keyringFile('remote.keyring'), logger),
          logger,
        ),
        snapshotPath: serfDir === null ? undefined : join(serfDir, 'remote.snapshot'),
        keyringFile: keyringFile('remote.keyring'),
        merge: (members) => wanMergeCheck(members),
        rejoinAfterLeave: config.gossip.rejoinAfterLeave,
        reconnectTimeoutMs: config.gossip.reconnectTimeoutWanMs,
        tombstoneTimeoutMs: 24 * 3_600_000,
        eventBuffer: 512,
        userEventSizeLimit: 512,
        disableCoordinates: config.coordinates.disabled,
        logger: logger.child({ module: 'serf-wan' }),
      });
    }
    let lan: Serf;
    try {
      lan = await Serf.create({
        nodeName: config.nodeName,
        tags: config.server
          ? serverTags(config, options.serverPort, wan?.memberlist.localNode().port ?? null)
          : clientTags(config),
        memberlist: memberlistConfig(
          lanConfig(),
          config,
          'lan',
          loadKeyring(config, keyringFile('local.keyring'), logger),
          logger,
        ),
        snapshotPath: serfDir === null ? undefined : join(serfDir, 'local.snapshot'),
        keyringFile: keyringFile('local.keyring'),
        merge: (members) => lanMergeCheck(config, members),
        rejoinAfterLeave: config.gossip.rejoinAfterLeave,
        reconnectTimeoutMs: config.reconnectTimeoutMs,
        tombstoneTimeoutMs: 24 * 3_600_000,
        eventBuffer: 512,
        userEventSizeLimit: 512,
        disableCoordinates: config.coordinates.disabled,
        logger: logger.child({ module: 'serf-lan' }),
      });
    } catch (error) {
      await wan?.shutdown();
      throw error;
    }
    const membership = new AgentMembership(options, lan, wan);
    membership.startJoins();
    return membership;
  }

  /** Where each pool listens (host:port), for the start-up banner. */
  lanPort(): number {
    return this.lan.memberlist.localNode().port;
  }

  wanPort(): number | null {
    return this.wan?.memberlist.localNode().port ?? null;
  }

  pool(wan: boolean): Serf {
    if (!wan) return this.lan;
    if (this.wan === null) throw new Error('WAN pool is not available on client agents');
    return this.wan;
  }

  /** Joins `addresses` now (the `join` endpoint); resolves with how many were reached. */
  join(addresses: string[], wan: boolean): Promise<number> {
    return this.pool(wan).join(addresses, false);
  }

  // ---- ServerDiscovery ---------------------------------------------------------------------

  servers(): KnownServer[] {
    const servers: KnownServer[] = [];
    for (const member of this.lan.members()) {
      const server = asServer(member);
      if (server !== null) servers.push(server);
    }
    return servers;
  }

  /** Servers of every datacenter as the WAN pool shows them (none on client agents). */
  /** Estimated round trip (seconds) from us to a WAN member by coordinates; +∞ when unknown. */
  wanDistance(name: string): number {
    const own = this.wan?.getCoordinate() ?? null;
    const other = this.wan?.getCachedCoordinate(name) ?? null;
    if (own === null || other === null || !isCompatible(own, other)) return Infinity;
    return distanceSeconds(own, other);
  }

  wanServers(): KnownServer[] {
    const servers: KnownServer[] = [];
    for (const member of this.wan?.members() ?? []) {
      const server = asServer(member);
      if (server !== null) servers.push(server);
    }
    return servers;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every serf event of either pool (members joining and failing, user events). */
  onEvent(listener: (event: SerfEvent, pool: Pool) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Graceful leave of both pools (LAN first, as Consul). */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    this.stopJoins.abort();
    await this.lan.leave();
    await this.wan?.leave();
  }

  async shutdown(): Promise<void> {
    this.stopJoins.abort();
    await this.lan.shutdown();
    await this.wan?.shutdown();
  }

  private dispatch(event: SerfEvent, pool: Pool): void {
    const metric = MEMBER_METRICS[event.type];
    if (metric !== undefined && 'members' in event) {
      for (let i = 0; i < event.members.length; i++) recordMemberEvent(metric, pool);
    }
    for (const listener of this.eventListeners) listener(event, pool);
    if (pool === 'lan' && event.type !== 'user' && event.type !== 'query') {
      for (const listener of this.listeners) listener();
      this.floodJoinWan();
    }
  }

  /**
   * Consul's flood join: a server joins, in the WAN pool, every server of its datacenter seen
   * in the LAN pool (at the address it gossips from and its wan_join_port tag).
   */
  private floodJoinWan(): void {
    const wan = this.wan;
    if (wan === null || this.left) return;
    const { config, logger } = this.options;
    const known = new Set(wan.members().map((member) => member.name));
    for (const member of this.lan.members()) {
      if (member.status !== 'alive' || member.name === config.nodeName) continue;
      const server = asServer(member);
      const port = Number(member.tags.wan_join_port);
      if (server === null || server.datacenter !== config.datacenter || !(port > 0)) continue;
      if (known.has(`${member.name}.${config.datacenter}`)) continue;
      wan
        .join([`${member.addr}:${port}`], true)
        .catch((error: unknown) =>
          logger.debug({ member: member.name, err: error }, 'WAN flood join failed'),
        );
    }
  }

  private startJoins(): void {
    const { config } = this.options;
    const gossip = config.gossip;
    if (config.retryJoin.length > 0) {
      void this.retryJoin(
        this.lan,
        'LAN',
        config.retryJoin,
        gossip.retryIntervalMs,
        gossip.retryMax,
      );
    }
    if (this.wan !== null && config.retryJoinWan.length > 0) {
      void this.retryJoin(
        this.wan,
        'WAN',
        config.retryJoinWan,
        gossip.retryIntervalWanMs,
        gossip.retryMaxWan,
      );
    }
  }

  /** Consul's retry_join loop: try every address, pause retry_interval, give up after retry_max. */
  private async retryJoin(
    serf: Serf,
    pool: 'LAN' | 'WAN',
    addresses: string[],
    intervalMs: number,
    max: number,
  ): Promise<void> {
    const logger = this.options.logger;
    const signal = this.stopJoins.signal;
    logger.info(`Joining ${pool} cluster...`);
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const reached = await serf.join(addresses, true);
        logger.info(`Join ${pool} completed. Initial agents synced with: ${reached}`);
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (max > 0 && attempt >= max) {
          const message = `agent: ${pool} join failed: ${(error as Error).message}, giving up after ${attempt} attempts (retry_max${pool === 'WAN' ? '_wan' : ''})`;
          logger.error(message);
          this.options.onJoinGaveUp(message);
          return;
        }
        logger.warn(
          `${pool} join failed: ${(error as Error).message}, retrying in ${intervalMs / 1000}s`,
        );
      }
      await pause(intervalMs, signal);
    }
  }
}

/** A LAN member that is a Consul server (role=consul with parseable port, vsn and build). */
export function asServer(member: SerfMember): KnownServer | null {
  const tags = member.tags;
  if (tags.role !== 'consul') return null;
  const port = Number(tags.port);
  if (!Number.isInteger(port) || port <= 0 || !/^\d+$/.test(tags.vsn ?? '')) return null;
  if (!/\d+\.\d+\.\d+/.test(tags.build ?? '')) return null;
  if ((tags.segment ?? '') !== '') return null;
  const expect = tags.expect === undefined ? 0 : Number(tags.expect);
  return {
    id: tags.id ?? member.name,
    name: member.name,
    address: `${member.addr}:${port}`,
    datacenter: tags.dc ?? '',
    status: serverStatus(member.status),
    expect: Number.isInteger(expect) ? expect : 0,
    bootstrap: tags.bootstrap === '1',
    readReplica: tags.read_replica === '1' || tags.nonvoter === '1',
  };
}

function serverStatus(status: SerfMember['status']): ServerStatus {
  return status === 'none' ? 'failed' : status;
}

/** The tags Consul's servers carry (cluster.md §3.2); `wanPort` only in the LAN pool. */
function serverTags(
  config: AgentConfig,
  serverPort: number,
  wanPort: number | null,
): Record<string, string> {
  const tags: Record<string, string> = {
    role: 'consul',
    dc: config.datacenter,
    id: config.nodeId,
    vsn: '2',
    vsn_min: '2',
    vsn_max: '3',
    raft_vsn: '3',
    build: CONSUL_COMPAT_BUILD,
    port: String(serverPort),
    acls: config.acl.enabled ? '1' : '0',
    ft_fs: '1',
    ft_si: '1',
  };
  if (wanPort !== null) {
    tags.segment = '';
    tags.wan_join_port = String(wanPort);
  }
  if (config.bootstrapExpect > 0) tags.expect = String(config.bootstrapExpect);
  // Consul: servers whose internal RPC has a CA say so.
  if (config.tls.internalRpc.ca.length > 0) tags.use_tls = '1';
  if (config.bootstrap || config.dev) tags.bootstrap = '1';
  return tags;
}

function clientTags(config: AgentConfig): Record<string, string> {
  return {
    role: 'node',
    dc: config.datacenter,
    segment: '',
    id: config.nodeId,
    vsn: '2',
    vsn_min: '2',
    vsn_max: '3',
    build: CONSUL_COMPAT_BUILD,
  };
}

/**
 * The pool's keyring: the keyring file when there is one (it holds rotations made since the
 * first start; Consul warns that `encrypt` is then ignored), else the `encrypt` key, else none.
 */
function loadKeyring(
  config: AgentConfig,
  file: string | undefined,
  logger: Logger,
): Keyring | null {
  if (file !== undefined && existsSync(file)) {
    let keys: Uint8Array[];
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (
        !Array.isArray(parsed) ||
        parsed.length === 0 ||
        !parsed.every((k) => typeof k === 'string')
      ) {
        throw new Error('expected a JSON array of base64 keys');
      }
      keys = (parsed as string[]).map((key) => Buffer.from(key, 'base64'));
    } catch (error) {
      throw new Error(`keyring file ${file}: ${(error as Error).message}`);
    }
    if (config.encrypt !== null) {
      logger.warn(
        `loaded the keyring from ${file}; the encrypt key is ignored while that file exists`,
      );
    }
    return Keyring.create(keys, keys[0]);
  }
  if (config.encrypt === null) return null;
  const key = Buffer.from(config.encrypt, 'base64');
  return Keyring.create([key], key);
}

/** Consul's LAN merge checks (cluster.md §3.3): node-ID conflicts and foreign datacenters. */
export function lanMergeCheck(config: AgentConfig, members: SerfMember[]): string | null {
  const ids = new Map<string, string>();
  for (const member of members) {
    const id = member.tags.id ?? '';
    if (id !== '') {
      if (id === config.nodeId && member.name !== config.nodeName) {
        return `Member '${member.name}' has conflicting node ID '${id}' with this agent's ID`;
      }
      const other = ids.get(id);
      if (other !== undefined && other !== member.name) {
        return `Member '${member.name}' has conflicting node ID '${id}' with member '${other}'`;
      }
      ids.set(id, member.name);
    }
    const consul = member.tags.role === 'node' || member.tags.role === 'consul';
    if (consul && (member.tags.dc ?? '') !== config.datacenter) {
      return `Member '${member.name}' part of wrong datacenter '${member.tags.dc ?? ''}'`;
    }
    if (consul && (member.tags.segment ?? '') !== '' && member.tags.role === 'node') {
      return `Member '${member.name}' part of wrong segment '${member.tags.segment ?? ''}'`;
    }
  }
  return null;
}

/** The WAN pool takes servers only. */
export function wanMergeCheck(members: SerfMember[]): string | null {
  for (const member of members) {
    if (member.tags.role !== 'consul') return `Member '${member.name}' is not a server`;
  }
  return null;
}

function memberlistConfig(
  base: MemberlistConfig,
  config: AgentConfig,
  pool: Pool,
  keyring: Keyring | null,
  logger: Logger,
): MemberlistConfig {
  const lan = pool === 'lan';
  const tuning: GossipTuning = lan ? config.gossip.lanTuning : config.gossip.wanTuning;
  const name = lan ? config.nodeName : `${config.nodeName}.${config.datacenter}`;
  const advertise = lan ? config.advertiseAddr : config.advertiseAddrWan;
  return {
    ...base,
    name,
    bindAddr: lan ? config.gossip.lanBind : config.gossip.wanBind,
    bindPort: lan ? config.ports.serfLan : config.ports.serfWan,
    // As Consul: advertise the configured port; 0 (tests) advertises the one bound.
    advertisePort: lan ? config.ports.serfLan : config.ports.serfWan,
    advertiseAddr: advertise,
    keyring,
    gossipVerifyIncoming: config.gossip.encryptVerifyIncoming,
    gossipVerifyOutgoing: config.gossip.encryptVerifyOutgoing,
    gossipNodes: tuning.gossipNodes ?? base.gossipNodes,
    gossipInterval: tuning.gossipIntervalMs ?? base.gossipInterval,
    probeInterval: tuning.probeIntervalMs ?? base.probeInterval,
    probeTimeout: tuning.probeTimeoutMs ?? base.probeTimeout,
    retransmitMult: tuning.retransmitMult ?? base.retransmitMult,
    suspicionMult: tuning.suspicionMult ?? base.suspicionMult,
    logger: logger.child({ module: lan ? 'memberlist-lan' : 'memberlist-wan' }),
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
