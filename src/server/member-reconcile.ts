// The leader's member reconcile (cluster.md §3.5): the catalog follows the LAN pool. An alive
// member is a registered node with `serfHealth` passing (servers also with the `consul` service);
// a failed one keeps its registrations with `serfHealth` critical; a member that left or was
// reaped is deregistered, and so is a catalog node with a `serfHealth` check that the pool no
// longer knows. Runs on gaining leadership, on every member event and every 60 s.
import type { Logger } from 'pino';

import type { SerfMember } from '../gossip';
import {
  emptyCheckDefinition,
  type CheckRegistration,
  type Command,
  type ServiceRegistration,
  type StateStore,
} from '../state';
import { asServer } from './membership';

export const SERF_CHECK_ID = 'serfHealth';
const ALIVE_OUTPUT = 'Agent alive and reachable';
const FAILED_OUTPUT = 'Agent not live or unreachable';
const RECONCILE_INTERVAL_MS = 60_000;

export interface MemberSource {
  /** Every member of the LAN pool, in any status. */
  members(): SerfMember[];
  onChange(listener: () => void): () => void;
}

export interface MemberReconcilerOptions {
  source: MemberSource;
  store: StateStore;
  apply: (cmd: Command) => Promise<unknown>;
  datacenter: string;
  /** The leader never deregisters itself. */
  nodeName: string;
  logger: Logger;
  intervalMs?: number;
}

export class MemberReconciler {
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly options: MemberReconcilerOptions) {}

  /** Runs while this server leads. */
  setEnabled(leading: boolean): void {
    if (leading && this.timer === null) {
      this.timer = setInterval(() => this.poke(), this.options.intervalMs ?? RECONCILE_INTERVAL_MS);
      this.unsubscribe = this.options.source.onChange(() => this.poke());
      this.poke();
    } else if (!leading && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.unsubscribe?.();
      this.unsubscribe = null;
    }
  }

  async stop(): Promise<void> {
    this.setEnabled(false);
    await this.running;
  }

  /** One reconcile at a time; a change during one schedules one more. */
  private poke(): void {
    if (this.timer === null) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .catch((error: unknown) =>
        this.options.logger.warn(
          { err: error },
          'member reconcile failed; retrying on next change',
        ),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const { source, datacenter } = this.options;
    const known = new Set<string>();
    for (const member of source.members()) {
      if ((member.tags.dc ?? '') !== datacenter) continue;
      if (member.tags.role !== 'consul' && member.tags.role !== 'node') continue;
      known.add(member.name);
      if (this.timer === null) return;
      switch (member.status) {
        case 'alive':
          await this.registerAlive(member);
          break;
        case 'failed':
          await this.markFailed(member);
          break;
        case 'left':
          await this.deregister(member.name, 'left');
          break;
        default:
          break;
      }
    }
    // Nodes the pool has forgotten (reaped, or pruned by force-leave) go too.
    for (const check of this.options.store.healthChecksInState('any').value) {
      if (check.checkID !== SERF_CHECK_ID || known.has(check.node)) continue;
      if (this.timer === null) return;
      await this.deregister(check.node, 'reaped');
    }
  }

  private async registerAlive(member: SerfMember): Promise<void> {
    const { store } = this.options;
    const id = member.tags.id ?? '';
    const node = store.catalogNode(member.name).value?.node ?? null;
    const checks = store.healthNodeChecks(member.name).value;
    const serf = checks.find((check) => check.checkID === SERF_CHECK_ID);
    const server = asServer(member);
    const wantedService =
      server === null ? null : consulService(member, Number(server.address.split(':').pop()));
    const services = store.nodeServices(member.name).value;
    const current = services.find((service) => service.id === 'consul');
    const upToDate =
      node !== null &&
      node.address === member.addr &&
      (id === '' || node.id === id) &&
      serf?.status === 'passing' &&
      (wantedService === null || (current !== undefined && current.port === wantedService.port));
    if (upToDate) return;
    await this.register(
      member,
      wantedService,
      serfCheck(member.name, 'passing', ALIVE_OUTPUT),
      false,
    );
    this.options.logger.info({ member: member.name }, 'member joined, marking health alive');
  }

  private async markFailed(member: SerfMember): Promise<void> {
    const { store } = this.options;
    if (store.catalogNode(member.name).value === null) return;
    const serf = store
      .healthNodeChecks(member.name)
      .value.find((check) => check.checkID === SERF_CHECK_ID);
    if (serf?.status === 'critical') return;
    await this.register(member, null, serfCheck(member.name, 'critical', FAILED_OUTPUT), true);
    this.options.logger.info({ member: member.name }, 'member failed, marking health critical');
  }

  private async register(
    member: SerfMember,
    service: ServiceRegistration | null,
    check: CheckRegistration,
    skipNodeUpdate: boolean,
  ): Promise<void> {
    const existing = this.options.store.catalogNode(member.name).value?.node;
    await this.options.apply({
      type: 'catalog-register',
      registration: {
        id: member.tags.id ?? '',
        node: member.name,
        address: member.addr,
        datacenter: this.options.datacenter,
        taggedAddresses: existing?.taggedAddresses ?? {},
        nodeMeta: existing?.meta ?? {},
        skipNodeUpdate,
        service,
        checks: [check],
      },
    });
  }

  private async deregister(node: string, why: 'left' | 'reaped'): Promise<void> {
    if (node === this.options.nodeName) return;
    if (this.options.store.catalogNode(node).value === null) return;
    await this.options.apply({
      type: 'catalog-deregister',
      deregistration: { node, serviceID: '', checkID: '' },
    });
    this.options.logger.info({ member: node }, `member ${why}, deregistering`);
  }
}

function serfCheck(node: string, status: string, output: string): CheckRegistration {
  return {
    node,
    checkID: SERF_CHECK_ID,
    name: 'Serf Health Status',
    status,
    notes: '',
    output,
    serviceID: '',
    type: '',
    interval: '',
    timeout: '',
    exposedPort: 0,
    definition: emptyCheckDefinition(),
  };
}

/** The `consul` service Consul's leader registers for every server (port = its RPC port). */
function consulService(member: SerfMember, port: number): ServiceRegistration {
  const tags = member.tags;
  return {
    id: 'consul',
    service: 'consul',
    tags: [],
    address: '',
    taggedAddresses: {},
    meta: {
      non_voter: tags.nonvoter === '1' ? 'true' : 'false',
      raft_version: tags.raft_vsn ?? '3',
      read_replica: tags.read_replica === '1' ? 'true' : 'false',
      serf_protocol_current: String(member.protocolCur),
      serf_protocol_max: String(member.protocolMax),
      serf_protocol_min: String(member.protocolMin),
      version: (tags.build ?? '').split(':')[0],
    },
    port,
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    kind: '',
  };
}
