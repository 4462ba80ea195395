// Starts raft-server.js children on 127.0.0.x and talks to them through a ConnPool.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConnPool } from '../../src/rpc';
import type { Membership } from '../../src/raft';
import { Status, type ServerStatus } from './methods';
import type { ServerSpec } from './raft-server';
import { freePort, waitFor } from './support';

export interface ProcessClusterOptions {
  size: number;
  /** Third octet-free host prefix: servers bind `${hostPrefix}${i + 1}`. */
  hostPrefix: string;
  tickMs: number;
  electionTicks: number;
}

export class ProcessCluster {
  readonly specs: ServerSpec[] = [];
  readonly pool = new ConnPool({ logger: pino({ level: 'silent' }) });
  private readonly children = new Map<string, ChildProcess>();
  private root = '';

  constructor(private readonly options: ProcessClusterOptions) {}

  async start(): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), 'raft-procs-'));
    const hosts = Array.from(
      { length: this.options.size },
      (_, i) => `${this.options.hostPrefix}${i + 1}`,
    );
    const ports = await Promise.all(hosts.map((host) => freePort(host)));
    const membership: Membership = {
      servers: hosts.map((host, i) => ({
        id: `p${i + 1}`,
        address: `${host}:${ports[i]}`,
        voter: true,
      })),
    };
    hosts.forEach((host, i) =>
      this.specs.push({
        id: `p${i + 1}`,
        host,
        port: ports[i],
        dataDir: join(this.root, `p${i + 1}`),
        membership,
        tickMs: this.options.tickMs,
        electionTicks: this.options.electionTicks,
      }),
    );
    await Promise.all(this.specs.map((spec) => this.startServer(spec.id)));
  }

  address(id: string): string {
    const spec = this.spec(id);
    return `${spec.host}:${spec.port}`;
  }

  async startServer(id: string): Promise<void> {
    const spec = this.spec(id);
    const script = join(__dirname, 'raft-server.js');
    const child = spawn(process.execPath, [script, JSON.stringify(spec)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.children.set(id, child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`${id} exited with ${code} before it was ready`)),
      );
    });
  }

  /** SIGKILL: no shutdown, no flush; the storage is what the last fsync left. */
  async kill(id: string): Promise<void> {
    const child = this.children.get(id);
    if (child === undefined) return;
    this.children.delete(id);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  running(): string[] {
    return [...this.children.keys()];
  }

  async status(id: string): Promise<ServerStatus | null> {
    try {
      return await this.pool.call(this.address(id), Status, null, { timeoutMs: 2000 });
    } catch {
      return null;
    }
  }

  /** Waits until one running server leads and every running server names it. */
  async leader(): Promise<string> {
    return waitFor('one agreed leader', async () => {
      const statuses = await Promise.all(this.running().map((id) => this.status(id)));
      if (statuses.some((s) => s === null)) return null;
      const leaders = statuses.filter((s) => s?.role === 'leader');
      if (leaders.length !== 1) return null;
      const id = leaders[0]?.id as string;
      return statuses.every((s) => s?.leaderId === id) ? id : null;
    });
  }

  async converged(count: number): Promise<string> {
    return waitFor(`every running server to apply ${count} commands`, async () => {
      const statuses = await Promise.all(this.running().map((id) => this.status(id)));
      const digests = new Set(statuses.map((s) => s?.digest ?? 'down'));
      const [digest] = digests;
      return digests.size === 1 && digest.startsWith(`${count}:`) ? digest : null;
    });
  }

  async stop(): Promise<void> {
    this.pool.close();
    for (const id of this.running()) await this.kill(id);
    if (this.root !== '') await rm(this.root, { recursive: true, force: true });
  }

  private spec(id: string): ServerSpec {
    const spec = this.specs.find((s) => s.id === id);
    if (spec === undefined) throw new Error(`no server ${id}`);
    return spec;
  }
}
