// Decoding service and check definitions from plain data (a JSON request body or a config
// file's block) the way Consul does: keys match case-insensitively, snake_case spellings match
// their CamelCase field (`tls_skip_verify` ≡ `TLSSkipVerify`; snake_case wins when both are
// given), unknown keys are errors. Values are typed strictly for API bodies and weakly (numbers
// as strings, as mapstructure's WeaklyTypedInput) for config files.
import { parseDuration } from '../config/duration';
import type { ServiceAddress, Weights } from '../state';
import type { CheckDefinition } from './checks';

/** Where a definition comes from: decides error wording and how weakly values are typed. */
export type DecodeMode = 'api' | 'config';

/** A decode failure at `path` (e.g. `checks[1].interval`). */
export class DefinitionDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'unknown-field' | 'type',
    /** The key as written (unknown field) or the expected Go type (type error). */
    readonly detail: string,
    readonly value: unknown,
    readonly goField: string,
  ) {
    super(
      reason === 'unknown-field'
        ? `json: unknown field ${JSON.stringify(detail)}`
        : `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${goField} of type ${detail}`,
    );
    this.name = 'DefinitionDecodeError';
  }
}

/** A service's tagged address (the catalog's ServiceAddress). */
export type TaggedAddress = ServiceAddress;

/** A check as written in a request or file; defaults and validation come later. */
export interface CheckInput {
  definition: CheckDefinition;
  /** As given ("" = unset); validated later (`Bad check status`). */
  status: string;
  token: string;
  /** Runner kinds this agent does not have (H2PING, docker, OS service); null when none. */
  unsupported: string | null;
}

/** A service as written in a request or file (Consul's ServiceDefinition). */
export interface ServiceInput {
  kind: string;
  id: string;
  name: string;
  tags: string[];
  address: string;
  taggedAddresses: Record<string, TaggedAddress>;
  meta: Record<string, string>;
  port: number;
  socketPath: string;
  /** null when not given: the default {1, 1} applies. */
  weights: Weights | null;
  enableTagOverride: boolean;
  token: string;
  /** `Check` then `Checks`, in that order. */
  checks: CheckInput[];
}

type Kind =
  | 'string'
  | 'bool'
  | 'int'
  | 'duration'
  | 'strings'
  | 'string-map'
  | 'header'
  | 'tagged-addresses'
  | 'weights'
  | 'check'
  | 'checks'
  | 'ignored';

interface Field {
  /** Go field name, used in error messages. */
  go: string;
  kind: Kind;
  /** Other names (already folded) that mean this field, e.g. `scriptargs` for Args. */
  also?: string[];
}

const SERVICE_FIELDS: readonly Field[] = [
  { go: 'Kind', kind: 'string' },
  { go: 'ID', kind: 'string' },
  { go: 'Name', kind: 'string' },
  { go: 'Tags', kind: 'strings' },
  { go: 'Address', kind: 'string' },
  { go: 'TaggedAddresses', kind: 'tagged-addresses' },
  { go: 'Meta', kind: 'string-map' },
  { go: 'Port', kind: 'int' },
  { go: 'SocketPath', kind: 'string' },
  { go: 'EnableTagOverride', kind: 'bool' },
  { go: 'Weights', kind: 'weights' },
  { go: 'Token', kind: 'string' },
  { go: 'Check', kind: 'check' },
  { go: 'Checks', kind: 'checks' },
  // Connect is not implemented: these are accepted so that clients sending empty ones work.
  { go: 'Proxy', kind: 'ignored' },
  { go: 'Connect', kind: 'ignored' },
  { go: 'Namespace', kind: 'string' },
  { go: 'Partition', kind: 'string' },
];

