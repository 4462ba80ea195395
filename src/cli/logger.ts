// The agent's logger: pino, as Consul-like text lines (`<time> [INFO]  module: message: k=v`)
// or, with log_json, pino's JSON lines; both on stdout, and appended to log_file if set.
import { createWriteStream, type WriteStream } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { AgentConfig } from '../config';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'ERROR',
};
const OMITTED = new Set(['level', 'time', 'msg', 'module', 'pid', 'hostname', 'name']);

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
): Logger {
  const file: WriteStream | null =
    config.logFile === null ? null : createWriteStream(config.logFile, { flags: 'a' });
  const destination = {
    write(line: string): void {
      const out = config.logJson ? line : formatTextLine(line);
      if (gate === undefined) process.stdout.write(out);
      else gate.write(out);
      file?.write(out);
    },
  };
  return pino({ level: config.logLevel, base: undefined }, destination);
}

/** One pino JSON line → `2024-05-01T10:00:00.000Z [INFO]  agent: message: key=value`. */
export function formatTextLine(jsonLine: string): string {
  const record = JSON.parse(jsonLine) as Record<string, unknown>;
  const level = LEVEL_NAMES[Number(record.level)] ?? 'INFO';
  const time = new Date(Number(record.time)).toISOString();
  const module = typeof record.module === 'string' ? `${record.module}: ` : 'agent: ';
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${formatField(value)}`);
  const message = String(record.msg ?? '');
  const tail = fields.length > 0 ? `: ${fields.join(' ')}` : '';
  return `${time} [${level}]${' '.repeat(6 - level.length)}${module}${message}${tail}\n`;
}

function formatField(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null && 'message' in value) {
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}
