// -exec: supervise one child process. It starts once every template is rendered, is restarted
// (or sent the reload signal) when templates change, gets our SIGTERM/SIGINT forwarded, and its
// exit — when not caused by a restart — ends the renderer with its exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

import type { ExecSpec } from './config';

export interface SupervisorOptions {
  exec: ExecSpec;
  env?: NodeJS.ProcessEnv;
  /** Where the child's stdout/stderr go; default inherit. */
  stdio?: 'inherit' | 'ignore';
  /** Called once when the child exits on its own (or after stop), with its exit code. */
  onExit(code: number): void;
}

export class ChildSupervisor {
  private child: ChildProcess | null = null;
  private exitWaiter: Promise<number> | null = null;
  private restarting: Promise<void> | null = null;
  private restartAgain = false;
  private finished = false;
  /** How many times the child has been started. */
  starts = 0;

  constructor(private readonly options: SupervisorOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.finished || this.child !== null) return;
    const child = spawn('sh', ['-c', this.options.exec.command], {
      env: this.options.env ?? process.env,
      stdio: ['ignore', this.options.stdio ?? 'inherit', this.options.stdio ?? 'inherit'],
      detached: true,
    });
    this.starts += 1;
    this.child = child;
    this.exitWaiter = new Promise((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    void this.exitWaiter.then((code) => {
      if (this.child !== child) return; // replaced by a restart: expected
      this.child = null;
      this.finished = true;
      this.options.onExit(code);
    });
  }

  /** Templates changed: send the reload signal, or restart the child. */
  async templatesChanged(): Promise<void> {
    if (this.finished) return;
    if (this.child === null) {
      this.start();
      return;
    }
    const { reloadSignal } = this.options.exec;
    if (reloadSignal !== null) {
      this.signal(reloadSignal);
      return;
    }
    if (this.restarting !== null) {
      this.restartAgain = true;
      return this.restarting;
    }
    this.restarting = this.restart().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  /** Forwards `signal` and waits for the child to exit (SIGKILL after kill_timeout). */
  async stop(signal: NodeJS.Signals = this.options.exec.killSignal): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.signal(signal);
    await this.waitOrKill(child);
  }

  private async restart(): Promise<void> {
    do {
      this.restartAgain = false;
      const child = this.child;
      if (child === null) break;
      this.child = null;
      this.signalChild(child, this.options.exec.killSignal);
      await this.waitOrKill(child);
      if (this.finished) return;
      this.start();
    } while (this.restartAgain);
  }

  private async waitOrKill(child: ChildProcess): Promise<void> {
    const waiter = this.exitWaiter;
    if (child.exitCode !== null || child.signalCode !== null || waiter === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(
      () => this.signalChild(child, 'SIGKILL'),
      this.options.exec.killTimeoutMs,
    );
    await exited;
    clearTimeout(timer);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child !== null) this.signalChild(this.child, signal);
  }

  private signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already; its exit is reported through the 'exit' event.
    }
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal === null ? 1 : 128 + (constants.signals[signal] ?? 0);
}