const CHECK_FIELDS: readonly Field[] = [
  { go: 'ID', kind: 'string' },
  { go: 'Name', kind: 'string' },
  { go: 'Notes', kind: 'string' },
  { go: 'Status', kind: 'string' },
  { go: 'ServiceID', kind: 'string' },
  { go: 'Args', kind: 'strings', also: ['scriptargs'] },
  { go: 'HTTP', kind: 'string' },
  { go: 'Method', kind: 'string' },
  { go: 'Header', kind: 'header' },
  { go: 'Body', kind: 'string' },
  { go: 'DisableRedirects', kind: 'bool' },
  { go: 'TLSServerName', kind: 'string' },
  { go: 'TLSSkipVerify', kind: 'bool' },
  { go: 'TCP', kind: 'string' },
  { go: 'TCPUseTLS', kind: 'bool' },
  { go: 'UDP', kind: 'string' },
  { go: 'GRPC', kind: 'string' },
  { go: 'GRPCUseTLS', kind: 'bool' },
  { go: 'H2PING', kind: 'string' },
  { go: 'H2PingUseTLS', kind: 'bool' },
  { go: 'DockerContainerID', kind: 'string' },
  { go: 'Shell', kind: 'string' },
  { go: 'OSService', kind: 'string' },
  { go: 'AliasNode', kind: 'string' },
  { go: 'AliasService', kind: 'string' },
  { go: 'Interval', kind: 'duration' },
  { go: 'Timeout', kind: 'duration' },
  { go: 'TTL', kind: 'duration' },
  { go: 'DeregisterCriticalServiceAfter', kind: 'duration' },
  { go: 'SuccessBeforePassing', kind: 'int' },
  { go: 'FailuresBeforeWarning', kind: 'int' },
  { go: 'FailuresBeforeCritical', kind: 'int' },
  { go: 'OutputMaxSize', kind: 'int' },
  { go: 'Token', kind: 'string' },
  { go: 'Namespace', kind: 'string' },
  { go: 'Partition', kind: 'string' },
  // Consul's HealthCheck spelling of ID, sent by some clients.
  { go: 'CheckID', kind: 'string' },
];

const ADDRESS_FIELDS: readonly Field[] = [
  { go: 'Address', kind: 'string' },
  { go: 'Port', kind: 'int' },
];
const WEIGHT_FIELDS: readonly Field[] = [
  { go: 'Passing', kind: 'int' },
  { go: 'Warning', kind: 'int' },
];
/** Fields of the API check-update body (`PUT /agent/check/update/:id`). */
const UPDATE_FIELDS: readonly Field[] = [
  { go: 'Status', kind: 'string' },
  { go: 'Output', kind: 'string' },
];

/** `Request decode failed` material: decodes a service registration body or config block. */
export function decodeServiceInput(raw: unknown, mode: DecodeMode, path = ''): ServiceInput {
  const fields = readStruct(raw, SERVICE_FIELDS, mode, path, 'structs.ServiceDefinition');
  const checks: CheckInput[] = [];
  const single = fields.get('Check');
  if (single !== undefined && single !== null) {
    checks.push(decodeCheckInput(single, mode, join(path, fields.keyOf('Check'))));
  }
  const many = fields.get('Checks');
  if (many !== undefined && many !== null) {
    const at = join(path, fields.keyOf('Checks'));
    const list = Array.isArray(many) ? many : mode === 'config' ? [many] : null;
    if (list === null)
      throw typeError(at, many, '[]*structs.CheckType', 'ServiceDefinition.Checks');
    list.forEach((item, i) => {
      if (item !== null) checks.push(decodeCheckInput(item, mode, `${at}[${i}]`));
    });
  }
  const weights = fields.get('Weights');
  return {
    kind: str(fields, 'Kind', mode, path),
    id: str(fields, 'ID', mode, path),
    name: str(fields, 'Name', mode, path),
    tags: strings(fields, 'Tags', mode, path),
    address: str(fields, 'Address', mode, path),
    taggedAddresses: taggedAddresses(fields, mode, path),
    meta: stringMap(fields, 'Meta', mode, path),
    port: int(fields, 'Port', mode, path),
    socketPath: str(fields, 'SocketPath', mode, path),
    weights:
      weights === undefined || weights === null ? null : decodeWeights(weights, mode, path, fields),
    enableTagOverride: bool(fields, 'EnableTagOverride', mode, path),
    token: str(fields, 'Token', mode, path),
    checks,
  };
}

