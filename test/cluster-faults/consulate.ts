// A Consulate server cluster as real `consulate agent -server` processes, one per namespace of a
// NetLab, and its KV API as a KvTarget. Formation is Consul's: `-bootstrap-expect` with
// `-retry-join` of the others' addresses (`gossip`), or, for Raft-only work, every data dir
// seeded with the same first configuration before the first start (`seeded`: what
// hashicorp/raft's BootstrapCluster writes).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bootstrapState, type Membership } from '../../src/raft';
import { SqliteStorage } from '../../src/raft/storage';
import type { NetLab } from './netlab';
import { LabProcess } from './process';
import {
  DefiniteFailure,
  request,
  waitUntil,
  type FaultableCluster,
  type KvTarget,
  type RaftIndexes,
  type ReadMode,
  type ReadResult,
} from './target';

const HTTP_PORT = 8500;
const SERVER_PORT = 8300;
const SERF_LAN_PORT = 8301;
const root = join(__dirname, '..', '..', '..');

export interface ConsulateClusterOptions {
  formation: 'gossip' | 'seeded';
  /** performance.raft_multiplier (1: election timeout 1 s, heartbeats every 100 ms). */
  raftMultiplier?: number;
  snapshotThreshold?: number;
  trailingLogs?: number;
  logLevel?: string;
}

interface Member {
  index: number;
  ip: string;
  nodeId: string;
  dataDir: string;
  process: LabProcess;
}

