// The agent's local state (Consul's agent/local.State plus the agent around it): the services
// and checks this agent owns, each tagged with where it came from (a config file or the API);
// the registration rules of the agent endpoints; one CheckScheduler running every check, its
// results fed back here; API registrations persisted in data_dir; the critical-service reaper;
// and anti-entropy pushing all of it into the catalog.
import type { Logger } from 'pino';
import type { AgentConfig, ConfiguredCheck, ConfiguredService } from '../config';
import type { RaftHandle } from '../raft';
import type { CatalogResult, CatalogSyncOp, Command, StateStore } from '../state';
import { aliasSourceFor, type CatalogHealthView, type LocalHealthView } from './alias-sources';
import { AntiEntropy, type CatalogView, type DesiredCatalog } from './anti-entropy';
import { checkRegistration, nodeIdentity, serviceRegistration } from './catalog-shapes';
import {
  CheckScheduler,
  realClock,
  scriptChecksPolicy,
  validateCheckDefinition,
  type CheckDefinition,
  type CheckResult,
  type CheckSource,
  type CheckStatus,
  type CheckType,
} from './checks';
import {
  DefinitionError,
  type AdmittedCheck,
  type AdmittedService,
  type AgentServiceRecord,
} from './definitions';
import {
  isMaintenanceCheck,
  NODE_MAINTENANCE_CHECK_ID,
  nodeMaintenanceCheck,
  serviceMaintenanceCheck,
  serviceMaintenanceCheckId,
} from './maintenance';
import { AgentPersistence } from './persistence';

/** Where a service or check came from; only API registrations are persisted. */
export type EntrySource = { kind: 'api' } | { kind: 'config'; file: string };

export interface LocalService {
  record: AgentServiceRecord;
  source: EntrySource;
  token: string;
}

/** A check with its current state; `type` is "" for checks nothing runs (maintenance). */
export interface LocalCheck {
  definition: CheckDefinition;
  type: CheckType | '';
  status: CheckStatus;
  output: string;
  source: EntrySource;
  token: string;
  /** Name and tags of the service it is bound to ("" / [] for node checks). */
  serviceName: string;
  serviceTags: string[];
}

/**
 * What the local agent needs of the servers: the catalog's view of its own node, a way to apply
 * one anti-entropy entry, and other nodes' health for alias checks. A server answers from its
 * own store (storeAgentHost); a client agent asks a server over the server port.
 */
export interface AgentHost {
  /** The catalog rows of `node` as the servers hold them now. */
  readCatalog(node: string): CatalogView | Promise<CatalogView>;
  /** Applies the ops as one `catalog-sync` entry for `node`. */
  syncCatalog(node: string, ops: CatalogSyncOp[]): Promise<CatalogResult>;
  /** Other nodes' catalog health, for alias checks that name a node. */
  catalogHealth(): CatalogHealthView;
}

/** The AgentHost of a server: its own state store, fed by its FSM. */
export function storeAgentHost(server: {
  readonly store: StateStore;
  readonly raft: RaftHandle;
  apply(cmd: Command): Promise<unknown>;
}): AgentHost {
  const { store } = server;
  return {
    readCatalog: (node) => {
      const found = store.catalogNode(node).value;
      return {
        node: found?.node ?? null,
        services: found?.services ?? [],
        checks: store.healthNodeChecks(node).value,
      };
    },
    syncCatalog: async (node, ops) =>
      (await server.apply({ type: 'catalog-sync', node, ops })) as CatalogResult,
    catalogHealth: () => ({
      nodeExists: (node) => store.catalogNode(node).value !== null,
      serviceExists: (node, serviceId) =>
        store.nodeServices(node).value.some((service) => service.id === serviceId),
      nodeChecks: (node) =>
        store.healthNodeChecks(node).value.map((check) => ({
          checkId: check.checkID,
          serviceId: check.serviceID,
          name: check.name,
          status: check.status as CheckStatus,
          output: check.output,
        })),
      onChange: (listener) => server.raft.onApplied(() => listener()),
    }),
  };
}

interface CheckEntry {
  definition: CheckDefinition;
  type: CheckType | '';
  status: CheckStatus;
  output: string;
  source: EntrySource;
  token: string;
}

const API: EntrySource = { kind: 'api' };

