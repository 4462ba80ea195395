// Concurrent clients, each bound to one server, issuing put/get/cas/delete on a few keys with
// real-time invoke/return stamps, recorded as a history for test/linearizability/checker.ts.
// Every choice comes from a seeded generator, so a failing run names its seed; the network and
// the servers' timing are not seeded, so a seed replays the same requests, not the same result.
import { performance } from 'node:perf_hooks';

import type { HistoryEntry, KvOperation, KvOutcome } from '../linearizability/checker';
import { DefiniteFailure, type KvTarget, type ReadMode } from './target';

export interface RecordedEntry extends HistoryEntry {
  server: number;
  /** How a get read (absent for writes). */
  mode?: ReadMode;
  /** X-Consul-LastContact of a stale read. */
  lastContactMs?: number;
}

export interface WorkloadOptions {
  seed: number;
  clients: number;
  keys: number;
  /** Give up on a request after this long; a write then has an unknown outcome. */
  requestTimeoutMs: number;
  /** Longest pause between two requests of one client. */
  maxPauseMs: number;
  /** Read modes to use, each as likely as the others. */
  readModes: readonly ReadMode[];
}

/** mulberry32: small, seedable, good enough to pick operations. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Workload {
  readonly history: RecordedEntry[] = [];
  /** Requests sent and how they ended, for the report. */
  readonly counts = { ok: 0, unknown: 0, refused: 0, readFailed: 0 };
  private stopping = false;
  private runners: Promise<void>[] = [];

  constructor(
    private readonly target: KvTarget,
    private readonly options: WorkloadOptions,
    readonly keyPrefix = 'cf',
  ) {}

  keyName(i: number): string {
    return `${this.keyPrefix}/k${i}`;
  }

  start(): void {
    this.runners = Array.from({ length: this.options.clients }, (_, client) => this.client(client));
  }

  /** Lets every client finish its request in flight, then returns the history. */
  async stop(): Promise<RecordedEntry[]> {
    this.stopping = true;
    await Promise.all(this.runners);
    return this.history;
  }

  /** Acknowledged writes so far (the nemesis waits for some progress between faults). */
  acknowledgedWrites(): number {
    return this.history.filter((e) => e.op.kind !== 'get' && e.outcome.kind !== 'unknown').length;
  }

  /** One read per server and key in `mode`, recorded as client -1 (after the faults). */
  async readEverything(mode: ReadMode): Promise<void> {
    for (let server = 0; server < this.target.size; server++) {
      for (let k = 0; k < this.options.keys; k++) {
        await this.perform(-1 - server, server, this.keyName(k), { kind: 'get' }, mode);
      }
    }
  }

  /**
   * Issues one extra request outside the clients' loops (the nemesis probes a deposed leader);
   * recorded like theirs, as client `client` (negative numbers stay clear of the loops').
   */
  probe(
    client: number,
    server: number,
    key: string,
    op: KvOperation,
    mode?: ReadMode,
  ): Promise<{ version: string | null; value: string | null } | null> {
    return this.perform(client, server, key, op, mode);
  }

  private async client(client: number): Promise<void> {
    const random = seededRandom(this.options.seed * 7919 + client);
    const server = client % this.target.size;
    // The last version and value this client read per key: what its CAS expects.
    const seen = new Map<string, { version: string | null; value: string | null }>();
    let seq = 0;
    while (!this.stopping) {
      const key = this.keyName(Math.floor(random() * this.options.keys));
      const roll = random();
      const value = `${client}.${seq++}`;
      if (roll < 0.45) {
        const modes = this.options.readModes;
        const mode = modes[Math.floor(random() * modes.length)];
        const read = await this.perform(client, server, key, { kind: 'get' }, mode);
        if (read !== null && mode !== 'stale') seen.set(key, read);
      } else if (roll < 0.7) {
        await this.perform(client, server, key, { kind: 'put', value });
      } else if (roll < 0.9) {
        const last = seen.get(key) ?? { version: null, value: null };
        seen.delete(key);
        const op: KvOperation = { kind: 'cas', expected: last.value, value };
        await this.perform(client, server, key, op, undefined, last.version);
      } else {
        await this.perform(client, server, key, { kind: 'delete' });
      }
      const pause = Math.floor(random() * this.options.maxPauseMs);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Sends one request and records it; returns what a read saw (null otherwise). */
  private async perform(
    client: number,
    server: number,
    key: string,
    op: KvOperation,
    mode?: ReadMode,
    casVersion: string | null = null,
  ): Promise<{ version: string | null; value: string | null } | null> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    const call = performance.now();
    let outcome: KvOutcome;
    let lastContactMs: number | undefined;
    let read: { version: string | null; value: string | null } | null = null;
    try {
      switch (op.kind) {
        case 'get': {
          const result = await this.target.get(server, key, mode ?? 'consistent', signal);
          outcome = { kind: 'read', value: result.value };
          lastContactMs = result.lastContactMs;
          read = { version: result.version, value: result.value };
          break;
        }
        case 'put':
          await this.target.put(server, key, op.value, signal);
          outcome = { kind: 'ok' };
          break;
        case 'delete':
          await this.target.delete(server, key, signal);
          outcome = { kind: 'ok' };
          break;
        case 'cas': {
          const swapped = await this.target.cas(server, key, casVersion, op.value, signal);
          outcome = { kind: 'cas', swapped };
          break;
        }
      }
      this.counts.ok++;
    } catch (error) {
      if (error instanceof DefiniteFailure) {
        this.counts.refused++;
        // A stopped server refuses at once: do not spin on it.
        await new Promise((resolve) => setTimeout(resolve, 100));
        return null;
      }
      if (op.kind === 'get') {
        this.counts.readFailed++;
        return null;
      }
      this.counts.unknown++;
      outcome = { kind: 'unknown' };
    }
    const ret = performance.now();
    const entry: RecordedEntry = { client, key, op, outcome, call, ret, server };
    if (mode !== undefined) entry.mode = mode;
    if (lastContactMs !== undefined) entry.lastContactMs = lastContactMs;
    this.history.push(entry);
    return read;
  }
}
