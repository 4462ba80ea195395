// Go `flag` package semantics, which Consul's CLI inherits: `-f v`, `-f=v`, `--f`, bool `-f` or
// `-f=false`, repeatable list flags; parsing stops at the first non-flag argument or at `--`.
import { parseDuration } from './duration';

export type FlagKind = 'string' | 'bool' | 'int' | 'uint64' | 'duration' | 'list';
export type FlagValue = string | boolean | number | bigint | string[];

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  usage: string;
  /** Shown in usage after the name, e.g. `-data-dir <path>`. */
  placeholder?: string;
}

export interface ParsedFlags {
  /** Only the flags that were given; list flags accumulate every occurrence. */
  values: Map<string, FlagValue>;
  /** Positional arguments after the flags. */
  args: string[];
  /** Names of the flags in the order they appeared (repeats included). */
  order: string[];
  /** True when -h, -help or --help was given. */
  help: boolean;
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, FlagValue>();
  const order: string[] = [];
  let help = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || arg[0] !== '-') break;
    i += 1;
    if (arg === '--') break;
    const body = arg[1] === '-' ? arg.slice(2) : arg.slice(1);
    if (body === '' || body[0] === '-' || body[0] === '=') {
      throw new FlagError(`bad flag syntax: ${arg}`);
    }
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      if (name === 'h' || name === 'help') {
        help = true;
        continue;
      }
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    let raw: string;
    if (eq !== -1) {
      raw = body.slice(eq + 1);
    } else if (spec.kind === 'bool') {
      raw = 'true';
    } else {
      if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      raw = argv[i];
      i += 1;
    }
    const value = convertFlagValue(spec, raw);
    order.push(name);
    if (spec.kind === 'list') {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(raw);
      values.set(name, list);
    } else {
      values.set(name, value);
    }
  }
  return { values, args: argv.slice(i), order, help };
}

function convertFlagValue(spec: FlagSpec, raw: string): FlagValue {
  const invalid = (): FlagError =>
    new FlagError(`invalid value "${raw}" for flag -${spec.name}: parse error`);
  switch (spec.kind) {
    case 'string':
    case 'list':
      return raw;
    case 'bool': {
      const parsed = parseGoBool(raw);
      if (parsed === null) throw invalid();
      return parsed;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw invalid();
      return Number(raw);
    }
    case 'uint64': {
      if (!/^\d+$/.test(raw) || BigInt(raw) > 0xffff_ffff_ffff_ffffn) throw invalid();
      return BigInt(raw);
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch {
        throw invalid();
      }
  }
}

/** strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
export function parseGoBool(raw: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return null;
}

/** Go-style usage listing: one `-name <placeholder>` line and one indented description each. */
export function formatFlagUsage(specs: readonly FlagSpec[]): string {
  return [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((spec) => {
      const placeholder =
        spec.kind === 'bool' ? '' : ` <${spec.placeholder ?? placeholderFor(spec.kind)}>`;
      return `  -${spec.name}${placeholder}\n     ${spec.usage}`;
    })
    .join('\n\n');
}

function placeholderFor(kind: FlagKind): string {
  if (kind === 'int' || kind === 'uint64') return 'int';
  if (kind === 'duration') return 'duration';
  return 'value';
}
