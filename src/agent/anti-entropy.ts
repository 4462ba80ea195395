// Anti-entropy (consul-api.md §14.1): the agent's local services and checks are the truth for
// its own node. Every sync compares them with the catalog rows of this node and proposes only
// the differences, as one `catalog-sync` Raft entry: node fields, services and checks added or
// changed, and catalog entries the agent does not know deleted (except what the servers own).
// A sync runs soon after every local change and periodically (jittered) to repair drift.
import type { Logger } from 'pino';
import type {
  CatalogNode,
  CatalogSyncOp,
  CheckRegistration,
  HealthCheck,
  NodeService,
  Registration,
  ServiceRegistration,
} from '../state';

/** The node's own fields as the agent wants them in the catalog. */
export type NodeIdentity = Omit<CatalogNode, 'createIndex' | 'modifyIndex'>;

export interface DesiredCatalog {
  node: NodeIdentity;
  services: ServiceRegistration[];
  checks: CheckRegistration[];
}

export interface CatalogView {
  node: CatalogNode | null;
  services: NodeService[];
  checks: HealthCheck[];
}

export interface SyncPlan {
  ops: CatalogSyncOp[];
  /** Services with EnableTagOverride whose catalog tags the agent adopts. */
  adoptedTags: Map<string, string[]>;
}

/** Catalog entries that servers own on their node; anti-entropy never deletes them. */
export const SERVER_OWNED_SERVICES: ReadonlySet<string> = new Set(['consul']);
export const SERVER_OWNED_CHECKS: ReadonlySet<string> = new Set(['serfHealth']);

/**
 * The ops that make the catalog view of the node equal to `desired`. `outputDue(checkId)` says
 * whether an output-only difference of a check may be synced now (check_update_interval).
 */
export function planSync(
  desired: DesiredCatalog,
  catalog: CatalogView,
  outputDue: (checkId: string) => boolean,
): SyncPlan {
  const ops: CatalogSyncOp[] = [];
  const adoptedTags = new Map<string, string[]>();
  const register = (
    service: ServiceRegistration | null,
    checks: CheckRegistration[],
    skipNodeUpdate: boolean,
  ): void => {
    ops.push({
      op: 'register',
      registration: registration(desired.node, service, checks, skipNodeUpdate),
    });
  };

  if (catalog.node === null || !sameNode(catalog.node, desired.node)) register(null, [], false);

  const wantedServices = new Map(desired.services.map((service) => [service.id, service]));
  const wantedChecks = new Map(desired.checks.map((check) => [check.checkID, check]));
  const removedServices = new Set<string>();
  for (const existing of catalog.services) {
    if (wantedServices.has(existing.id) || SERVER_OWNED_SERVICES.has(existing.id)) continue;
    ops.push({ op: 'deregister', serviceID: existing.id, checkID: '' });
    removedServices.add(existing.id);
  }
  for (const existing of catalog.checks) {
    if (wantedChecks.has(existing.checkID) || SERVER_OWNED_CHECKS.has(existing.checkID)) continue;
    if (removedServices.has(existing.serviceID)) continue;
    ops.push({ op: 'deregister', serviceID: '', checkID: existing.checkID });
  }

  const catalogServices = new Map(catalog.services.map((service) => [service.id, service]));
  for (const wanted of desired.services) {
    const existing = catalogServices.get(wanted.id);
    let service = wanted;
    if (wanted.enableTagOverride && existing !== undefined) {
      if (!sameList(existing.tags, wanted.tags)) adoptedTags.set(wanted.id, existing.tags);
      service = { ...wanted, tags: existing.tags };
    }
    if (existing === undefined || !sameService(existing, service)) register(service, [], true);
  }

  const catalogChecks = new Map(catalog.checks.map((check) => [check.checkID, check]));
  const changedChecks: CheckRegistration[] = [];
  for (const wanted of desired.checks) {
    const existing = catalogChecks.get(wanted.checkID);
    if (existing === undefined) {
      changedChecks.push(wanted);
      continue;
    }
    if (sameCheck(existing, wanted, true)) continue;
    // Only the output differs: that waits for check_update_interval.
    if (sameCheck(existing, wanted, false) && !outputDue(wanted.checkID)) continue;
    changedChecks.push(wanted);
  }
  if (changedChecks.length > 0) register(null, changedChecks, true);
  return { ops, adoptedTags };
}

function registration(
  node: NodeIdentity,
  service: ServiceRegistration | null,
  checks: CheckRegistration[],
  skipNodeUpdate: boolean,
): Registration {
  return {
    id: node.id,
    node: node.node,
    address: node.address,
    datacenter: node.datacenter,
    taggedAddresses: node.taggedAddresses,
    nodeMeta: node.meta,
    skipNodeUpdate,
    service,
    checks,
  };
}

function sameNode(row: CatalogNode, wanted: NodeIdentity): boolean {
  return (
    row.id === wanted.id &&
    row.address === wanted.address &&
    row.datacenter === wanted.datacenter &&
    sameMap(row.taggedAddresses, wanted.taggedAddresses) &&
    sameMap(row.meta, wanted.meta)
  );
}

function sameService(row: NodeService, wanted: ServiceRegistration): boolean {
  return (
    row.service === wanted.service &&
    row.kind === wanted.kind &&
    sameList(row.tags, wanted.tags) &&
    row.address === wanted.address &&
    row.port === wanted.port &&
    row.enableTagOverride === wanted.enableTagOverride &&
    row.weights.passing === wanted.weights.passing &&
    row.weights.warning === wanted.weights.warning &&
    sameMap(row.meta, wanted.meta) &&
    canonical(row.taggedAddresses) === canonical(wanted.taggedAddresses)
  );
}

