// Fan-out measurement inside a load-generator process: many long-lived requests on one key,
// each on its own raw TCP connection (a node:http client per watcher would add its own parsing
// time to every arrival), then one write; records when the change reaches each watcher.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { connectionAgent, httpRequest, prepareRequest, sendRequest } from './http-requests';
import type { FanoutArmed, FanoutResult, FanoutSpec, PlainRequest } from './loadgen-protocol';

const CONNECTS_IN_FLIGHT = 200; // stays under the servers' listen backlogs
const MARKER_WINDOW = 4096; // bytes of stream kept to find a marker split across chunks
const MAX_EARLY_SAMPLES = 5;

interface Watcher {
  socket: net.Socket;
  text: string;
  ready: boolean;
  early: boolean;
  arrivedAt: number | undefined;
}

function rawRequest(spec: FanoutSpec, request: PlainRequest): Buffer {
  const body = request.body ?? '';
  const head =
    `${request.method} ${request.path} HTTP/1.1\r\n` +
    `Host: ${spec.target.host}:${spec.target.port}\r\n` +
    Object.entries(request.headers ?? {})
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    (request.body !== undefined ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '') +
    '\r\n';
  return Buffer.from(head + body);
}

export class FanoutRun {
  private readonly watchers: Watcher[] = [];
  private readonly triggerAgent = connectionAgent();
  private readonly earlySamples: string[] = [];
  private fired = false;
  private readyCount = 0;
  private earlyCount = 0;
  private arrivals = 0;
  private onProgress: () => void = () => undefined;

  constructor(private readonly spec: FanoutSpec) {}

  async arm(): Promise<FanoutArmed> {
    const began = performance.now();
    const payload = rawRequest(this.spec, this.spec.watch);
    let opened = 0;
    const openOne = (): Promise<void> =>
      new Promise((resolve) => {
        const watcher: Watcher = {
          socket: net.connect(this.spec.target.port, this.spec.target.host),
          text: '',
          ready: false,
          early: false,
          arrivedAt: undefined,
        };
        this.watchers.push(watcher);
        watcher.socket.setNoDelay(true);
        watcher.socket.on('data', (chunk: Buffer) => this.onData(watcher, chunk));
        watcher.socket.on('error', (error) => this.onLost(watcher, error.message));
        watcher.socket.on('close', () => {
          this.onLost(watcher, 'connection closed');
          resolve();
        });
        watcher.socket.once('connect', () => watcher.socket.write(payload, () => resolve()));
      });
    const lanes = Array.from({ length: CONNECTS_IN_FLIGHT }, async () => {
      while (opened < this.spec.watchers) {
        opened += 1;
        await openOne();
      }
    });
    await Promise.all(lanes);
    await httpRequest(this.triggerAgent, this.spec.target, this.spec.prime);

    const deadline = performance.now() + this.spec.timeoutMs;
    if (this.spec.readyMarker !== undefined) {
      while (this.readyCount + this.earlyCount < this.watchers.length) {
        if (performance.now() > deadline) break;
        await new Promise<void>((resolve) => {
          this.onProgress = resolve;
          setTimeout(resolve, 100);
        });
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, this.spec.settleMs));
    }
    return {
      type: 'fanout-armed',
      connected: this.watchers.filter((w) => !w.socket.destroyed && !w.socket.pending).length,
      ready: this.spec.readyMarker !== undefined ? this.readyCount : this.watchers.length,
      early: this.earlyCount,
      earlySamples: this.earlySamples,
      armMs: performance.now() - began,
    };
  }

  async fire(): Promise<FanoutResult> {
    const waiting = this.watchers.length - this.earlyCount;
    const trigger = prepareRequest(this.spec.trigger);
    const sentAt = performance.now();
    this.fired = true;
    const answeredAt = await new Promise<number>((resolve, reject) =>
      sendRequest(this.triggerAgent, this.spec.target, trigger, false, (error, reply) => {
        if (error !== undefined) reject(error);
        else if (reply !== undefined && reply.status >= 300) {
          reject(
            new Error(`trigger ${this.spec.trigger.path}: HTTP ${reply.status} ${reply.body}`),
          );
        } else resolve(performance.now());
      }),
    );
    const deadline = answeredAt + this.spec.timeoutMs;
    while (this.arrivals < waiting && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.onProgress = resolve;
        setTimeout(resolve, 50);
      });
    }
    const arrivalsMs = this.watchers
      .filter((w) => w.arrivedAt !== undefined)
      .map((w) => (w.arrivedAt as number) - answeredAt);
    return {
      type: 'fanout-result',
      triggerMs: answeredAt - sentAt,
      arrivalsMs,
      missing: waiting - arrivalsMs.length,
    };
  }

  /** Drops every watcher's connection; after fire()'s result is out, so as not to be timed. */
  close(): void {
    this.fired = true;
    for (const watcher of this.watchers) {
      // RST instead of FIN: no TIME_WAIT, so that repeated runs don't exhaust local ports.
      if (!watcher.socket.destroyed) watcher.socket.resetAndDestroy();
    }
    this.triggerAgent.destroy();
  }

  private onData(watcher: Watcher, chunk: Buffer): void {
    if (watcher.early || watcher.arrivedAt !== undefined) return;
    const marker = this.fired ? this.spec.eventMarker : this.spec.readyMarker;
    if (!this.fired && (marker === undefined || watcher.ready)) {
      this.markEarly(watcher, `response before the write: ${chunk.toString('utf8', 0, 200)}`);
      return;
    }
    if (marker !== undefined) {
      watcher.text = (watcher.text + chunk.toString('utf8')).slice(-MARKER_WINDOW);
      if (!watcher.text.includes(marker)) return;
      watcher.text = '';
    }
    if (this.fired) {
      watcher.arrivedAt = performance.now();
      this.arrivals += 1;
    } else {
      watcher.ready = true;
      this.readyCount += 1;
    }
    this.onProgress();
  }

  private onLost(watcher: Watcher, reason: string): void {
    if (this.fired || watcher.early || watcher.arrivedAt !== undefined) return;
    this.markEarly(watcher, reason);
  }

  private markEarly(watcher: Watcher, reason: string): void {
    watcher.early = true;
    this.earlyCount += 1;
    if (watcher.ready) this.readyCount -= 1;
    if (this.earlySamples.length < MAX_EARLY_SAMPLES) this.earlySamples.push(reason);
    this.onProgress();
  }
}
