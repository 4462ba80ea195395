// The agent's log lines as Consul prints them: hclog text (`<time> [INFO]  module: message:
// k=v`) or, for `logjson`, one object per line with `@timestamp`, `@level`, `@module`, `@message`.

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** pino's numeric levels by name. */
export const PINO_LEVELS: Readonly<Record<LogLevelName, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
};

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'ERROR',
};
const OMITTED = new Set(['level', 'time', 'msg', 'module', 'pid', 'hostname', 'name']);

/** A pino JSON record, parsed. */
export type LogRecord = Record<string, unknown>;

/** One pino JSON line → `2024-05-01T10:00:00.000Z [INFO]  agent: message: key=value`. */
export function formatTextLine(jsonLine: string): string {
  return formatTextRecord(JSON.parse(jsonLine) as LogRecord);
}

export function formatTextRecord(record: LogRecord): string {
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

/** hclog's JSON format: `@timestamp`, `@level`, `@module`, `@message`, then the fields. */
export function formatJsonRecord(record: LogRecord): string {
  const out: Record<string, unknown> = {
    '@level': (LEVEL_NAMES[Number(record.level)] ?? 'INFO').toLowerCase(),
    '@message': String(record.msg ?? ''),
    '@module': typeof record.module === 'string' ? record.module : 'agent',
    '@timestamp': new Date(Number(record.time)).toISOString(),
  };
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key)) continue;
    out[key] = isErrorLike(value) ? value.message : value;
  }
  return `${JSON.stringify(out)}\n`;
}

function formatField(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (isErrorLike(value)) return JSON.stringify(value.message);
  return JSON.stringify(value);
}

function isErrorLike(value: unknown): value is { message: unknown } {
  return typeof value === 'object' && value !== null && 'message' in value;
}
