// Template resources: what to render where, and what to run around the write. Read from
// consul-template-style HCL/JSON (`template { … }` blocks) or from `-template "src:dest[:cmd]"`.
import { parseDuration } from '../config';

export interface WaitSpec {
  /** Quiet time after the last change before rendering (0 = no quiescence). */
  minMs: number;
  /** Longest a render is put off by a stream of changes; at least minMs. */
  maxMs: number;
}

export interface TemplateResource {
  /** Stable name used in logs and events: the destination, unless given. */
  id: string;
  /** Path of the Handlebars template; null when `contents` is inline. */
  source: string | null;
  contents: string | null;
  destination: string;
  /** Octal file mode of the destination; null keeps the existing file's, or 0644. */
  perms: number | null;
  uid: number | null;
  gid: number | null;
  /** Keep the previous destination as `<destination>.bak`. */
  backup: boolean;
  /** Run via `sh -c` after a write (e.g. a reload). */
  command: string | null;
  commandTimeoutMs: number;
  /** Run via `sh -c` on the rendered temp file before it replaces the destination; `{{.src}}`. */
  check: string | null;
  wait: WaitSpec | null;
  errorOnMissingKey: boolean;
  createDestDirs: boolean;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}

export function defaultResource(
  fields: Partial<TemplateResource> & { destination: string },
): TemplateResource {
  return {
    id: fields.id ?? fields.destination,
    source: null,
    contents: null,
    perms: null,
    uid: null,
    gid: null,
    backup: false,
    command: null,
    commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
    check: null,
    wait: null,
    errorOnMissingKey: false,
    createDestDirs: true,
    ...fields,
  };
}

/**
 * `-template "src:dest[:command]"`, as consul-template: the command is everything after the
 * second colon, so it may contain colons itself.
 */
export function parseTemplateFlag(spec: string): TemplateResource {
  const first = spec.indexOf(':');
  if (first <= 0)
    throw new ResourceError(`invalid -template "${spec}": expected src:dest[:command]`);
  const second = spec.indexOf(':', first + 1);
  const source = spec.slice(0, first);
  const destination = second === -1 ? spec.slice(first + 1) : spec.slice(first + 1, second);
  const command = second === -1 ? null : spec.slice(second + 1);
  if (destination === '') throw new ResourceError(`invalid -template "${spec}": empty destination`);
  return defaultResource({ source, destination, command: command === '' ? null : command });
}

/** `"2s"`, `"2s:10s"` or `{ min, max }` (max defaults to 4 × min, as consul-template). */
export function parseWait(value: unknown, where: string): WaitSpec | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return parseWait(value[0], where);
  let minMs: number;
  let maxMs: number | null;
  if (typeof value === 'string') {
    const [min, max] = value.split(':');
    minMs = durationOf(min, `${where}.min`);
    maxMs = max === undefined ? null : durationOf(max, `${where}.max`);
  } else if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    minMs = durationOf(object.min ?? '0s', `${where}.min`);
    maxMs = object.max === undefined ? null : durationOf(object.max, `${where}.max`);
  } else {
    throw new ResourceError(`${where}: invalid wait ${JSON.stringify(value)}`);
  }
  const max = maxMs ?? minMs * 4;
  if (max < minMs) throw new ResourceError(`${where}: max (${max}ms) is below min (${minMs}ms)`);
  return minMs === 0 && max === 0 ? null : { minMs, maxMs: max };
}

export function durationOf(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value / 1e6;
  if (typeof value !== 'string')
    throw new ResourceError(`${where}: invalid duration ${JSON.stringify(value)}`);
  try {
    const ms = parseDuration(value);
    if (ms < 0) throw new Error('negative');
    return ms;
  } catch {
    throw new ResourceError(`${where}: invalid duration "${value}"`);
  }
}

/** One `template` block (keys matched case-insensitively; confd's names accepted as aliases). */
export function resourceFromObject(
  input: Record<string, unknown>,
  where: string,
): TemplateResource {
  const fields = new Map(Object.entries(input).map(([k, v]) => [k.toLowerCase(), v]));
  const known = new Set([
    'id',
    'source',
    'src',
    'contents',
    'destination',
    'dest',
    'perms',
    'mode',
    'uid',
    'user',
    'gid',
    'group',
    'backup',
    'command',
    'reload_cmd',
    'command_timeout',
    'check',
    'check_command',
    'check_cmd',
    'wait',
    'error_on_missing_key',
    'create_dest_dirs',
  ]);
  for (const key of fields.keys()) {
    if (!known.has(key)) throw new ResourceError(`${where}: unknown key "${key}"`);
  }
  const pick = (...names: string[]): unknown => {
    for (const name of names) if (fields.has(name)) return fields.get(name);
    return undefined;
  };
  const str = (names: string[], label: string): string | null => {
    const value = pick(...names);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw new ResourceError(`${where}.${label}: must be a string`);
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = pick(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new ResourceError(`${where}.${name}: must be a boolean`);
    return value;
  };
  const int = (names: string[], label: string): number | null => {
    const value = pick(...names);
    if (value === undefined || value === null) return null;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    throw new ResourceError(`${where}.${label}: must be a non-negative integer`);
  };
  const destination = str(['destination', 'dest'], 'destination');
  if (destination === null || destination === '') {
    throw new ResourceError(`${where}: destination is required`);
  }
  const source = str(['source', 'src'], 'source');
  const contents = str(['contents'], 'contents');
  if ((source === null) === (contents === null)) {
    throw new ResourceError(`${where}: exactly one of source and contents is required`);
  }
  const timeout = pick('command_timeout');
  return defaultResource({
    id: str(['id'], 'id') ?? destination,
    source,
    contents,
    destination,
    perms: permsOf(pick('perms', 'mode'), `${where}.perms`),
    uid: int(['uid', 'user'], 'uid'),
    gid: int(['gid', 'group'], 'gid'),
    backup: bool('backup', false),
    command: str(['command', 'reload_cmd'], 'command'),
    commandTimeoutMs:
      timeout === undefined
        ? DEFAULT_COMMAND_TIMEOUT_MS
        : durationOf(timeout, `${where}.command_timeout`),
    check: str(['check', 'check_command', 'check_cmd'], 'check'),
    wait: parseWait(pick('wait'), `${where}.wait`),
    errorOnMissingKey: bool('error_on_missing_key', false),
    createDestDirs: bool('create_dest_dirs', true),
  });
}

/** HCL turns `0644` into 420 already; JSON writers send "0644" or 420. */
function permsOf(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null;
  const mode = typeof value === 'string' && /^[0-7]{3,4}$/.test(value) ? parseInt(value, 8) : value;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ResourceError(`${where}: invalid file mode ${JSON.stringify(value)}`);
  }
  return mode;
}
