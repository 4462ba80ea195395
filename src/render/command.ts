// Shell commands around a write (check, reload): `sh -c`, in their own process group so that a
// timeout ends everything they started, output kept for the error report.
import { spawn } from 'node:child_process';

export interface CommandResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, the last 16 KiB. */
  output: string;
}

const OUTPUT_LIMIT = 16 * 1024;

export function runShell(
  command: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child.pid, 'SIGKILL');
          }, timeoutMs)
        : null;
    child.on('error', (err) => {
      if (timer !== null) clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ command, code, signal, timedOut, output: output.trim() });
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone: nothing left to stop.
  }
}

export class CommandFailedError extends Error {
  constructor(
    readonly role: string,
    readonly result: CommandResult,
  ) {
    const how = result.timedOut
      ? 'timed out'
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with code ${result.code}`;
    super(
      `${role} command "${result.command}" ${how}${result.output === '' ? '' : `: ${result.output}`}`,
    );
    this.name = 'CommandFailedError';
  }
}

/** Runs the command and throws CommandFailedError unless it exits 0. */
export async function runShellOrThrow(
  role: string,
  command: string,
  timeoutMs: number,
): Promise<CommandResult> {
  const result = await runShell(command, timeoutMs);
  if (result.code !== 0 || result.timedOut) throw new CommandFailedError(role, result);
  return result;
}

/** Quotes a path for sh only when it needs it. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
