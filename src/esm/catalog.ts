// What the external-service monitor needs of the catalog, over the agent's HTTP API as consul-esm
// does: blocking reads of the external nodes and of their checks, and check writes as /v1/txn
// `cas` on the check's ModifyIndex, so that two workers never overwrite each other.

/** A check row as /v1/health/* returns it (the fields we use; the rest is passed back as is). */
export interface CatalogCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Output: string;
  ServiceID: string;
  Definition?: {
    HTTP?: string;
    Header?: Record<string, string[]> | null;
    Method?: string;
    Body?: string;
    TLSServerName?: string;
    TLSSkipVerify?: boolean;
    TCP?: string;
    UDP?: string;
    GRPC?: string;
    GRPCUseTLS?: boolean;
    Interval?: string;
    Timeout?: string;
  };
  ModifyIndex: number;
  [field: string]: unknown;
}

export interface CatalogNode {
  Node: string;
  Address: string;
  Meta: Record<string, string> | null;
}

export interface Indexed<T> {
  index: number;
  value: T;
}

/** A write lost its CAS: someone changed the check since we read it. */
export type CasOutcome = 'written' | 'conflict';

export class EsmCatalog {
  constructor(
    readonly baseUrl: string,
    private readonly nodeMeta: Readonly<Record<string, string>>,
    private readonly token: string | null = null,
  ) {}

  /** Every check of every external node, after `index` changes (or the wait runs out). */
  externalChecks(index: number, signal?: AbortSignal): Promise<Indexed<CatalogCheck[]>> {
    return this.blockingGet('/v1/health/state/any', index, signal);
  }

  externalNodes(index: number, signal?: AbortSignal): Promise<Indexed<CatalogNode[]>> {
    return this.blockingGet('/v1/catalog/nodes', index, signal);
  }

  /** Writes `check` if its ModifyIndex is still `modifyIndex` (0: only if it does not exist). */
  async casCheck(check: CatalogCheck, modifyIndex: number): Promise<CasOutcome> {
    const body = JSON.stringify([
      { Check: { Verb: 'cas', Check: { ...check, ModifyIndex: modifyIndex } } },
    ]);
    const response = await fetch(new URL('/v1/txn', this.baseUrl), {
      method: 'PUT',
      headers: this.headers(),
      body,
    });
    const text = await response.text();
    if (response.status === 200) return 'written';
    if (response.status === 409) return 'conflict';
    throw new Error(`PUT /v1/txn: ${response.status} ${text.trim()}`);
  }

  private async blockingGet<T>(
    path: string,
    index: number,
    signal?: AbortSignal,
  ): Promise<Indexed<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(this.nodeMeta)) {
      url.searchParams.append('node-meta', `${key}:${value}`);
    }
    if (index > 0) {
      url.searchParams.set('index', String(index));
      url.searchParams.set('wait', '30s');
    }
    const response = await fetch(url, { headers: this.headers(), signal });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text.trim()}`);
    const header = Number(response.headers.get('x-consul-index') ?? '0');
    return { index: Number.isFinite(header) ? header : 0, value: JSON.parse(text) as T };
  }

  private headers(): Record<string, string> {
    return this.token === null ? {} : { 'X-Consul-Token': this.token };
  }
}