/** A check body (`PUT /agent/check/register`), an embedded check, or a config `check` block. */
export function decodeCheckInput(raw: unknown, mode: DecodeMode, path = ''): CheckInput {
  const f = readStruct(raw, CHECK_FIELDS, mode, path, 'structs.CheckDefinition');
  const s = (name: string): string => str(f, name, mode, path);
  const n = (name: string): number => int(f, name, mode, path);
  const d = (name: string): number => duration(f, name, mode, path);
  const b = (name: string): boolean => bool(f, name, mode, path);
  const args = strings(f, 'Args', mode, path);
  const definition: CheckDefinition = { id: s('ID') || s('CheckID'), name: s('Name') };
  const optional: Partial<CheckDefinition> = {
    serviceId: s('ServiceID'),
    notes: s('Notes'),
    http: s('HTTP'),
    method: s('Method'),
    body: s('Body'),
    tlsServerName: s('TLSServerName'),
    tcp: s('TCP'),
    udp: s('UDP'),
    grpc: s('GRPC'),
    aliasNode: s('AliasNode'),
    aliasService: s('AliasService'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== '') (definition as unknown as Record<string, unknown>)[key] = value;
  }
  const header = f.get('Header');
  if (header !== undefined && header !== null) {
    definition.header = decodeHeader(header, mode, join(path, f.keyOf('Header')));
  }
  if (b('TLSSkipVerify')) definition.tlsSkipVerify = true;
  if (b('GRPCUseTLS')) definition.grpcUseTls = true;
  if (args.length > 0) definition.args = args;
  for (const [key, go] of [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['ttl', 'TTL'],
    ['deregisterCriticalServiceAfter', 'DeregisterCriticalServiceAfter'],
  ] as const) {
    const ms = d(go);
    if (ms !== 0) definition[key] = ms;
  }
  for (const [key, go] of [
    ['successBeforePassing', 'SuccessBeforePassing'],
    ['failuresBeforeWarning', 'FailuresBeforeWarning'],
    ['failuresBeforeCritical', 'FailuresBeforeCritical'],
    ['outputMaxSize', 'OutputMaxSize'],
  ] as const) {
    const value = n(go);
    if (value !== 0) definition[key] = value;
  }
  const unsupported =
    s('H2PING') !== ''
      ? 'H2PING'
      : s('DockerContainerID') !== ''
        ? 'Docker'
        : s('OSService') !== ''
          ? 'OSService'
          : null;
  return { definition, status: s('Status'), token: s('Token'), unsupported };
}

/** The body of `PUT /agent/check/update/:id`. */
export function decodeCheckUpdate(raw: unknown): { status: string; output: string } {
  const f = readStruct(raw, UPDATE_FIELDS, 'api', '', 'agent.checkUpdate');
  return { status: str(f, 'Status', 'api', ''), output: str(f, 'Output', 'api', '') };
}

/** Folded form of a key: lower case without underscores (`tls_skip_verify` → `tlsskipverify`). */
function fold(key: string): string {
  return key.toLowerCase().replace(/_/g, '');
}

class StructFields {
  private readonly values = new Map<string, unknown>();
  private readonly keys = new Map<string, string>();

  set(go: string, key: string, value: unknown): void {
    this.values.set(go, value);
    this.keys.set(go, key);
  }

  get(go: string): unknown {
    return this.values.get(go);
  }

  keyOf(go: string): string {
    return this.keys.get(go) ?? go;
  }
}

function readStruct(
  raw: unknown,
  fields: readonly Field[],
  _mode: DecodeMode,
  path: string,
  goType: string,
): StructFields {
  if (!isRecord(raw)) throw typeError(path, raw, goType, goType);
  const byName = new Map<string, Field>();
  for (const field of fields) {
    byName.set(fold(field.go), field);
    for (const other of field.also ?? []) byName.set(other, field);
  }
  const out = new StructFields();
  // snake_case spellings are applied last, so that they win over CamelCase ones (Consul's rule).
  const entries = Object.entries(raw).sort(
    ([a], [b]) => Number(a.includes('_')) - Number(b.includes('_')),
  );
  for (const [key, value] of entries) {
    const field = byName.get(fold(key));
    if (field === undefined) {
      throw new DefinitionDecodeError(join(path, key), 'unknown-field', key, value, '');
    }
    out.set(field.go, key, value);
  }
  return out;
}

function str(f: StructFields, go: string, mode: DecodeMode, path: string): string {
  const value = f.get(go);
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (mode === 'config' && (typeof value === 'number' || typeof value === 'boolean')) {
    return String(value);
  }
  throw typeError(join(path, f.keyOf(go)), value, 'string', go);
}

