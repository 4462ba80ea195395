// The agent's logger: pino, as Consul-like text lines (`<time> [INFO]  module: message: k=v`)
// or, with log_json, pino's JSON lines; both on stdout, and appended to log_file if set.
import { createWriteStream, type WriteStream } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { AgentConfig } from '../config';
import { formatTextLine, type LogHub } from '../telemetry';

/**
 * Holds the log lines written while the agent starts, so that the start-up summary (which
 * shows the ports actually bound) comes first, as Consul's gated writer does.
 */
export class LogGate {
  private held: string[] | null = [];

  write(line: string): void {
    if (this.held === null) process.stdout.write(line);
    else this.held.push(line);
  }

  /** Writes what was held and lets later lines through. */
  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const line of held) process.stdout.write(line);
  }
}

export function createAgentLogger(
  config: Pick<AgentConfig, 'logLevel' | 'logJson' | 'logFile'>,
  gate?: LogGate,
  hub?: LogHub,
): Logger {
  const file: WriteStream | null =
    config.logFile === null ? null : createWriteStream(config.logFile, { flags: 'a' });
  const destination = {
    write(line: string): void {
      const out = config.logJson ? line : formatTextLine(line);
      if (gate === undefined) process.stdout.write(out);
      else gate.write(out);
      file?.write(out);
      hub?.publish(line);
    },
  };
  return pino({ level: config.logLevel, base: undefined }, destination);
}

export { formatTextLine };
