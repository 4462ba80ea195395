// The servers a client agent talks to (Consul's router/manager): every alive server of its
// datacenter that the LAN pool shows, in a shuffled order whose head takes the calls. A server
// that fails a call goes to the back; the order is reshuffled now and then so that clients
// spread over servers that joined later. Nothing here needs a restart when servers change.
import { randomInt } from 'node:crypto';

import type { KnownServer, ServerDiscovery } from '../server';

/** How long a client stays with one server before reshuffling (Consul: 2 minutes and more). */
export const REBALANCE_MS = 120_000;

export class ServerList {
  private order: string[] = [];
  private rebalancedAt = 0;

  constructor(
    private readonly discovery: ServerDiscovery,
    private readonly datacenter: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Alive servers of this datacenter, the one to use first at the head. */
  servers(): KnownServer[] {
    const alive = new Map(
      this.discovery
        .servers()
        .filter((server) => server.datacenter === this.datacenter && server.status === 'alive')
        .map((server) => [server.name, server]),
    );
    if (this.now() - this.rebalancedAt >= REBALANCE_MS) {
      this.order = shuffle([...alive.keys()]);
      this.rebalancedAt = this.now();
    } else {
      // Servers that left drop out; servers that joined go at the back, in random order.
      this.order = this.order.filter((name) => alive.has(name));
      const known = new Set(this.order);
      this.order.push(...shuffle([...alive.keys()].filter((name) => !known.has(name))));
    }
    return this.order.map((name) => alive.get(name) as KnownServer);
  }

  /** `server` failed a call: the next call goes to the next server. */
  failed(server: KnownServer): void {
    const at = this.order.indexOf(server.name);
    if (at === -1) return;
    this.order.splice(at, 1);
    this.order.push(server.name);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
