// Starts a peer or the agent as a child process with a raised open-files limit, keeps the tail
// of its output for error messages, and makes sure it is stopped when the bench exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import { processTree } from './procfs';

const OUTPUT_LINES_KEPT = 200;
const live = new Set<ServerProcess>();

/** Called with each new output line, or with undefined when the process exits. */
type LineWatcher = (line: string | undefined) => void;

export interface SpawnOptions {
  name: string;
  /** A shell command line; it is `exec`ed by bash after `ulimit -n`. */
  command: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Requested open-files limit; falls back to the hard limit when that is lower. */
  openFiles?: number;
  /** Where to copy the child's stdout and stderr. */
  logFile?: string;
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The shell prefix that raises `ulimit -n` as far as allowed, then runs what follows. */
export function raiseOpenFiles(openFiles: number): string {
  return `ulimit -n ${openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; `;
}

export class ServerProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly log: WriteStream | undefined;
  private readonly lineWatchers = new Set<LineWatcher>();
  private exitCode: number | null | undefined;

  constructor(private readonly options: SpawnOptions) {
    const script = raiseOpenFiles(options.openFiles ?? 65536) + `exec ${options.command}`;
    this.child = spawn('bash', ['-c', script], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.log = options.logFile === undefined ? undefined : createWriteStream(options.logFile);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        this.log?.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        this.output.push(...lines);
        if (this.output.length > OUTPUT_LINES_KEPT) {
          this.output.splice(0, this.output.length - OUTPUT_LINES_KEPT);
        }
        for (const line of lines) for (const watcher of [...this.lineWatchers]) watcher(line);
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        for (const watcher of [...this.lineWatchers]) watcher(undefined);
        resolve(code);
      }),
    );
    live.add(this);
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name}: spawn failed`);
    return this.child.pid;
  }

  /** The server and any processes it started, for CPU and memory accounting. */
  pids(): number[] {
    return processTree(this.pid);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves with the first output line matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    for (const line of this.output) {
      const match = pattern.exec(line);
      if (match !== null) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      const watcher: LineWatcher = (line) => {
        const match = line === undefined ? null : pattern.exec(line);
        if (match !== null) {
          settle();
          resolve(match);
        } else if (!this.running) {
          settle();
          reject(new Error(`${this.name} exited (${this.exitCode}): ${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        settle();
        reject(
          new Error(`${this.name}: no line matching ${pattern} in ${timeoutMs} ms: ${this.tail()}`),
        );
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.lineWatchers.delete(watcher);
      };
      this.lineWatchers.add(watcher);
    });
  }

  /** Polls `probe` until it returns true; rejects if the process exits or time runs out. */
  async waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode}): ${this.tail()}`);
      try {
        if (await probe()) return;
      } catch (error: unknown) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `${this.name}: not ${what} after ${timeoutMs} ms (${lastError}): ${this.tail()}`,
    );
  }

  tail(lines = 15): string {
    return this.output.slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.log?.end();
  }
}

/** Kills every server still running; for exit paths that cannot wait. */
export function killAllServers(): void {
  for (const server of live) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

process.on('exit', killAllServers);

/** `count` distinct free TCP ports on 127.0.0.1 (held open together so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port assigned');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
