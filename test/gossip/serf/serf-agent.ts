// The real hashicorp/serf agent as a peer: built once from Debian's Go sources
// (golang-github-hashicorp-serf-dev, installed by scripts/ensure-system-packages.sh) into a cache
// directory outside the repository, then run as child processes on 127.0.x.y addresses.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
  chmodSync,
  readFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const SERF_PKG = 'github.com/hashicorp/serf/cmd/serf';
const GOPATH = '/usr/share/gocode';

export function serfBinary(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'consulate-peers');
  const bin = join(dir, 'serf');
  if (existsSync(bin)) return bin;
  if (!existsSync(join(GOPATH, 'src', SERF_PKG))) {
    throw new Error(
      `serf sources missing in ${GOPATH}: run scripts/ensure-system-packages.sh (golang-github-hashicorp-serf-dev)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('go', ['build', '-o', bin, SERF_PKG], {
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`building serf failed: ${r.error?.message ?? ''} ${r.stderr}`);
  return bin;
}

export interface SerfAgentOptions {
  name: string;
  ip: string;
  port?: number;
  key?: string;
  join?: string[];
  keyringFile?: string;
}

export interface SerfMemberJson {
  name: string;
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: string;
}

export class SerfAgent {
  readonly dir: string;
  private exited = false;
  private log = '';

  private constructor(
    readonly opts: SerfAgentOptions,
    readonly proc: ChildProcess,
    dir: string,
  ) {
    this.dir = dir;
    proc.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.on('exit', () => (this.exited = true));
  }

  static start(opts: SerfAgentOptions): SerfAgent {
    const bin = serfBinary();
    const dir = mkdtempSync(join(tmpdir(), `serf-${opts.name}-`));
    const handler = join(dir, 'handler.sh');
    // serf pipes the event payload on stdin; user events carry SERF_USER_EVENT.
    writeFileSync(
      handler,
      `#!/bin/sh\nif [ "$SERF_EVENT" = user ]; then printf '%s %s\\n' "$SERF_USER_EVENT" "$(cat)" >> ${join(dir, 'events.log')}; else cat >/dev/null; fi\n`,
    );
    chmodSync(handler, 0o755);
    const args = [
      'agent',
      `-node=${opts.name}`,
      `-bind=${opts.ip}:${opts.port ?? 7946}`,
      `-rpc-addr=${opts.ip}:7373`,
      '-profile=lan',
      '-log-level=debug',
      `-event-handler=${handler}`,
    ];
    if (opts.key) args.push(`-encrypt=${opts.key}`);
    if (opts.keyringFile) args.push(`-keyring-file=${opts.keyringFile}`);
    for (const j of opts.join ?? []) args.push(`-join=${j}`);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new SerfAgent(opts, proc, dir);
  }

  get address(): string {
    return `${this.opts.ip}:${this.opts.port ?? 7946}`;
  }

  get output(): string {
    return this.log;
  }

  isRunning(): boolean {
    return !this.exited;
  }

  /**
   * Runs a serf CLI command against this agent's RPC address. Asynchronous on purpose: our nodes
   * live in this process and must keep answering while serf waits for them.
   */
  cli(args: string[]): Promise<{ status: number; out: string }> {
    // Flags go before positional arguments (Go's flag package stops at the first non-flag).
    const [cmd, ...rest] = args;
    return new Promise((resolve) => {
      execFile(
        serfBinary(),
        [cmd, `-rpc-addr=${this.opts.ip}:7373`, ...rest],
        { encoding: 'utf8', timeout: 30_000 },
        (err, stdout, stderr) => {
          const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
          resolve({ status, out: `${stdout}${stderr}` });
        },
      );
    });
  }

  /** The members this agent lists, or null while its RPC is not up yet. */
  async members(): Promise<SerfMemberJson[] | null> {
    const r = await this.cli(['members', '-format=json']);
    if (r.status !== 0) return null;
    try {
      return (JSON.parse(r.out) as { members: SerfMemberJson[] }).members;
    } catch {
      return null;
    }
  }

  async statusOf(name: string): Promise<string | undefined> {
    return (await this.members())?.find((m) => m.name === name)?.status;
  }

  userEvents(): string[] {
    const file = join(this.dir, 'events.log');
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  }

  kill9(): Promise<void> {
    return this.stop('SIGKILL');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
      this.proc.kill(signal);
      await gone;
    }
  }

  async cleanup(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
