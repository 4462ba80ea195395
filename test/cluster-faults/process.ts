// One server process inside a namespace of a NetLab, with its output kept in a log file so that
// a failing run can show what the server said. kill -9, SIGSTOP and SIGCONT go to the server
// itself: `ip netns exec` execs the command in place, so the child's pid is the server's.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export class LabProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;

  constructor(
    readonly name: string,
    private readonly argv: () => string[],
    readonly logPath: string,
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    if (this.child !== null) throw new Error(`${this.name} is already running`);
    const [command, ...args] = this.argv();
    const log = openSync(this.logPath, 'a');
    const child = spawn(command, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.paused = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
    });
  }

  /** kill -9: no shutdown of any kind. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Freezes the process (it keeps its sockets; peers see silence). */
  pause(): void {
    if (this.child === null || this.paused) return;
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.child === null || !this.paused) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** The last `lines` lines of its output. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  }
}