export class LocalAgent {
  private readonly services = new Map<string, LocalService>();
  private readonly checks = new Map<string, CheckEntry>();
  private readonly scheduler: CheckScheduler;
  private readonly persistence: AgentPersistence | null;
  private readonly antiEntropy: AntiEntropy;
  private readonly listeners = new Set<() => void>();
  private reaper: NodeJS.Timeout | null = null;
  private catalogHealth: CatalogHealthView | null = null;
  private config: AgentConfig;

  constructor(
    config: AgentConfig,
    private readonly host: AgentHost,
    private readonly logger: Logger,
  ) {
    this.config = config;
    this.persistence = config.dataDir === null ? null : new AgentPersistence(config.dataDir);
    const localView: LocalHealthView = {
      nodeName: config.nodeName,
      hasService: (id) => this.services.has(id),
      localChecks: () =>
        [...this.checks.values()].map((entry) => ({
          checkId: entry.definition.id,
          serviceId: entry.definition.serviceId ?? '',
          name: entry.definition.name,
          status: entry.status,
          output: entry.output,
        })),
      onChange: (listener) => this.onChange(listener),
    };
    this.scheduler = new CheckScheduler({
      aliasSource: (def) => aliasSourceFor(def, localView, this.catalogHealthView()),
      onListenerError: (err, checkId) =>
        this.logger.error({ err, checkId }, 'check result handling failed'),
    });
    this.scheduler.onResult((checkId, status, output) =>
      this.onCheckResult(checkId, status, output),
    );
    this.antiEntropy = new AntiEntropy({
      apply: async (ops) => this.applySync(ops),
      readCatalog: () => host.readCatalog(this.config.nodeName),
      desired: () => this.desiredCatalog(),
      adoptTags: (serviceId, tags) => {
        const service = this.services.get(serviceId);
        if (service !== undefined) service.record = { ...service.record, tags };
      },
      fullSyncIntervalMs: config.agentTimings.antiEntropyIntervalMs,
      checkUpdateIntervalMs: config.checkUpdateIntervalMs,
      logger: logger.child({ module: 'anti-entropy' }),
    });
  }

  /** Loads config definitions and persisted registrations, then starts checks and syncing. */
  start(): void {
    this.applyConfigDefinitions(this.config.serviceDefinitions, this.config.checkDefinitions);
    this.restorePersisted();
    this.antiEntropy.start();
    this.scheduleReaper();
  }

  async stop(): Promise<void> {
    this.antiEntropy.stop();
    if (this.reaper !== null) clearTimeout(this.reaper);
    this.reaper = null;
    await this.scheduler.stop();
  }

