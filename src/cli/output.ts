// How commands talk to the terminal, as Consul's CLI does: results on stdout, errors on stderr,
// each followed by a newline; usage errors print the command's help.
import { readFileSync } from 'node:fs';
import { FlagError, formatFlagUsage, parseFlags, type FlagSpec, type ParsedFlags } from '../config';

export function info(text: string | Buffer): void {
  process.stdout.write(text);
  process.stdout.write('\n');
}

export function error(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The outcome of parsing a command's flags: the flags, or the exit code to return at once. */
export function parseCommandFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  help: string,
): ParsedFlags | number {
  const usage = `${help.trim()}\n\nOptions:\n\n${formatFlagUsage(specs)}\n`;
  try {
    const parsed = parseFlags(argv, specs);
    if (!parsed.help) return parsed;
    process.stdout.write(usage);
    return 0;
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    error(err.message);
    process.stderr.write(usage);
    return 1;
  }
}

/** Reads DATA arguments as Consul does: `@file`, `-` for stdin, otherwise the text itself. */
export function readDataArgument(data: string): Buffer {
  if (data.startsWith('@')) {
    try {
      return readFileSync(data.slice(1));
    } catch (err) {
      throw new Error(`Failed to read file: ${(err as Error).message}`);
    }
  }
  if (data === '-') {
    try {
      return readFileSync(0);
    } catch (err) {
      throw new Error(`Failed to read stdin: ${(err as Error).message}`);
    }
  }
  return Buffer.from(data, 'utf8');
}

/**
 * A progress line on stderr for long runs, only when stderr is a terminal: it appears once the
 * run has taken more than a second or covers more than 1000 items.
 */
export class Progress {
  private readonly startedAt = Date.now();
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (!process.stderr.isTTY) return;
    if (!this.shown && this.total <= 1000 && Date.now() - this.startedAt <= 1000) return;
    this.shown = true;
    process.stderr.write(`\r${this.label} ${done}/${this.total}`);
  }

  finish(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
