// The healthy instances of a service, prepared for answers (addresses parsed, tags lower-cased),
// kept until the store applies its next Raft entry. DNS reads are far more frequent than catalog
// writes; keyed on the store's last applied index, an answer is never staler than the store.
import type { CatalogNode, CheckServiceNode, NodeService, StateStore } from '../state';
import { parseIp, type Ip } from './address';

export interface PreparedInstance {
  node: CatalogNode;
  service: NodeService;
  nodeIp: Ip | null;
  serviceIp: Ip | null;
  /** Some check is in warning: the SRV weight is Weights.Warning. */
  warning: boolean;
  tags: Set<string>;
}

/** Services remembered between two writes; past it the cache starts over. */
const MAX_SERVICES = 4096;

export class InstanceCache {
  private index = -1;
  private readonly entries = new Map<string, PreparedInstance[]>();

  constructor(
    private readonly store: StateStore,
    /** Instances the DNS token may see (ACL changes are Raft entries: they reset the cache). */
    private readonly visible: (instance: CheckServiceNode) => boolean = () => true,
  ) {}

  /**
   * Instances of `service` (matched case-insensitively) with no critical check, or with every
   * check passing when `onlyPassing`. The array is shared: copy it before reordering.
   */
  healthy(service: string, onlyPassing: boolean): readonly PreparedInstance[] {
    const index = this.store.lastIndex();
    if (index !== this.index || this.entries.size >= MAX_SERVICES) {
      this.entries.clear();
      this.index = index;
    }
    const key = `${onlyPassing ? 'p' : 'h'}:${service}`;
    let prepared = this.entries.get(key);
    if (prepared === undefined) {
      prepared = this.instancesOf(service)
        .filter((instance) => healthy(instance, onlyPassing) && this.visible(instance))
        .map(prepare);
      this.entries.set(key, prepared);
    }
    return prepared;
  }

  /** Exact name first, else a case-insensitive match among the catalog's services. */
  private instancesOf(service: string): CheckServiceNode[] {
    const exact = this.store.healthServiceNodes(service).value;
    if (exact.length > 0) return exact;
    for (const name of this.store.catalogServices().value.keys()) {
      if (name !== service && name.toLowerCase() === service) {
        return this.store.healthServiceNodes(name).value;
      }
    }
    return [];
  }
}

/** No critical check (node checks, serfHealth and maintenance included); only_passing: all passing. */
function healthy(instance: CheckServiceNode, onlyPassing: boolean): boolean {
  return instance.checks.every((check) =>
    onlyPassing ? check.status === 'passing' : check.status !== 'critical',
  );
}

/** An instance with its addresses parsed and tags lower-cased, ready for records. */
export function prepare({ node, service, checks }: CheckServiceNode): PreparedInstance {
  return {
    node,
    service,
    nodeIp: parseIp(node.address),
    serviceIp: service.address === '' ? null : parseIp(service.address),
    warning: checks.some((check) => check.status === 'warning'),
    tags: new Set(service.tags.map((tag) => tag.toLowerCase())),
  };
}