export class ConsulateCluster implements FaultableCluster, KvTarget {
  readonly name = 'consulate';
  readonly members: Member[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'cluster-faults-consulate-'));
  private readonly paused = new Set<number>();

  constructor(
    private readonly lab: NetLab,
    private readonly options: ConsulateClusterOptions,
  ) {
    lab.hosts.forEach((host, index) => {
      const dataDir = join(this.root, `s${index + 1}`);
      const configPath = join(this.root, `s${index + 1}.json`);
      const member: Member = {
        index,
        ip: host.ip,
        nodeId: randomUUID(),
        dataDir,
        process: new LabProcess(
          `s${index + 1}`,
          () => [
            ...lab.exec(index),
            process.execPath,
            join(root, 'bin', 'consulate'),
            'agent',
            `-config-file=${configPath}`,
            ...this.formationFlags(host.ip),
          ],
          join(this.root, `s${index + 1}.log`),
        ),
      };
      this.members.push(member);
      writeFileSync(configPath, JSON.stringify(this.configOf(member), null, 2));
    });
  }

  get size(): number {
    return this.members.length;
  }

  private configOf(member: Member): Record<string, unknown> {
    const { formation, raftMultiplier = 1, snapshotThreshold, trailingLogs } = this.options;
    const config: Record<string, unknown> = {
      server: true,
      node_name: `s${member.index + 1}`,
      node_id: member.nodeId,
      datacenter: 'dc1',
      data_dir: member.dataDir,
      bind_addr: member.ip,
      advertise_addr: member.ip,
      client_addr: member.ip,
      ports: { http: HTTP_PORT, dns: -1, server: SERVER_PORT, serf_lan: SERF_LAN_PORT },
      performance: { raft_multiplier: raftMultiplier },
      log_level: this.options.logLevel ?? 'info',
    };
    if (snapshotThreshold !== undefined) config.raft_snapshot_threshold = snapshotThreshold;
    if (trailingLogs !== undefined) config.raft_trailing_logs = trailingLogs;
    if (formation === 'gossip') {
      config.retry_interval = '1s';
      // A server autopilot removed while it was down is a voter again a second after it returns.
      config.autopilot = { server_stabilization_time: '1s' };
    }
    return config;
  }

  /** What an operator types: `-server -bootstrap-expect=N -retry-join=<each other server>`. */
  private formationFlags(ip: string): string[] {
    if (this.options.formation !== 'gossip') return ['-server'];
    return [
      '-server',
      `-bootstrap-expect=${this.lab.hosts.length}`,
      ...this.lab.hosts
        .filter((host) => host.ip !== ip)
        .map((host) => `-retry-join=${host.ip}:${SERF_LAN_PORT}`),
    ];
  }

  async settled(timeoutMs = 120_000): Promise<void> {
    await waitUntil(
      `all ${this.size} servers to be voters again`,
      async () => {
        const leader = await this.leader(5000);
        const servers = await this.raftConfiguration(leader);
        return servers.length === this.size && servers.every(([, voter]) => voter);
      },
      timeoutMs,
    );
  }

  /** The Raft configuration as `server` reports it: [node name, voter] per server. */
  async raftConfiguration(server: number): Promise<[string, boolean][]> {
    const response = await fetch(this.url(server, '/v1/operator/raft/configuration'), {
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { Servers: { Node: string; Voter: boolean }[] };
    return body.Servers.map((s) => [s.Node, s.Voter]);
  }

  /** Starts every server and waits until they agree on a leader. */
  async start(): Promise<void> {
    if (this.options.formation === 'seeded') await this.seed();
    for (const member of this.members) member.process.start();
    // Gossip joins retry every second; agents start slowly on a busy machine.
    await this.leader(180_000);
  }

  private async seed(): Promise<void> {
    const membership: Membership = {
      servers: this.members.map((m) => ({
        id: m.nodeId,
        address: `${m.ip}:${SERVER_PORT}`,
        voter: true,
      })),
    };
    for (const member of this.members) {
      const storage = await SqliteStorage.open(member.dataDir);
      const { entry, hardState } = bootstrapState(membership);
      await storage.persist({ entries: [entry], hardState, membership });
      await storage.close();
    }
  }

  private url(server: number, path: string): string {
    return `http://${this.members[server].ip}:${HTTP_PORT}${path}`;
  }

  /** The leader's Raft address as `server` sees it ('' when it knows none), or null if silent. */
  async leaderSeenBy(server: number, timeoutMs = 1000): Promise<string | null> {
    if (!this.members[server].process.running || this.paused.has(server)) return null;
    try {
      const response = await fetch(this.url(server, '/v1/status/leader'), {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) return null;
      return (await response.json()) as string;
    } catch {
      return null;
    }
  }

  async leader(timeoutMs = 30_000): Promise<number> {
    return waitUntil(
      'a leader named by a majority of the servers',
      async () => {
        const seen = await Promise.all(this.members.map((m) => this.leaderSeenBy(m.index)));
        const votes = new Map<string, number>();
        for (const address of seen) {
          if (address) votes.set(address, (votes.get(address) ?? 0) + 1);
        }
        for (const [address, count] of votes) {
          if (count <= this.size / 2) continue;
          const index = this.members.findIndex((m) => `${m.ip}:${SERVER_PORT}` === address);
          // The leader itself must say so: a deposed leader is still named for a moment.
          if (index >= 0 && seen[index] === address) return index + 1;
        }
        return null;
      },
      timeoutMs,
    ).then((n) => n - 1);
  }

  async kill(server: number): Promise<void> {
    this.paused.delete(server);
    await this.members[server].process.kill();
  }

  async restart(server: number): Promise<void> {
    const member = this.members[server];
    if (member.process.running) throw new Error(`${member.process.name} is still running`);
    member.process.start();
    await waitUntil(
      `${member.process.name} to answer HTTP`,
      async () => (await this.leaderSeenBy(server)) !== null,
      // An agent takes seconds to start; on a busy two-core machine, tens of seconds.
      90_000,
    );
  }

  pause(server: number): void {
    this.members[server].process.pause();
    this.paused.add(server);
  }

  resume(server: number): void {
    this.members[server].process.resume();
    this.paused.delete(server);
  }

  /** Raft status of one server from /v1/agent/self (null when it does not answer). */
  async raftStats(server: number): Promise<Record<string, string> | null> {
    try {
      const response = await fetch(this.url(server, '/v1/agent/self'), {
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) return null;
      const self = (await response.json()) as { Stats?: { raft?: Record<string, string> } };
      return self.Stats?.raft ?? null;
    } catch {
      return null;
    }
  }

  get trailingLogs(): number | undefined {
    return this.options.trailingLogs;
  }

  async raftIndexes(server: number): Promise<RaftIndexes | null> {
    const raft = await this.raftStats(server);
    if (raft === null) return null;
    return {
      lastLogIndex: Number(raft.last_log_index),
      appliedIndex: Number(raft.applied_index),
      lastSnapshotIndex: Number(raft.last_snapshot_index),
    };
  }

  logs(): string {
    return this.members
      .map((m) => `--- ${m.process.name} (${m.ip}) ---\n${m.process.tail(30)}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    for (const member of this.members) {
      member.process.resume();
      await member.process.kill();
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  // ---- KvTarget ------------------------------------------------------------------------------

  async get(server: number, key: string, mode: ReadMode, signal: AbortSignal): Promise<ReadResult> {
    const query = mode === 'default' ? '' : `?${mode}`;
    const response = await request(this.url(server, `/v1/kv/${key}${query}`), { signal });
    const lastContactMs = Number(response.headers.get('x-consul-lastcontact') ?? 0);
    if (response.status === 404) {
      await response.arrayBuffer();
      return { value: null, version: null, lastContactMs };
    }
    if (!response.ok) throw await failure(response);
    const [entry] = (await response.json()) as { Value: string | null; ModifyIndex: number }[];
    const value = entry.Value === null ? '' : Buffer.from(entry.Value, 'base64').toString();
    return { value, version: String(entry.ModifyIndex), lastContactMs };
  }

  async put(server: number, key: string, value: string, signal: AbortSignal): Promise<void> {
    const answer = await this.write(server, `/v1/kv/${key}`, 'PUT', value, signal);
    if (answer !== true) throw new Error(`PUT ${key} answered ${JSON.stringify(answer)}`);
  }

  async cas(
    server: number,
    key: string,
    version: string | null,
    value: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    const answer = await this.write(
      server,
      `/v1/kv/${key}?cas=${version ?? 0}`,
      'PUT',
      value,
      signal,
    );
    if (typeof answer !== 'boolean') throw new Error(`CAS answered ${JSON.stringify(answer)}`);
    return answer;
  }

  async delete(server: number, key: string, signal: AbortSignal): Promise<void> {
    const answer = await this.write(server, `/v1/kv/${key}`, 'DELETE', undefined, signal);
    if (answer !== true) throw new Error(`DELETE ${key} answered ${JSON.stringify(answer)}`);
  }

  private async write(
    server: number,
    path: string,
    method: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    const response = await request(this.url(server, path), { method, body, signal });
    if (!response.ok) throw await failure(response);
    return response.json();
  }
}

/** 4xx: refused before anything was applied; 5xx: the outcome is unknown. */
async function failure(response: Response): Promise<Error> {
  const text = (await response.text()).trim();
  const message = `HTTP ${response.status}: ${text}`;
  return response.status < 500 ? new DefiniteFailure(message) : new Error(message);
}
