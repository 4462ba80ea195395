// Settings bound to a KV key or prefix: parsed, validated, kept current through a watch, cached
// on disk. An invalid version is reported and the last good value stays.
import { EventEmitter } from 'node:events';

import { readCacheFile, writeCacheFile, type CachedSettings } from './cache-file';
import type { Consul } from './client';
import { changedPaths, deepEqual } from './equal';
import { formatOfKey, parseFormat, type CsvOptions, type Format } from './formats';
import type { Consistency } from './options';
import type { QueryMeta } from './transport';
import type { KVPair } from './types';
import { runValidator, SettingsValidationError, type Validator } from './validator';
import { watch, type Watch } from './watch';

export interface ConfigSourceOptions<T> {
  /** One KV key whose value is the whole settings document. */
  key?: string;
  /**
   * A KV prefix: each key below it becomes a path in a nested object (`app/db/host` under
   * `app/` → `{ db: { host } }`); values are parsed by their key's extension, else by `format`.
   */
  prefix?: string;
  /** Parser: a format name, or a function. Default: by the key's extension, else `text`. */
  format?: Format;
  /** CSV options (column types) when the format is `csv`. */
  csv?: CsvOptions;
  /** Turns parsed data into T; a rejected version is reported and the last good value stays. */
  validate?: Validator<T>;
  /** Value used when the agent is unreachable at start and there is no usable cache. */
  defaults?: T;
  /** Where to keep the last good settings, so an app can start while the agent is down. */
  cacheFile?: string;
  /** Reject `start()` when the first read fails or is invalid, instead of falling back. */
  failFast?: boolean;
  /** How long the first read may take before falling back (ms, default 5000). */
  startTimeoutMs?: number;
  /** Blocking wait of the watch (default 60 s). */
  wait?: number | string;
  consistency?: Consistency;
  /** Back-off of the watch after errors. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Where the current value came from. */
export type SettingsOrigin = 'agent' | 'cache' | 'defaults';

export interface SettingsChange<T> {
  previous: T;
  value: T;
  /** Paths that differ, as `a.b[2].c` (`''` when the whole value was replaced). */
  changed: string[];
  meta: QueryMeta;
}

export interface SettingsRejection {
  error: Error;
  /** The raw KV text (key mode) or entries (prefix mode) that failed. */
  raw: unknown;
}

/**
 * Typed settings that follow a KV key or prefix.
 *
 * Events: `change` (SettingsChange), `invalid` (SettingsRejection: parse or validation failed,
 * last good value kept), `cache` (started from the cache file, agent unreachable), `live` (first
 * agent value after starting from cache or defaults), `error` (watch errors; only when listened to).
 */
export class ConfigSource<T> extends EventEmitter {
  private current: T | undefined;
  private hasValue = false;
  private originValue: SettingsOrigin | undefined;
  private watcher: Watch<KVPair | KVPair[] | undefined> | undefined;
  private readonly sourceName: string;
  private cacheWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly consul: Consul,
    private readonly options: ConfigSourceOptions<T>,
  ) {
    super();
    if ((options.key === undefined) === (options.prefix === undefined)) {
      throw new Error('ConfigSource needs exactly one of `key` or `prefix`');
    }
    this.sourceName = options.key !== undefined ? `key:${options.key}` : `prefix:${options.prefix}`;
  }

  /** The current settings. Throws before `start()` resolved. */
  get value(): T {
    if (!this.hasValue) throw new Error(`settings from ${this.sourceName} are not loaded yet`);
    return this.current as T;
  }

  /** `agent`, `cache` or `defaults`. */
  get origin(): SettingsOrigin | undefined {
    return this.originValue;
  }

  /** True while the value comes from the cache file (agent not reached yet). */
  get fromCache(): boolean {
    return this.originValue === 'cache';
  }

