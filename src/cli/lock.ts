// `consulate lock [options] PREFIX CHILD...`: runs CHILD while holding a lock on PREFIX, as
// `consul lock` does: the key `<prefix>/.lock` with api.Lock's flags for -n=1, or api.Semaphore's
// `.lock` document and `<prefix>/<session>` contender keys for -n>1 (the SDK's Lock and
// Semaphore, so both lay the keys out as Consul). The child gets CONSUL_LOCK_HELD=true; a lost
// lock or a signal to us stops it (the signal passed on, SIGKILL after 5 s); the lock is released
// and, when unused, cleaned up before we exit.
import { spawn, type ChildProcess } from 'node:child_process';

import {
  Consul,
  Lock,
  LockConflictError,
  SEMAPHORE_LOCK_KEY,
  Semaphore,
} from '../../clients/typescript/src';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const KILL_GRACE_MS = 5000;
const MONITOR_RETRY_MS = 1000;
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const HELP = `
Usage: consulate lock [options] prefix child...

  Acquires a lock or semaphore at a given path, and invokes a child process
  when successful. The child process can assume the lock is held while it
  executes. If the lock is lost or communication is disrupted the child
  process will be sent a SIGTERM signal and given time to gracefully exit.
  After the grace period expires the process will be hard terminated.

  For Consul agents on Windows, the child process is always hard terminated
  with a SIGKILL, since Windows has no POSIX compatible notion for SIGTERM.

  When -n=1, only a single lock holder or leader exists providing mutual
  exclusion. Setting a higher value switches to a semaphore allowing multiple
  holders to coordinate.

  The prefix provided must have write privileges.`;

type Holder = Lock | Semaphore;

export async function runLock(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      { name: 'n', kind: 'int', usage: 'Maximum number of holders (default 1).' },
      { name: 'name', kind: 'string', usage: 'Optional name to associate with the lock session.' },
      {
        name: 'timeout',
        kind: 'duration',
        usage: 'Maximum amount of time to wait to acquire the lock (default 0: forever).',
      },
      {
        name: 'shell',
        kind: 'bool',
        usage: 'Use a shell to run the command (default true).',
      },
      { name: 'pass-stdin', kind: 'bool', usage: 'Pass stdin to the child process.' },
      {
        name: 'child-exit-code',
        kind: 'bool',
        usage: 'Exit 2 if the child process exited with an error.',
      },
      {
        name: 'monitor-retry',
        kind: 'int',
        usage:
          'Number of times to retry if Consul returns a 500 error while monitoring (default 3).',
      },
      { name: 'verbose', kind: 'bool', usage: 'Enable verbose (debugging) output.' },
    ],
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, args } = parsed;
  const limit = (values.get('n') as number | undefined) ?? 1;
  const verbose = values.get('verbose') === true;
  const monitorRetries = (values.get('monitor-retry') as number | undefined) ?? 3;
  const timeoutMs = (values.get('timeout') as number | undefined) ?? 0;
  const useShell = (values.get('shell') as boolean | undefined) ?? true;
  if (limit < 1) {
    error('Lock holder limit must be positive');
    return 1;
  }
  if (monitorRetries < 0) {
    error("Number for 'monitor-retry' must be >= 0");
    return 1;
  }
  if (args.length < 2) {
    error('Key prefix and child command must be specified');
    return 1;
  }
  const prefix = args[0].replace(/^\/+/, '');
  const childArgs = args.slice(1);
  const script = childArgs.join(' ');
  const name =
    (values.get('name') as string | undefined) ?? `Consul lock for '${script}' at '${prefix}'`;
  const consul = new Consul(AgentHttpClient.fromFlags(values).sdkOptions());
  const log = (text: string): void => {
    if (verbose) info(text);
  };

  const holder: Holder =
    limit === 1
      ? consul.lock(`${prefix}/${SEMAPHORE_LOCK_KEY}`, {
          sessionName: name,
          monitorRetries,
          monitorRetryMs: MONITOR_RETRY_MS,
        })
      : consul.semaphore(prefix, limit, {
          sessionName: name,
          monitorRetries,
          monitorRetryMs: MONITOR_RETRY_MS,
        });

  // A signal during acquisition abandons it; later ones go to the child.
  const shutdown = new AbortController();
  let child: ChildProcess | null = null;
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    received = signal;
    shutdown.abort();
    if (child !== null) stopChild(child, signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal);
  try {
    log('Attempting lock acquisition');
    // A plain timer, not AbortSignal.timeout/any: Node 20 may collect those signals early.
    const timer = timeoutMs > 0 ? setTimeout(() => shutdown.abort(), timeoutMs) : null;
    let held: boolean;
    try {
      held = await holder.acquire(shutdown.signal);
    } catch (err) {
      error(`Lock acquisition failed: ${describe(err)}`);
      await holder.release().catch(() => undefined);
      return 1;
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
    if (!held) {
      error('Shutdown triggered or timeout during lock acquisition');
      await holder.release().catch(() => undefined);
      return 1;
    }
    log(`Lock acquisition successful: ${holder.sessionId ?? ''}`);

    let lost = false;
    child = startChild(childArgs, script, useShell, values.get('pass-stdin') === true);
    const running = child;
    log(`Starting handler '${script}'`);
    const exited = childExit(running);
    const onLost = (): void => {
      lost = true;
      error('Lock lost, killing child');
      stopChild(running, 'SIGTERM');
    };
    holder.once('lost', onLost);
    if (received !== null) stopChild(running, received);
    const code = await exited;
    holder.off('lost', onLost);
    if (code !== 0 && !lost && received === null) error('Child terminated with error');

    try {
      await holder.release();
    } catch (err) {
      error(`Lock release failed: ${describe(err)}`);
      return 1;
    }
    try {
      const cleaned = await holder.destroy();
      log(cleaned ? 'Cleanup succeeded' : 'Cleanup aborted, lock in use');
    } catch (err) {
      error(`Lock cleanup failed: ${describe(err)}`);
      return 1;
    }
    return values.get('child-exit-code') === true && code !== 0 ? 2 : 0;
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, onSignal);
    consul.close();
  }
}

function startChild(
  childArgs: string[],
  script: string,
  useShell: boolean,
  passStdin: boolean,
): ChildProcess {
  const env = { ...process.env, CONSUL_LOCK_HELD: 'true' };
  const stdio: ('inherit' | 'ignore')[] = [passStdin ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  return useShell
    ? spawn('/bin/sh', ['-c', script], { env, stdio })
    : spawn(childArgs[0], childArgs.slice(1), { env, stdio });
}

/** Resolves with the child's exit code (1 when it could not start or died of a signal). */
function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('error', (err) => {
      error(`Error running handler: ${err.message}`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** Sends `signal`, then SIGKILL after the grace period if it is still running. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

function describe(err: unknown): string {
  if (err instanceof LockConflictError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
