// The local agent of a client: anti-entropy reads the node's catalog rows and applies its
// catalog-sync entries on the servers; alias checks that name another node follow that node's
// health with blocking queries held on a server.
import type { Logger } from 'pino';

import type { AgentHost, CatalogHealthView } from '../agent';
import { CatalogNodeView, CatalogSync, HttpForward, type ApiReply } from '../server';
import type { ServerRpc } from './server-rpc';

/** A non-blocking call's deadline (Consul's limits.rpc_client_timeout default). */
export const RPC_CLIENT_TIMEOUT_MS = 60_000;
const RETRY_MS = 2000;
const ALIAS_WAIT = '5m';

type AliasCheck = ReturnType<CatalogHealthView['nodeChecks']>[number];

interface NodeHealth {
  exists: boolean;
  serviceIds: Set<string>;
  checks: AliasCheck[];
}

export function remoteAgentHost(rpc: ServerRpc, logger: Logger): AgentHost & { close(): void } {
  const health = new RemoteNodeHealth(rpc, logger);
  return {
    readCatalog: (node) =>
      rpc.call(CatalogNodeView, { node }, { timeoutMs: RPC_CLIENT_TIMEOUT_MS, idempotent: true }),
    // A catalog-sync entry leaves the same catalog when applied twice.
    syncCatalog: (node, ops) =>
      rpc.call(CatalogSync, { node, ops }, { timeoutMs: RPC_CLIENT_TIMEOUT_MS, idempotent: true }),
    catalogHealth: () => health,
    close: () => health.close(),
  };
}

/** Other nodes' health, followed per node from the first time an alias check asks for it. */
class RemoteNodeHealth implements CatalogHealthView {
  private readonly nodes = new Map<string, NodeHealth>();
  private readonly listeners = new Set<() => void>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly rpc: ServerRpc,
    private readonly logger: Logger,
  ) {}

  nodeExists(node: string): boolean {
    return this.follow(node).exists;
  }

  serviceExists(node: string, serviceId: string): boolean {
    return this.follow(node).serviceIds.has(serviceId);
  }

  nodeChecks(node: string): AliasCheck[] {
    return this.follow(node).checks;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopping.abort();
  }

  private follow(node: string): NodeHealth {
    let entry = this.nodes.get(node);
    if (entry === undefined) {
      entry = { exists: false, serviceIds: new Set(), checks: [] };
      this.nodes.set(node, entry);
      const path = encodeURIComponent(node);
      void this.poll(`/v1/catalog/node/${path}`, (body) => {
        const found = body as { Services?: Record<string, { ID: string }> } | null;
        const target = this.nodes.get(node) as NodeHealth;
        target.exists = found !== null;
        target.serviceIds = new Set(Object.values(found?.Services ?? {}).map((s) => s.ID));
      });
      void this.poll(`/v1/health/node/${path}`, (body) => {
        const checks = (body ?? []) as {
          CheckID: string;
          ServiceID: string;
          Name: string;
          Status: string;
          Output: string;
        }[];
        (this.nodes.get(node) as NodeHealth).checks = checks.map((check) => ({
          checkId: check.CheckID,
          serviceId: check.ServiceID,
          name: check.Name,
          status: check.Status as AliasCheck['status'],
          output: check.Output,
        }));
      });
    }
    return entry;
  }

  /** Runs a blocking query on `path` until closed, feeding each new answer to `update`. */
  private async poll(path: string, update: (body: unknown) => void): Promise<void> {
    let index = '0';
    const { signal } = this.stopping;
    while (!signal.aborted) {
      let answer: ApiReply;
      try {
        answer = await this.rpc.call(
          HttpForward,
          {
            method: 'GET',
            url: `${path}?index=${index}&wait=${ALIAS_WAIT}`,
            headers: {},
            body: new Uint8Array(0),
          },
          { signal, timeoutMs: 5 * 60_000 + RPC_CLIENT_TIMEOUT_MS, idempotent: true },
        );
      } catch (error) {
        if (signal.aborted) return;
        this.logger.debug({ err: error, path }, 'alias source query failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
        continue;
      }
      const next = answer.headers['x-consul-index'];
      const text = Buffer.from(answer.body).toString('utf8');
      if (answer.status === 200 || answer.status === 404) {
        update(answer.status === 200 && text !== '' ? JSON.parse(text) : null);
        for (const listener of this.listeners) listener();
      }
      if (typeof next === 'string' && next !== index) index = next;
      else if (answer.status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }
}