function bool(f: StructFields, go: string, mode: DecodeMode, path: string): boolean {
  const value = f.get(go);
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (mode === 'config' && typeof value === 'string' && /^(true|false|1|0)$/i.test(value)) {
    return /^(true|1)$/i.test(value);
  }
  throw typeError(join(path, f.keyOf(go)), value, 'bool', go);
}

function int(f: StructFields, go: string, mode: DecodeMode, path: string): number {
  const value = f.get(go);
  if (value === undefined || value === null) return 0;
  const number =
    typeof value === 'number'
      ? value
      : mode === 'config' && typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(number)) throw typeError(join(path, f.keyOf(go)), value, 'int', go);
  return number;
}

/** Go duration strings, or integers as nanoseconds (what Go clients send for time.Duration). */
function duration(f: StructFields, go: string, _mode: DecodeMode, path: string): number {
  const value = f.get(go);
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value / 1e6;
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch (err) {
      throw new DefinitionDecodeError(
        join(path, f.keyOf(go)),
        'type',
        (err as Error).message,
        value,
        go,
      );
    }
  }
  throw typeError(join(path, f.keyOf(go)), value, 'time.Duration', go);
}

function strings(f: StructFields, go: string, mode: DecodeMode, path: string): string[] {
  const value = f.get(go);
  if (value === undefined || value === null) return [];
  const at = join(path, f.keyOf(go));
  const list = Array.isArray(value) ? value : mode === 'config' ? [value] : null;
  if (list === null) throw typeError(at, value, '[]string', go);
  return list.map((item, i) => {
    if (typeof item === 'string') return item;
    if (mode === 'config' && typeof item === 'number') return String(item);
    throw typeError(`${at}[${i}]`, item, 'string', go);
  });
}

function stringMap(
  f: StructFields,
  go: string,
  mode: DecodeMode,
  path: string,
): Record<string, string> {
  const value = f.get(go);
  if (value === undefined || value === null) return {};
  const at = join(path, f.keyOf(go));
  if (!isRecord(value)) throw typeError(at, value, 'map[string]string', go);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') out[key] = item;
    else if (mode === 'config' && (typeof item === 'number' || typeof item === 'boolean'))
      out[key] = String(item);
    else throw typeError(`${at}.${key}`, item, 'string', go);
  }
  return out;
}

function decodeHeader(raw: unknown, mode: DecodeMode, at: string): Record<string, string[]> {
  if (!isRecord(raw)) throw typeError(at, raw, 'map[string][]string', 'Header');
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(raw)) {
    const list = Array.isArray(values) ? values : mode === 'config' ? [values] : null;
    if (list === null) throw typeError(`${at}.${name}`, values, '[]string', 'Header');
    out[name] = list.map((item, i) => {
      if (typeof item !== 'string')
        throw typeError(`${at}.${name}[${i}]`, item, 'string', 'Header');
      return item;
    });
  }
  return out;
}

function taggedAddresses(
  f: StructFields,
  mode: DecodeMode,
  path: string,
): Record<string, TaggedAddress> {
  const value = f.get('TaggedAddresses');
  if (value === undefined || value === null) return {};
  const at = join(path, f.keyOf('TaggedAddresses'));
  if (!isRecord(value)) {
    throw typeError(at, value, 'map[string]structs.ServiceAddress', 'TaggedAddresses');
  }
  const out: Record<string, TaggedAddress> = {};
  for (const [name, raw] of Object.entries(value)) {
    const itemPath = `${at}.${name}`;
    const fields = readStruct(raw, ADDRESS_FIELDS, mode, itemPath, 'structs.ServiceAddress');
    out[name] = {
      address: str(fields, 'Address', mode, itemPath),
      port: int(fields, 'Port', mode, itemPath),
    };
  }
  return out;
}

function decodeWeights(
  raw: unknown,
  mode: DecodeMode,
  path: string,
  parent: StructFields,
): Weights {
  const at = join(path, parent.keyOf('Weights'));
  const fields = readStruct(raw, WEIGHT_FIELDS, mode, at, 'structs.Weights');
  return { passing: int(fields, 'Passing', mode, at), warning: int(fields, 'Warning', mode, at) };
}

function typeError(path: string, value: unknown, goType: string, goField: string) {
  return new DefinitionDecodeError(path, 'type', goType, value, goField);
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