  /** Runs an anti-entropy sync now and resolves when it is done (tests, shutdown). */
  syncNow(): Promise<void> {
    return this.antiEntropy.syncNow();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- reads -------------------------------------------------------------------------------

  listServices(): LocalService[] {
    return [...this.services.values()].sort((a, b) => compare(a.record.id, b.record.id));
  }

  service(id: string): LocalService | undefined {
    return this.services.get(id);
  }

  listChecks(): LocalCheck[] {
    return [...this.checks.values()]
      .sort((a, b) => compare(a.definition.id, b.definition.id))
      .map((entry) => this.view(entry));
  }

  check(id: string): LocalCheck | undefined {
    const entry = this.checks.get(id);
    return entry === undefined ? undefined : this.view(entry);
  }

  /** The service's checks followed by the node-level checks (Consul's ChecksForService). */
  checksForService(serviceId: string): LocalCheck[] {
    return this.listChecks().filter((check) => {
      const bound = check.definition.serviceId ?? '';
      return bound === serviceId || bound === '';
    });
  }

  get nodeName(): string {
    return this.config.nodeName;
  }

  get datacenter(): string {
    return this.config.datacenter;
  }

  /** Whether script checks may come from `source` (enable_script_checks & co). */
  scriptChecksAllowed(source: CheckSource): boolean {
    return scriptChecksPolicy(this.config)(source);
  }

  // ---- API registrations -------------------------------------------------------------------

  /**
   * PUT /agent/service/register: adds or replaces the service and its checks. Existing checks
   * keep their status; with `replaceExistingChecks`, checks of the service not in the request go.
   */
  registerService(admitted: AdmittedService, replaceExistingChecks: boolean): void {
    this.putService(admitted, API, replaceExistingChecks, new Set());
    this.changed();
  }

  deregisterService(id: string): void {
    if (!this.services.has(id)) {
      throw new DefinitionError(
        404,
        `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`,
      );
    }
    this.removeService(id);
    this.changed();
  }

  registerCheck(admitted: AdmittedCheck): void {
    const serviceId = admitted.definition.serviceId ?? '';
    if (serviceId !== '' && !this.services.has(serviceId)) {
      throw new DefinitionError(404, `ServiceID ${JSON.stringify(serviceId)} does not exist`);
    }
    this.putCheck(admitted.definition, admitted.type, admitted.status, admitted.token, API, false);
    this.changed();
  }

  deregisterCheck(id: string): void {
    if (!this.checks.has(id)) {
      throw new DefinitionError(
        404,
        `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`,
      );
    }
    this.removeCheck(id);
    this.changed();
  }

  /** A TTL check's report (pass/warn/fail/update), kept in data_dir until its TTL runs out. */
  updateTtl(id: string, status: CheckStatus, output: string): void {
    const entry = this.checks.get(id);
    if (entry === undefined || entry.type !== 'ttl') {
      throw new DefinitionError(500, `CheckID ${JSON.stringify(id)} does not have associated TTL`);
    }
    const stored = this.scheduler.updateTtl(id, status, output);
    if (this.persistence === null) return;
    try {
      const ttlMs = entry.definition.ttl ?? 0;
      this.persistence.saveCheckState(id, { status, output: stored }, ttlMs, Date.now());
    } catch (err) {
      throw new DefinitionError(
        500,
        `failed persisting state for check ${JSON.stringify(id)}: ${(err as Error).message}`,
      );
    }
  }

  setNodeMaintenance(enable: boolean, reason: string): void {
    this.toggleMaintenance(NODE_MAINTENANCE_CHECK_ID, enable, () => nodeMaintenanceCheck(reason));
  }

  setServiceMaintenance(serviceId: string, enable: boolean, reason: string): void {
    if (!this.services.has(serviceId)) {
      throw new DefinitionError(404, `Unknown service ID ${JSON.stringify(serviceId)}`);
    }
    this.toggleMaintenance(serviceMaintenanceCheckId(serviceId), enable, () =>
      serviceMaintenanceCheck(serviceId, reason),
    );
  }

  /** Adds or removes a maintenance check; enabling twice keeps the first reason, as Consul. */
  private toggleMaintenance(checkId: string, enable: boolean, check: () => CheckDefinition): void {
    if (enable === this.checks.has(checkId)) return;
    if (enable) this.putCheck(check(), '', 'critical', '', API, false);
    else this.removeCheck(checkId);
    this.logger.info({ check: checkId }, enable ? 'maintenance mode on' : 'maintenance mode off');
    this.changed();
  }

  // ---- configuration -----------------------------------------------------------------------

  /**
   * Applies a reloaded configuration: config-file services and checks added, changed or
   * removed; API registrations untouched; unchanged checks keep status and schedule. Throws
   * (changing nothing) when a check is bound to a service that would not exist.
   */
  reload(next: AgentConfig): void {
    this.verifyBindings(next.serviceDefinitions, next.checkDefinitions);
    const nextServiceIds = new Set(next.serviceDefinitions.map((s) => s.admitted.service.id));
    const nextCheckIds = new Set(next.checkDefinitions.map((c) => c.admitted.definition.id));
    for (const service of [...this.services.values()]) {
      if (service.source.kind === 'config' && !nextServiceIds.has(service.record.id)) {
        this.removeService(service.record.id);
        this.logger.info({ service: service.record.id }, 'service removed by configuration reload');
      }
    }
    for (const entry of [...this.checks.values()]) {
      const id = entry.definition.id;
      const embedded =
        (entry.definition.serviceId ?? '') !== '' &&
        nextServiceIds.has(entry.definition.serviceId ?? '');
      if (entry.source.kind === 'config' && !nextCheckIds.has(id) && !embedded) {
        this.removeCheck(id);
      }
    }
    this.config = next;
    this.applyConfigDefinitions(next.serviceDefinitions, next.checkDefinitions);
    this.changed();
  }

  private applyConfigDefinitions(
    services: readonly ConfiguredService[],
    checks: readonly ConfiguredCheck[],
  ): void {
    this.verifyBindings(services, checks);
    // Top-level config checks bound to a config service are not that service's to replace.
    const standalone = new Set(checks.map((c) => c.admitted.definition.id));
    for (const { admitted, source } of services) {
      this.putService(admitted, { kind: 'config', file: source }, true, standalone);
    }
    for (const { admitted, source } of checks) {
      const def = admitted.definition;
      this.putCheck(
        def,
        admitted.type,
        admitted.status,
        admitted.token,
        { kind: 'config', file: source },
        true,
      );
    }
  }

  /** Config checks bound to a service need that service (from config or the API). */
  private verifyBindings(
    services: readonly ConfiguredService[],
    checks: readonly ConfiguredCheck[],
  ): void {
    const known = new Set(services.map((s) => s.admitted.service.id));
    for (const service of this.services.values()) {
      if (service.source.kind === 'api') known.add(service.record.id);
    }
    for (const { admitted, source } of checks) {
      const serviceId = admitted.definition.serviceId ?? '';
      if (serviceId !== '' && !known.has(serviceId)) {
        throw new DefinitionError(
          400,
          `${source}: check ${JSON.stringify(admitted.definition.id)}: ServiceID ${JSON.stringify(serviceId)} does not exist`,
        );
      }
    }
  }

  private restorePersisted(): void {
    if (this.persistence === null) return;
    const warn = (message: string): void => this.logger.warn(message);
    for (const { service, token } of this.persistence.loadServices(warn)) {
      if (this.services.has(service.id)) {
        this.logger.warn(
          { service: service.id },
          'service from the configuration wins over the persisted one',
        );
        continue;
      }
      this.services.set(service.id, { record: service, source: API, token });
    }
    for (const { definition, token } of this.persistence.loadChecks(warn)) {
      const serviceId = definition.serviceId ?? '';
      if (this.checks.has(definition.id)) continue;
      if (serviceId !== '' && !this.services.has(serviceId)) {
        this.persistence.removeCheck(definition.id);
        continue;
      }
      let type: CheckType | '' = '';
      if (!isMaintenanceCheck(definition.id)) {
        const validation = validateCheckDefinition(definition, {
          source: 'api',
          scriptChecksAllowed: scriptChecksPolicy(this.config),
        });
        if (!validation.ok) {
          this.logger.warn(
            { check: definition.id, reason: validation.error },
            'dropping a persisted check that no longer validates',
          );
          continue;
        }
        type = validation.type;
      }
      // Consul restores API checks critical (a TTL check's saved state may then lift that), so
      // that a restart never puts a possibly unhealthy service back into the pool.
      this.putCheck(definition, type, 'critical', token, API, false);
    }
  }

  // ---- state changes -----------------------------------------------------------------------

  private putService(
    admitted: AdmittedService,
    source: EntrySource,
    replaceExistingChecks: boolean,
    alsoKeep: ReadonlySet<string>,
  ): void {
    const { service, checks, token } = admitted;
    // Saved first: when the disk refuses it (full, read-only), nothing has changed yet.
    if (source.kind === 'api') this.persistence?.saveService({ service, token });
    else this.persistence?.removeService(service.id);
    this.services.set(service.id, { record: service, source, token });
    if (replaceExistingChecks) {
      // A config service owns exactly its listed checks; API-registered ones bound to it stay.
      const kept = new Set(checks.map((check) => check.definition.id));
      for (const entry of [...this.checks.values()]) {
        const id = entry.definition.id;
        if (entry.definition.serviceId !== service.id || kept.has(id) || alsoKeep.has(id)) continue;
        if (isMaintenanceCheck(id)) continue;
        if (source.kind === 'api' || entry.source.kind === 'config') this.removeCheck(id);
      }
    }
    // Existing checks keep their status (Consul snapshots check states around AddService).
    for (const check of checks) {
      this.putCheck(check.definition, check.type, check.status, check.token, source, true);
    }
  }

  private removeService(id: string): void {
    this.services.delete(id);
    this.persistence?.removeService(id);
    for (const entry of [...this.checks.values()]) {
      if (entry.definition.serviceId === id) this.removeCheck(entry.definition.id);
    }
  }

  private putCheck(
    definition: CheckDefinition,
    type: CheckType | '',
    status: CheckStatus,
    token: string,
    source: EntrySource,
    keepStatus: boolean,
  ): void {
    const id = definition.id;
    // Saved first: when the disk refuses it (full, read-only), nothing has changed yet.
    if (source.kind === 'api')
      this.persistence?.saveCheck({ definition: { ...definition, status }, token });
    else this.persistence?.removeCheck(id);
    const existing = this.checks.get(id);
    const keep = keepStatus && existing !== undefined;
    if (existing !== undefined && existing.type !== '' && (!keep || type === '')) {
      this.scheduler.remove(id);
    }
    // A TTL check (re)added picks up the status it was last given, unless that has expired.
    const saved = !keep && type === 'ttl' ? this.savedTtlState(id) : null;
    const entry: CheckEntry = {
      definition,
      type,
      status: keep ? existing.status : (saved?.status ?? status),
      output: keep ? existing.output : (saved?.output ?? ''),
      source,
      token,
    };
    this.checks.set(id, entry);
    if (type !== '') this.scheduler.add({ ...definition, status: entry.status }, entry.output);
    if (!keep || existing?.status !== entry.status) this.antiEntropy.clearDeferral(id);
  }

  private removeCheck(id: string): void {
    const entry = this.checks.get(id);
    if (entry === undefined) return;
    this.checks.delete(id);
    if (entry.type !== '') this.scheduler.remove(id);
    this.persistence?.removeCheck(id);
    this.persistence?.removeCheckState(id);
    this.antiEntropy.clearDeferral(id);
  }

  private savedTtlState(id: string): CheckResult | null {
    if (this.persistence === null) return null;
    return this.persistence.loadCheckState(id, Date.now(), (message) =>
      this.logger.warn({ check: id }, message),
    );
  }

  private onCheckResult(checkId: string, status: CheckStatus, output: string): void {
    const entry = this.checks.get(checkId);
    if (entry === undefined) return;
    if (entry.status !== status) this.antiEntropy.clearDeferral(checkId);
    entry.status = status;
    entry.output = output;
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'local state listener failed');
      }
    }
    this.antiEntropy.trigger();
  }

  private view(entry: CheckEntry): LocalCheck {
    const service = this.services.get(entry.definition.serviceId ?? '');
    return {
      definition: entry.definition,
      type: entry.type,
      status: entry.status,
      output: entry.output,
      source: entry.source,
      token: entry.token,
      serviceName: service?.record.service ?? '',
      serviceTags: service?.record.tags ?? [],
    };
  }

  // ---- catalog -----------------------------------------------------------------------------

  private desiredCatalog(): DesiredCatalog {
    const node = this.config.nodeName;
    const services = [...this.services.values()].map((s) => serviceRegistration(s.record));
    const checks = [...this.checks.values()].map((entry) =>
      checkRegistration(node, entry.definition, entry.type, entry.status, entry.output),
    );
    return { node: nodeIdentity(this.config), services, checks };
  }

  private async applySync(ops: CatalogSyncOp[]): Promise<{ ok: boolean; error?: string }> {
    const result = await this.host.syncCatalog(this.config.nodeName, ops);
    return result.ok ? { ok: true } : { ok: false, error: result.error };
  }

  private catalogHealthView(): CatalogHealthView {
    this.catalogHealth ??= this.host.catalogHealth();
    return this.catalogHealth;
  }

  // ---- reaper ------------------------------------------------------------------------------

  private scheduleReaper(): void {
    this.reaper = setTimeout(() => {
      this.reapCriticalServices();
      this.scheduleReaper();
    }, this.config.agentTimings.reapIntervalMs);
    this.reaper.unref();
  }

  /** Deregisters services whose check has been critical longer than its DCSA timeout. */
  reapCriticalServices(): void {
    const now = realClock.now();
    const floor = this.config.agentTimings.minDeregisterCriticalMs;
    let reaped = false;
    for (const entry of [...this.checks.values()]) {
      const after = entry.definition.deregisterCriticalServiceAfter ?? 0;
      const serviceId = entry.definition.serviceId ?? '';
      if (after <= 0 || serviceId === '' || entry.status !== 'critical') continue;
      if (!this.services.has(serviceId)) continue;
      const since = this.scheduler.criticalSince(entry.definition.id);
      if (since === undefined || now - since < Math.max(after, floor)) continue;
      this.logger.info(
        { service: serviceId, check: entry.definition.id },
        'removed service: its check has been critical longer than deregister_critical_service_after',
      );
      this.removeService(serviceId);
      reaped = true;
    }
    if (reaped) this.changed();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
