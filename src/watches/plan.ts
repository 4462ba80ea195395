// A running watch (Consul's watch.Plan): a blocking-query loop over the read of its type, which
// calls the handler with the first result and then with each result whose index and content
// changed. Data is Consul's JSON as the API returned it (a key watch hands over the entry
// object, not the array; an event watch only the events not yet seen).
import {
  watch,
  type Consul,
  type QueryResult,
  type Watch,
  type WatchQuery,
} from '../../clients/typescript/src';
import type { WatchSpec } from './spec';

/** What a handler receives: the result and the index it was read at. */
export interface WatchResult {
  index: number;
  data: unknown;
}

export interface WatchPlanOptions {
  /** Called for every change; a rejection stops the plan (as Consul's handler errors do). */
  onResult: (result: WatchResult) => Promise<void>;
  /** Failed rounds (retried unless fatal). */
  onError?: (error: Error, fatal: boolean) => void;
}

export class WatchPlan {
  private readonly loop: Watch<unknown>;
  private lastEventId: string | null = null;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(
    readonly spec: WatchSpec,
    client: Consul,
    private readonly options: WatchPlanOptions,
  ) {
    this.loop = watch((query) => read(client, spec, query), {
      wait: '5m',
      onError: (error, info) => this.options.onError?.(error, info.fatal),
    });
    // Handlers run one at a time, in order, as Consul's plan calls them from its loop.
    this.loop.on('change', ({ data, meta }) => {
      this.queue = this.queue.then(() => this.deliver(meta.index, data));
    });
  }

  /** Resolves when the plan stops: stop(), a handler failure, or a fatal read error. */
  async finished(): Promise<void> {
    await this.loop.finished;
    await this.queue;
  }

  /** The handler's error that stopped the plan, if one did. */
  get handlerError(): Error | null {
    return this.failure;
  }

  stop(): void {
    this.loop.stop();
  }

  private async deliver(index: number, data: unknown): Promise<void> {
    if (this.failure !== null || !this.loop.running) return;
    let payload = data;
    if (this.spec.type === 'event') {
      payload = this.newEvents(data as EventJson[] | null);
      if ((payload as EventJson[]).length === 0 && this.lastEventId !== null) return;
    }
    try {
      await this.options.onResult({ index, data: payload });
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.loop.stop();
    }
  }

  // Only events after the last one handed over (all of them the first time).
  private newEvents(events: EventJson[] | null): EventJson[] {
    const list = events ?? [];
    const seen = this.lastEventId === null ? -1 : list.findIndex((e) => e.ID === this.lastEventId);
    const fresh = seen === -1 ? list : list.slice(seen + 1);
    if (list.length > 0) this.lastEventId = list[list.length - 1].ID;
    return fresh;
  }
}

interface EventJson {
  ID: string;
}

/** One blocking read of the watch's type, as Consul's watch factories make it. */
async function read(
  client: Consul,
  spec: WatchSpec,
  query: WatchQuery,
): Promise<QueryResult<unknown>> {
  const options = {
    index: query.index,
    wait: query.wait,
    signal: query.signal,
    ...(spec.datacenter !== '' ? { dc: spec.datacenter } : {}),
    ...(spec.token !== '' ? { token: spec.token } : {}),
  };
  const get = (
    path: string,
    params: Record<string, string | boolean | string[]> = {},
    onMissing?: () => unknown,
  ) =>
    client.transport
      .query<unknown>({ method: 'GET', path, query: params, options }, onMissing)
      .then(({ data, meta }) => ({ data: data ?? null, meta }));
  const path = (text: string): string => text.split('/').map(encodeURIComponent).join('/');
  switch (spec.type) {
    case 'key': {
      const result = await get(`/v1/kv/${path(spec.key)}`, {}, () => null);
      const entries = result.data as unknown[] | null;
      return { data: entries?.[0] ?? null, meta: result.meta };
    }
    case 'keyprefix':
      return get(`/v1/kv/${path(spec.prefix)}`, { recurse: true }, () => null);
    case 'services':
      return get('/v1/catalog/services');
    case 'nodes':
      return get('/v1/catalog/nodes');
    case 'service': {
      const params: Record<string, string | boolean | string[]> = {};
      if (spec.tags.length > 0) params.tag = spec.tags;
      if (spec.passingOnly) params.passing = true;
      return get(`/v1/health/service/${encodeURIComponent(spec.service)}`, params);
    }
    case 'checks':
      return spec.service !== ''
        ? get(`/v1/health/checks/${encodeURIComponent(spec.service)}`)
        : get(`/v1/health/state/${encodeURIComponent(spec.state || 'any')}`);
    case 'event':
      return get('/v1/event/list', spec.name !== '' ? { name: spec.name } : {});
  }
}