  /**
   * Loads the settings and starts following them. Resolves with the first usable value: from the
   * agent, else (agent unreachable, or value missing/invalid) from the cache file or `defaults`;
   * with none of those it keeps trying. With `failFast` a failed or invalid first read rejects.
   */
  start(): Promise<T> {
    if (this.watcher) throw new Error('ConfigSource already started');
    const { key, prefix } = this.options;
    const startTimeoutMs = this.options.startTimeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (error) {
          this.close();
          reject(error);
        } else resolve(this.current as T);
      };
      const fallBack = async (error: Error): Promise<void> => {
        if (settled) return;
        if (this.options.failFast) return settle(error);
        if (this.hasValue) return;
        const cached = await this.loadCache().catch((cacheError: unknown) => {
          this.report(cacheError);
          return undefined;
        });
        if (settled || this.hasValue) return;
        if (cached !== undefined) {
          this.setValue(cached, 'cache');
          this.emit('cache', { error, path: this.options.cacheFile });
          return settle();
        }
        if (this.options.defaults !== undefined) {
          this.setValue(this.options.defaults, 'defaults');
          return settle();
        }
      };
      this.watcher = watch<KVPair | KVPair[] | undefined>(
        (q) => {
          const options = {
            ...q,
            consistency: this.options.consistency,
            timeoutMs: this.hasValue ? undefined : startTimeoutMs,
          };
          return key !== undefined
            ? this.consul.kv.get(key, options)
            : this.consul.kv.list(prefix as string, options);
        },
        { wait: this.options.wait, backoff: this.options.backoff },
      );
      this.watcher.on('change', ({ data, meta }) => {
        const entries = toEntries(data);
        let next: T;
        try {
          next = this.interpret(entries, this.sourceName);
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          this.emit('invalid', { error: err, raw: key !== undefined ? rawText(data) : entries });
          void fallBack(err);
          return;
        }
        this.accept(next, meta);
        this.saveCache(entries, meta.index);
        settle();
      });
      this.watcher.on('error', (error: Error, info: { fatal: boolean }) => {
        this.report(error);
        if (info.fatal) settle(error);
        else void fallBack(error);
      });
    });
  }

  /** Stops following the settings (the last value stays readable). */
  close(): void {
    this.watcher?.stop();
  }

  /** Resolves when pending cache writes are on disk. */
  flush(): Promise<void> {
    return this.cacheWrite;
  }

  private accept(next: T, meta: QueryMeta): void {
    const wasLive = this.originValue === 'agent';
    if (this.hasValue && !deepEqual(this.current, next)) {
      const previous = this.current as T;
      this.setValue(next, 'agent');
      this.emit('change', {
        previous,
        value: next,
        changed: changedPaths(previous, next),
        meta,
      } satisfies SettingsChange<T>);
    } else {
      this.setValue(this.hasValue ? (this.current as T) : next, 'agent');
    }
    if (!wasLive && this.listenerCount('live') > 0) this.emit('live', { value: this.current });
  }

  private setValue(value: T, origin: SettingsOrigin): void {
    this.current = value;
    this.hasValue = true;
    this.originValue = origin;
  }

  /** Parses KV entries into the settings object and validates it. */
  private interpret(entries: { Key: string; Value: string | null }[], source: string): T {
    let data: unknown;
    try {
      data = this.parseEntries(entries);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new SettingsValidationError(`cannot parse settings from ${source}: ${detail}`, source, {
        cause: error,
      });
    }
    return runValidator(this.options.validate, data, source);
  }

  private parseEntries(entries: { Key: string; Value: string | null }[]): unknown {
    const decode = (value: string | null): string =>
      value === null ? '' : Buffer.from(value, 'base64').toString('utf8');
    if (this.options.key !== undefined) {
      const key = this.options.key;
      if (entries.length === 0) throw new Error(`key "${key}" does not exist`);
      const format = this.options.format ?? formatOfKey(key) ?? 'text';
      return parseFormat(format, decode(entries[0].Value), key, this.options.csv);
    }
    const prefix = this.options.prefix as string;
    const tree: Record<string, unknown> = {};
    for (const entry of entries) {
      const relative = entry.Key.slice(prefix.length).replace(/^\/+/, '');
      if (relative === '' || relative.endsWith('/')) continue;
      const format = formatOfKey(entry.Key) ?? this.options.format ?? 'text';
      const value = parseFormat(format, decode(entry.Value), entry.Key, this.options.csv);
      const segments = relative.split('/');
      let node = tree;
      segments.slice(0, -1).forEach((segment) => {
        const child = node[segment];
        if (child === undefined) node = node[segment] = {} as Record<string, unknown>;
        else if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
          node = child as Record<string, unknown>;
        } else throw new Error(`"${entry.Key}" is below "${segment}", which has a value`);
      });
      const leaf = segments[segments.length - 1];
      if (node[leaf] !== undefined) throw new Error(`"${entry.Key}" is both a value and a folder`);
      node[leaf] = value;
    }
    return tree;
  }

  private async loadCache(): Promise<T | undefined> {
    if (!this.options.cacheFile) return undefined;
    const cached = await readCacheFile(this.options.cacheFile, this.sourceName);
    if (!cached) return undefined;
    try {
      return this.interpret(cached.entries, `cache file ${this.options.cacheFile}`);
    } catch (error) {
      this.emit('invalid', { error, raw: cached.entries });
      return undefined;
    }
  }

  private saveCache(entries: { Key: string; Value: string | null }[], index: number): void {
    const path = this.options.cacheFile;
    if (!path) return;
    const cached: CachedSettings = {
      version: 1,
      source: this.sourceName,
      index,
      savedAt: new Date().toISOString(),
      entries,
    };
    this.cacheWrite = this.cacheWrite
      .then(() => writeCacheFile(path, cached))
      .catch((error: unknown) => this.report(error));
  }

  private report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function toEntries(data: KVPair | KVPair[] | undefined): { Key: string; Value: string | null }[] {
  const list = data === undefined ? [] : Array.isArray(data) ? data : [data];
  return list.map(({ Key, Value }) => ({ Key, Value }));
}

function rawText(data: KVPair | KVPair[] | undefined): string | undefined {
  if (data === undefined || Array.isArray(data)) return undefined;
  return data.Value === null ? '' : Buffer.from(data.Value, 'base64').toString('utf8');
}

/**
 * Creates a ConfigSource and waits for its first value.
 *
 * ```ts
 * const prices = await settings<Row[]>(consul, { key: 'prices/table.csv', validate: rows });
 * prices.on('change', ({ value }) => …);
 * ```
 */
export async function settings<T>(
  consul: Consul,
  options: ConfigSourceOptions<T>,
): Promise<ConfigSource<T>> {
  const source = new ConfigSource<T>(consul, options);
  await source.start();
  return source;
}
