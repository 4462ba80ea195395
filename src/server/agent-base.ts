// What every running agent does the same way, server or client: its configuration and what a
// reload changes, its local services and checks, user events from the LAN pool, the watches
// stanza, and leaving, failing and shutting down in order.
import type { Logger } from 'pino';

import type { AclReads } from '../state';
import { AclResolver, AgentTokenFile } from '../acl';
import { LocalAgent, type AgentHost } from '../agent';
import type { AgentConfig, LoadedAgentConfig, TlsConfig } from '../config';
import { LogHub } from '../telemetry';
import { AgentWatches } from '../watches';
import type { AgentMembership } from './membership';
import { UserEvents } from './user-events';

export interface AgentBaseOptions {
  /** Re-reads the configuration from its sources; without it, reloads are refused. */
  reloadSource?: () => LoadedAgentConfig;
  /** Where the agent's log lines also go, for /v1/agent/monitor. */
  logHub?: LogHub;
}

export abstract class AgentBase {
  readonly httpAddresses: string[] = [];
  readonly httpsAddresses: string[] = [];
  /** What a reload's new certificates and CAs go to (the HTTPS listeners, the server port). */
  readonly tlsReloads: ((next: TlsConfig) => void)[] = [];
  readonly dnsAddresses: string[] = [];
  readonly startedAtMs = Date.now();
  readonly local: LocalAgent;
  readonly logs: LogHub;
  readonly acl: AclResolver;
  readonly events: UserEvents;
  readonly stopped: Promise<string | null>;
  /** The `watches` stanza's plans, once the HTTP API they read is up. */
  watches: AgentWatches | null = null;
  protected current: AgentConfig;
  private stopping: Promise<void> | null = null;
  private resolveStopped: (reason: string | null) => void = () => undefined;

  protected constructor(
    config: AgentConfig,
    readonly membership: AgentMembership,
    host: AgentHost,
    aclReads: AclReads,
    protected readonly logger: Logger,
    private readonly cleanup: (() => Promise<void>)[],
    private readonly options: AgentBaseOptions,
  ) {
    this.current = config;
    this.logs = options.logHub ?? new LogHub();
    this.local = new LocalAgent(config, host, logger.child({ module: 'agent' }));
    const tokenFile =
      config.acl.enableTokenPersistence && config.dataDir !== null
        ? new AgentTokenFile(config.dataDir)
        : null;
    this.acl = new AclResolver(
      aclReads,
      () => {
        const { acl, datacenter, nodeName } = this.current;
        return { ...acl, datacenter, nodeName };
      },
      tokenFile,
    );
    for (const warning of this.acl.loadPersistedTokens()) logger.warn(warning);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.events = new UserEvents(
      {
        nodeName: () => this.current.nodeName,
        services: () =>
          this.local
            .listServices()
            .map((entry) => ({ service: entry.record.service, tags: entry.record.tags })),
      },
      (name, payload) => membership.lan.userEvent(name, payload, false),
      logger.child({ module: 'events' }),
    );
    membership.onEvent((event, pool) => {
      if (pool === 'lan' && event.type === 'user') {
        this.events.receive(event.name, event.payload, event.ltime);
      }
    });
  }

  get config(): AgentConfig {
    return this.current;
  }

  async reloadConfig(): Promise<void> {
    if (this.options.reloadSource === undefined) {
      throw new Error(
        'configuration reload is not available: the agent was started without configuration sources',
      );
    }
    const { config, warnings } = this.options.reloadSource();
    for (const warning of warnings) this.logger.warn(warning);
    this.reload(config);
    this.logger.info(
      { services: config.serviceDefinitions.length, checks: config.checkDefinitions.length },
      'configuration reloaded',
    );
  }

  /**
   * Applies the reloadable parts of a freshly loaded configuration (consul-api.md §11.4):
   * services and checks from files first (throws, changing nothing, when they cannot apply).
   */
  reload(next: AgentConfig): void {
    const previous = this.current;
    const reloaded = reloadedConfig(previous, next);
    // A broken watch definition fails the reload before anything changes.
    AgentWatches.validate(next.watches);
    // Services and checks go first: if they cannot apply, nothing else changes either.
    this.local.reload(reloaded);
    this.current = reloaded;
    for (const reloadTls of this.tlsReloads) reloadTls(next.tls);
    this.watches?.apply(next.watches);
    if (next.logLevel !== previous.logLevel) {
      // Logged before the change so that it shows even when the new level hides info lines.
      this.logger.info({ log_level: next.logLevel }, 'log level changed');
      this.logger.level = next.logLevel;
    }
  }

  /** Graceful leave (of every pool), then shutdown; `stopped` resolves afterwards. */
  async leave(): Promise<void> {
    this.logger.info('gracefully leaving the cluster');
    try {
      await this.membership.leave();
    } catch (error) {
      this.logger.warn({ err: error }, 'leave did not complete');
    }
    await this.shutdown();
  }

  /** Shuts down after a fatal condition (a join that gave up); `stopped` carries the reason. */
  async fail(reason: string): Promise<void> {
    await this.shutdown();
    this.resolveStopped(reason);
  }

  shutdown(): Promise<void> {
    this.stopping ??= runAll(this.cleanup, this.logger).then(() => this.resolveStopped(null));
    return this.stopping;
  }
}

/** What a reload changes (Consul's list): identity, addresses, ports and data_dir stay. */
export function reloadedConfig(previous: AgentConfig, next: AgentConfig): AgentConfig {
  return {
    ...previous,
    logLevel: next.logLevel,
    nodeMeta: next.nodeMeta,
    services: next.services,
    checks: next.checks,
    serviceDefinitions: next.serviceDefinitions,
    checkDefinitions: next.checkDefinitions,
    checkUpdateIntervalMs: next.checkUpdateIntervalMs,
    // Certificates and CAs; the listeners take them through tlsReloads.
    tls: next.tls,
    enableScriptChecks: next.enableScriptChecks,
    enableLocalScriptChecks: next.enableLocalScriptChecks,
    watches: next.watches,
    recursors: next.recursors,
    dnsConfig: next.dnsConfig,
    httpConfig: next.httpConfig,
    limits: next.limits,
    configSources: next.configSources,
    merged: next.merged,
  };
}

/** Runs every step even if one fails; each failure is logged once, here. */
export async function runAll(steps: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error }, 'shutdown step failed');
    }
  }
}
