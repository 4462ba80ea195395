// Builds and drives the real hashicorp/memberlist peer in ./go (Debian's Go sources, offline).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const GOPATH = '/usr/share/gocode';
const MEMBERLIST_SRC = `${GOPATH}/src/github.com/hashicorp/memberlist`;

function sourceDir(): string {
  // Compiled tests live in dist/test/...; the Go source stays in the repository's test tree.
  return join(__dirname, '..', '..', '..', '..', 'test', 'gossip', 'memberlist', 'go');
}

let building: Promise<string> | null = null;

/** The peer binary, built once per source version into the temp directory. */
export function goPeerBinary(): Promise<string> {
  building ??= build();
  return building;
}

async function build(): Promise<string> {
  if (!existsSync(MEMBERLIST_SRC)) {
    throw new Error(
      `hashicorp/memberlist sources missing in ${MEMBERLIST_SRC}: run scripts/ensure-system-packages.sh (golang-github-hashicorp-memberlist-dev)`,
    );
  }
  const src = sourceDir();
  const hash = createHash('sha256')
    .update(readFileSync(join(src, 'main.go')))
    .digest('hex');
  const dir = join(tmpdir(), 'consulate-memberlist-peer', hash.slice(0, 16));
  const bin = join(dir, 'mlpeer');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    execFile(
      'go',
      ['build', '-o', bin, '.'],
      {
        cwd: src,
        env: {
          ...process.env,
          GO111MODULE: 'off',
          GOPATH,
          GOCACHE: join(tmpdir(), 'consulate-go-cache'),
        },
        timeout: 300_000,
      },
      (err, _stdout, stderr) => {
        if (err !== null) {
          const hint =
            (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? ' (no `go`: run scripts/ensure-system-packages.sh to install golang-go)'
              : '';
          reject(
            new Error(`building the Go memberlist peer failed${hint}: ${err.message}\n${stderr}`),
          );
        } else resolve();
      },
    );
  });
  return bin;
}

export interface GoPeerOptions {
  name: string;
  bind: string;
  key?: Buffer;
  join?: string;
  /** memberlist protocol version (default 2). */
  proto?: number;
}

/** A running Go memberlist peer: its stdout lines, and commands on its stdin. */
export class GoPeer {
  readonly lines: string[] = [];
  /** memberlist's own log lines (stderr). */
  readonly logs: string[] = [];
  private readonly waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private readonly proc: ChildProcess;
  port = 0;

  private constructor(bin: string, opts: GoPeerOptions) {
    const args = ['-name', opts.name, '-bind', opts.bind];
    if (opts.key !== undefined) args.push('-key', opts.key.toString('base64'));
    if (opts.join !== undefined) args.push('-join', opts.join);
    if (opts.proto !== undefined) args.push('-proto', String(opts.proto));
    this.proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.logs.push(line));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.re.test(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
  }

  static async start(opts: GoPeerOptions): Promise<GoPeer> {
    const peer = new GoPeer(await goPeerBinary(), opts);
    const ready = await peer.waitLine(/^(READY \d+|ERROR .*)$/);
    if (ready.startsWith('ERROR')) throw new Error(`Go peer failed: ${ready}`);
    peer.port = Number(ready.split(' ')[1]);
    return peer;
  }

  /** Resolves with the first line from index `from` on (seen or future) matching `re`. */
  waitLine(re: RegExp, timeoutMs = 15_000, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`Go peer: no line matching ${re} in:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({
        re,
        resolve: (line) => {
          clearTimeout(t);
          resolve(line);
        },
      });
    });
  }

  command(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  async members(): Promise<string[]> {
    const before = this.lines.length;
    this.command('members');
    const line = await this.waitLine(/^MEMBERS/, 5_000, before);
    return line.slice('MEMBERS '.length).split(',').filter(Boolean);
  }

  /** kill -9. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