function sameCheck(row: HealthCheck, wanted: CheckRegistration, withOutput: boolean): boolean {
  return (
    row.name === wanted.name &&
    row.status === wanted.status &&
    row.notes === wanted.notes &&
    (!withOutput || row.output === wanted.output) &&
    row.serviceID === wanted.serviceID &&
    row.type === wanted.type &&
    row.interval === wanted.interval &&
    row.timeout === wanted.timeout &&
    canonical(row.definition) === canonical(wanted.definition)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, for structural comparison. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(
          Object.entries(member as Record<string, unknown>).sort(([x], [y]) =>
            x < y ? -1 : x > y ? 1 : 0,
          ),
        )
      : member,
  );
}

export interface AntiEntropyOptions {
  /** Proposes a catalog-sync; resolves with the FSM's result. */
  apply(ops: CatalogSyncOp[]): Promise<{ ok: boolean; error?: string }>;
  /** The catalog's current view of this node. */
  readCatalog(): CatalogView | Promise<CatalogView>;
  /** What the agent wants the catalog to hold for its node. */
  desired(): DesiredCatalog;
  /** Told about tags adopted from the catalog (EnableTagOverride). */
  adoptTags(serviceId: string, tags: string[]): void;
  fullSyncIntervalMs: number;
  checkUpdateIntervalMs: number;
  logger: Logger;
}

/** Drives planSync: soon after changes, periodically, and again after a failure. */
export class AntiEntropy {
  private readonly outputDeadlines = new Map<string, number>();
  private readonly outputTimers = new Map<string, NodeJS.Timeout>();
  private running: Promise<void> | null = null;
  private again = false;
  private soon: NodeJS.Immediate | null = null;
  private periodic: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Completed syncs (for tests and stats). */
  syncs = 0;

  constructor(private readonly options: AntiEntropyOptions) {}

  start(): void {
    this.schedulePeriodic();
    this.trigger();
  }

  /** A local change happened: sync soon (changes in the same tick share one Raft entry). */
  trigger(): void {
    if (this.stopped || this.soon !== null) return;
    this.soon = setImmediate(() => {
      this.soon = null;
      void this.syncNow();
    });
  }

  /** Runs a sync now (after the one in progress, if any); resolves when it is done. */
  async syncNow(): Promise<void> {
    if (this.running !== null) {
      this.again = true;
      await this.running;
      if (this.running !== null) await this.running;
      return;
    }
    this.running = this.syncLoop();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** A check's status changed (or it went away): its output syncs with it, no deferral. */
  clearDeferral(checkId: string): void {
    this.outputDeadlines.delete(checkId);
    const timer = this.outputTimers.get(checkId);
    if (timer !== undefined) clearTimeout(timer);
    this.outputTimers.delete(checkId);
  }

  stop(): void {
    this.stopped = true;
    if (this.soon !== null) clearImmediate(this.soon);
    if (this.periodic !== null) clearTimeout(this.periodic);
    if (this.retry !== null) clearTimeout(this.retry);
    for (const timer of this.outputTimers.values()) clearTimeout(timer);
    this.outputTimers.clear();
  }

  private async syncLoop(): Promise<void> {
    do {
      this.again = false;
      if (this.stopped) return;
      await this.syncOnce();
    } while (this.again);
  }

  private async syncOnce(): Promise<void> {
    const { logger } = this.options;
    try {
      const catalog = await this.options.readCatalog();
      const plan = planSync(this.options.desired(), catalog, (id) => this.outputDue(id));
      for (const [id, tags] of plan.adoptedTags) this.options.adoptTags(id, tags);
      if (plan.ops.length > 0) {
        const result = await this.options.apply(plan.ops);
        if (!result.ok) throw new Error(result.error ?? 'catalog sync refused');
        logger.debug({ ops: plan.ops.length }, 'synced local state to the catalog');
      }
      this.syncs++;
    } catch (error) {
      logger.warn({ err: error }, `anti-entropy sync failed: ${(error as Error).message}`);
      this.scheduleRetry();
    }
  }

  private outputDue(checkId: string): boolean {
    const interval = this.options.checkUpdateIntervalMs;
    if (interval <= 0) return true;
    const deadline = this.outputDeadlines.get(checkId);
    if (deadline === undefined) {
      this.outputDeadlines.set(checkId, Date.now() + interval);
      const timer = setTimeout(() => {
        this.outputTimers.delete(checkId);
        this.trigger();
      }, interval);
      timer.unref();
      this.outputTimers.set(checkId, timer);
      return false;
    }
    if (Date.now() < deadline) return false;
    this.outputDeadlines.delete(checkId);
    return true;
  }

  private schedulePeriodic(): void {
    if (this.stopped) return;
    const interval = this.options.fullSyncIntervalMs;
    // Consul staggers full syncs so that agents do not all hit the servers together.
    const delay = interval + Math.floor(Math.random() * (interval / 8));
    this.periodic = setTimeout(() => {
      this.periodic = null;
      void this.syncNow().finally(() => this.schedulePeriodic());
    }, delay);
    this.periodic.unref();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(
      () => {
        this.retry = null;
        this.trigger();
      },
      Math.min(this.options.fullSyncIntervalMs, 1000 + Math.floor(Math.random() * 1000)),
    );
    this.retry.unref();
  }
}
