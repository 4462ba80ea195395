// Script check (Consul's CheckMonitor with args): argv spawned without a shell in its own process
// group; exit 0 passing, 1 warning, anything else critical; at the timeout the whole group is
// killed with SIGKILL and the result is critical.
import { spawn } from 'node:child_process';
import { formatDuration } from '../../config';
import {
  DEFAULT_OUTPUT_MAX_SIZE,
  DEFAULT_SCRIPT_TIMEOUT_MS,
  type CheckResult,
  positiveOr,
} from './definition';
import { TailBuffer } from './output';
import { errorMessage } from './net-errors';

export interface ScriptCheckOptions {
  args: string[];
  /** Default 30s. */
  timeoutMs?: number;
  outputMaxSize?: number;
  /** Working directory and environment of the child; default the agent's. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one script check. Resolves only after the child has exited, so that the next run of the
 * same check can never overlap it. Never rejects.
 */
export function runScriptCheck(
  options: ScriptCheckOptions,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_SCRIPT_TIMEOUT_MS);
  const limit = positiveOr(options.outputMaxSize, DEFAULT_OUTPUT_MAX_SIZE);
  if (options.args.length === 0)
    return Promise.resolve({ status: 'critical', output: 'script check has no args' });
  const output = new TailBuffer(limit);
  return new Promise((resolve) => {
    let settled = false;
    let killedFor: string | undefined;
    let exited = false;
    const child = spawn(options.args[0], options.args.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, killed as a whole at the timeout
      cwd: options.cwd,
      env: options.env,
    });
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const killGroup = (reason: string): void => {
      if (killedFor !== undefined || child.pid === undefined) return;
      killedFor = reason;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is already gone; make sure of the leader
      }
      if (exited) finishKilled();
    };
    const finishKilled = (): void => {
      child.stdout.destroy();
      child.stderr.destroy();
      finish(killedResult(killedFor ?? '', output.toString()));
    };
    const timer = setTimeout(
      () => killGroup(`Timed out (${formatDuration(timeoutMs)}) running check`),
      timeoutMs,
    );
    const onAbort = (): void => killGroup('Check run canceled');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => output.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.write(chunk));
    child.on('error', (err) => finish({ status: 'critical', output: errorMessage(err) }));
    // After a kill, a grandchild that left the group may hold the pipes open: do not wait for them.
    child.on('exit', () => {
      exited = true;
      if (killedFor !== undefined) finishKilled();
    });
    child.on('close', (code) => {
      if (killedFor !== undefined) return finish(killedResult(killedFor, output.toString()));
      const text = output.toString();
      if (code === 0) finish({ status: 'passing', output: text });
      else if (code === 1) finish({ status: 'warning', output: text });
      else finish({ status: 'critical', output: text });
    });
  });
}

function killedResult(message: string, output: string): CheckResult {
  return { status: 'critical', output: output === '' ? message : `${message}\n\n${output}` };
}
