// One watch per distinct dependency, shared by every template that reads it: a blocking-query
// loop per Consul dependency (index rules of Consul's client docs, back-off with jitter on
// errors), a file watch per file. Subscribers are told when the answer changes; the last answer
// stays cached (the last good data while the agent is unreachable).
import { readFileSync } from 'node:fs';
import { watch as watchFiles, type FSWatcher } from 'chokidar';

import type { ConsulDependency, Dependency, FileDependency } from './dependency';

export interface Answer {
  value: unknown;
  /** X-Consul-Index of the answer (0 for files and unblockable endpoints). */
  index: number;
}

export interface ConsulEndpoint {
  /** Base URL, e.g. http://127.0.0.1:8500. */
  address: string;
  token: string | null;
  /** How to make requests (an https agent's CA and client certificate); default: fetch. */
  fetch?: (url: URL, init: RequestInit) => Promise<Response>;
}

export interface WatcherOptions {
  /** How long each blocking query may wait on the agent (default 60s). */
  blockingWaitMs?: number;
  /** Back-off after the n-th consecutive error: base × 2^(n-1), capped, with ±50 % jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onError?: (dependency: Dependency, error: Error, attempt: number) => void;
}

interface WatchEntry {
  dependency: Dependency;
  listeners: Set<() => void>;
  answer: Answer | undefined;
  abort: AbortController;
  fileWatcher: FSWatcher | null;
  loop: Promise<void> | null;
}

export class DependencyWatcher {
  private readonly entries = new Map<string, WatchEntry>();
  private readonly waitMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly endpoint: ConsulEndpoint,
    private readonly options: WatcherOptions = {},
  ) {
    this.waitMs = options.blockingWaitMs ?? 60_000;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
  }

  /** Starts watching (once per key) and calls `listener` on every change; returns the undo. */
  subscribe(dependency: Dependency, listener: () => void): () => void {
    let entry = this.entries.get(dependency.key);
    if (entry === undefined) {
      entry = {
        dependency,
        listeners: new Set(),
        answer: undefined,
        abort: new AbortController(),
        fileWatcher: null,
        loop: null,
      };
      this.entries.set(dependency.key, entry);
      this.start(entry);
    }
    entry.listeners.add(listener);
    const owner = entry;
    return () => {
      owner.listeners.delete(listener);
      if (owner.listeners.size === 0 && this.entries.get(dependency.key) === owner) {
        this.entries.delete(dependency.key);
        void this.close(owner);
      }
    };
  }

  answer(key: string): Answer | undefined {
    return this.entries.get(key)?.answer;
  }

  /** Keys being watched now. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  async stop(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((entry) => this.close(entry)));
  }

  private start(entry: WatchEntry): void {
    if (entry.dependency.kind === 'file') this.watchFile(entry, entry.dependency);
    else entry.loop = this.pollConsul(entry, entry.dependency);
  }

  private async close(entry: WatchEntry): Promise<void> {
    entry.abort.abort();
    await entry.fileWatcher?.close();
    await entry.loop;
  }

  private publish(entry: WatchEntry, answer: Answer): void {
    entry.answer = answer;
    for (const listener of [...entry.listeners]) listener();
  }

  private watchFile(entry: WatchEntry, dependency: FileDependency): void {
    const read = (): string | null => {
      try {
        return readFileSync(dependency.path, 'utf8');
      } catch {
        return null;
      }
    };
    entry.answer = { value: read(), index: 0 };
    const onChange = (): void => {
      const value = read();
      if (entry.abort.signal.aborted || value === entry.answer?.value) return;
      this.publish(entry, { value, index: 0 });
    };
    // awaitWriteFinish: `cp` truncates then writes; reading in between would see half a file.
    entry.fileWatcher = watchFiles(dependency.path, {
      ignoreInitial: true,
      persistent: false,
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
    })
      .on('add', onChange)
      .on('change', onChange)
      .on('unlink', onChange)
      .on('error', (error: unknown) => {
        this.options.onError?.(dependency, error as Error, 1);
      });
  }

  private async pollConsul(entry: WatchEntry, dependency: ConsulDependency): Promise<void> {
    const { signal } = entry.abort;
    // `index` is what the next request blocks on; `seen` the index of the published answer.
    let index = 0;
    let seen = 0;
    let seenBody: string | null = null;
    let failures = 0;
    const guard = new TightLoopGuard();
    while (!signal.aborted) {
      const startedAt = Date.now();
      try {
        const response = await this.get(dependency, index, signal);
        failures = 0;
        const value = dependency.decode(response.status, response.body);
        if (response.index === null) {
          // Not a blocking endpoint: one answer is all there is.
          this.publish(entry, { value, index: 0 });
          return;
        }
        const returned = Math.max(response.index, 1);
        // The body too: an agent restarted without its data can reach the same index again.
        const changed =
          entry.answer === undefined || returned !== seen || response.body !== seenBody;
        // Consul's client rule: an index that went backwards means start over from 0.
        index = returned < seen ? 0 : returned;
        seen = returned;
        seenBody = response.body;
        if (changed) this.publish(entry, { value, index: returned });
        else if (Date.now() - startedAt < this.waitMs / 2) await guard.take(signal);
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        // After a failure the agent may have restarted with less data (a lower index) and would
        // hold a blocking query on our old index for the whole wait: re-read without blocking.
        index = 0;
        this.options.onError?.(dependency, err as Error, failures);
        const backoff = Math.min(this.retryBaseMs * 2 ** (failures - 1), this.retryMaxMs);
        await sleep(backoff * (0.5 + Math.random() / 2), signal);
      }
    }
  }

  private async get(
    dependency: ConsulDependency,
    index: number,
    signal: AbortSignal,
  ): Promise<{ status: number; index: number | null; body: string }> {
    const url = new URL(dependency.path, this.endpoint.address);
    for (const [key, value] of dependency.query) url.searchParams.append(key, value);
    if (index > 0) {
      url.searchParams.set('index', String(index));
      url.searchParams.set('wait', `${this.waitMs}ms`);
    }
    const headers: Record<string, string> = {};
    if (this.endpoint.token !== null) headers['X-Consul-Token'] = this.endpoint.token;
    const response = await (this.endpoint.fetch ?? fetch)(url, { headers, signal });
    const body = await response.text();
    if (response.status !== 200 && !(response.status === 404 && dependency.allow404)) {
      throw new Error(
        `GET ${url.pathname}${url.search}: unexpected response code ${response.status} (${body.trim()})`,
      );
    }
    const header = response.headers.get('X-Consul-Index');
    return { status: response.status, index: header === null ? null : Number(header), body };
  }
}

/**
 * Token bucket (burst 2, one token a second) charged only by answers that came back early with
 * no change, so a server that stops blocking cannot spin us; real changes pass at once.
 */
class TightLoopGuard {
  private tokens = 2;
  private refilledAt = Date.now();

  async take(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    this.tokens = Math.min(2, this.tokens + (now - this.refilledAt) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    await sleep((1 - this.tokens) * 1000, signal);
    this.tokens = 0;
    this.refilledAt = Date.now();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
