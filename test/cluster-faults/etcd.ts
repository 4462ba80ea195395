// A 3.4 etcd cluster (Debian's etcd-server) as one process per namespace of a NetLab, and its
// v3 JSON gateway as a KvTarget: the reference the harness is validated against (etcd's reads
// are linearizable, so the checker must pass on it under every fault) and the bench's peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NetLab } from './netlab';
import { LabProcess } from './process';
import {
  DefiniteFailure,
  request,
  waitUntil,
  type FaultableCluster,
  type KvTarget,
  type ReadMode,
  type ReadResult,
} from './target';

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;
const ETCD = '/usr/bin/etcd';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

export class EtcdCluster implements FaultableCluster, KvTarget {
  readonly name = 'etcd';
  private readonly root = mkdtempSync(join(tmpdir(), 'cluster-faults-etcd-'));
  readonly processes: LabProcess[] = [];
  private readonly paused = new Set<number>();
  private readonly ips: string[];

  constructor(lab: NetLab) {
    this.ips = lab.hosts.map((host) => host.ip);
    const initialCluster = this.ips.map((ip, i) => `e${i + 1}=http://${ip}:${PEER_PORT}`).join(',');
    this.ips.forEach((ip, i) => {
      const argv = [
        ...lab.exec(i),
        ETCD,
        `--name=e${i + 1}`,
        `--data-dir=${join(this.root, `e${i + 1}`)}`,
        `--listen-client-urls=http://${ip}:${CLIENT_PORT}`,
        `--advertise-client-urls=http://${ip}:${CLIENT_PORT}`,
        `--listen-peer-urls=http://${ip}:${PEER_PORT}`,
        `--initial-advertise-peer-urls=http://${ip}:${PEER_PORT}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=cluster-faults',
        // etcd's defaults, written out: the bench compares failover at these.
        '--heartbeat-interval=100',
        '--election-timeout=1000',
      ];
      this.processes.push(
        new LabProcess(`e${i + 1}`, () => argv, join(this.root, `e${i + 1}.log`)),
      );
    });
  }

  get size(): number {
    return this.processes.length;
  }

  async start(): Promise<void> {
    for (const process of this.processes) process.start();
    await this.leader(60_000);
  }

  private url(server: number, path: string): string {
    return `http://${this.ips[server]}:${CLIENT_PORT}${path}`;
  }

  private async post(
    server: number,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const response = await request(this.url(server, path), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      signal,
    });
    const text = await response.text();
    if (!response.ok) {
      const message = `HTTP ${response.status}: ${text.trim()}`;
      throw response.status < 500 ? new DefiniteFailure(message) : new Error(message);
    }
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** [own member id, leader's member id] as `server` reports them, or null when silent. */
  private async status(server: number): Promise<[string, string] | null> {
    if (!this.processes[server].running || this.paused.has(server)) return null;
    try {
      const status = await this.post(
        server,
        '/v3/maintenance/status',
        {},
        AbortSignal.timeout(1000),
      );
      const header = status.header as { member_id?: string };
      return [String(header.member_id ?? ''), String(status.leader ?? '')];
    } catch {
      return null;
    }
  }

  async leader(timeoutMs = 30_000): Promise<number> {
    return waitUntil(
      'an etcd leader named by a majority',
      async () => {
        const statuses = await Promise.all(this.processes.map((_, i) => this.status(i)));
        const votes = new Map<string, number>();
        for (const s of statuses)
          if (s && s[1] !== '0') votes.set(s[1], (votes.get(s[1]) ?? 0) + 1);
        for (const [leader, count] of votes) {
          if (count <= this.size / 2) continue;
          const index = statuses.findIndex((s) => s?.[0] === leader);
          if (index >= 0 && statuses[index]?.[1] === leader) return index + 1;
        }
        return null;
      },
      timeoutMs,
    ).then((n) => n - 1);
  }

  async kill(server: number): Promise<void> {
    this.paused.delete(server);
    await this.processes[server].kill();
  }

  async restart(server: number): Promise<void> {
    this.processes[server].start();
    await waitUntil(
      `e${server + 1} to answer`,
      async () => (await this.status(server)) !== null,
      30_000,
    );
  }

  pause(server: number): void {
    this.processes[server].pause();
    this.paused.add(server);
  }

  resume(server: number): void {
    this.processes[server].resume();
    this.paused.delete(server);
  }

  logs(): string {
    return this.processes.map((p) => `--- ${p.name} ---\n${p.tail(15)}`).join('\n');
  }

  async stop(): Promise<void> {
    for (const process of this.processes) {
      process.resume();
      await process.kill();
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  // ---- KvTarget: `consistent` and `default` are linearizable reads, `stale` serializable ------

  async get(server: number, key: string, mode: ReadMode, signal: AbortSignal): Promise<ReadResult> {
    const range = await this.post(
      server,
      '/v3/kv/range',
      { key: b64(key), serializable: mode === 'stale' },
      signal,
    );
    const kvs = (range.kvs ?? []) as { value?: string; mod_revision: string }[];
    if (kvs.length === 0) return { value: null, version: null };
    const value = Buffer.from(kvs[0].value ?? '', 'base64').toString();
    return { value, version: String(kvs[0].mod_revision) };
  }

  async put(server: number, key: string, value: string, signal: AbortSignal): Promise<void> {
    await this.post(server, '/v3/kv/put', { key: b64(key), value: b64(value) }, signal);
  }

  async cas(
    server: number,
    key: string,
    version: string | null,
    value: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    const txn = await this.post(
      server,
      '/v3/kv/txn',
      {
        compare: [{ key: b64(key), result: 'EQUAL', target: 'MOD', mod_revision: version ?? '0' }],
        success: [{ request_put: { key: b64(key), value: b64(value) } }],
      },
      signal,
    );
    return txn.succeeded === true;
  }

  async delete(server: number, key: string, signal: AbortSignal): Promise<void> {
    await this.post(server, '/v3/kv/deleterange', { key: b64(key) }, signal);
  }
}
