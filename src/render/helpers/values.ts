// Pure helpers: parsing and formatting, lists, comparisons and logic. Argument order follows
// consul-template's pipelines (the data last): `split "," (key "hosts")`, `join "," list`.
import { load as loadYaml } from 'js-yaml';

import { compileGoRegexp, GoRegexpError, type GoRegexp } from '../../regexp';
import type { RenderContext } from '../context';
import { describe, stringArg, type HelperBody, type HelperCall } from './call';

function listArg(call: HelperCall, position: number): unknown[] {
  const value = call.args[position];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new Error(`argument ${position + 1} must be a list, got ${describe(value)}`);
  return value;
}

/** Block form renders the body or the {{else}} part; inline form returns the boolean. */
function truth(call: HelperCall, value: boolean): unknown {
  if (call.block === null) return value;
  return value ? call.block.fn(call.block.scope) : call.block.inverse(call.block.scope);
}

// A render compiles each pattern once, however often a loop calls the helper with it.
const compiledByRender = new WeakMap<RenderContext, Map<string, GoRegexp>>();

function regexpArg(call: HelperCall, position: number): GoRegexp {
  const pattern = stringArg(call, position);
  let compiled = compiledByRender.get(call.context);
  if (compiled === undefined) {
    compiled = new Map();
    compiledByRender.set(call.context, compiled);
  }
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    try {
      regexp = compileGoRegexp(pattern);
    } catch (error) {
      if (error instanceof GoRegexpError) {
        throw new Error(`invalid regular expression "${pattern}": ${error.reason}`);
      }
      throw error;
    }
    compiled.set(pattern, regexp);
  }
  return regexp;
}

function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`cannot compare ${describe(a)} with ${describe(b)}`);
}

function fieldOf(item: unknown, path: string): unknown {
  let value = item;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `timestamp` as consul-template: RFC 3339 in UTC; "unix" for seconds; or a Go layout. */
export function formatTimestamp(date: Date, layout: string | undefined): string {
  if (layout === 'unix') return String(Math.floor(date.getTime() / 1000));
  if (layout === undefined || layout === '' || layout === 'rfc3339') {
    return `${date.toISOString().slice(0, 19)}Z`;
  }
  const tokens: Array<[string, string]> = [
    ['2006', String(date.getUTCFullYear())],
    ['.000', `.${pad(date.getUTCMilliseconds(), 3)}`],
    ['01', pad(date.getUTCMonth() + 1)],
    ['02', pad(date.getUTCDate())],
    ['15', pad(date.getUTCHours())],
    ['04', pad(date.getUTCMinutes())],
    ['05', pad(date.getUTCSeconds())],
    ['Z07:00', 'Z'],
    ['MST', 'UTC'],
  ];
  let out = '';
  for (let i = 0; i < layout.length;) {
    const token = tokens.find(([t]) => layout.startsWith(t, i));
    if (token === undefined) {
      out += layout[i];
      i += 1;
    } else {
      out += token[1];
      i += token[0].length;
    }
  }
  return out;
}

export const VALUE_HELPERS: Record<string, HelperBody> = {
  parseJSON: (call) => JSON.parse(stringArg(call, 0)) as unknown,
  toJSON: (call) => JSON.stringify(call.args[0] ?? null),
  toJSONPretty: (call) => JSON.stringify(call.args[0] ?? null, null, 2),
  parseYAML: (call) => loadYaml(stringArg(call, 0)) ?? null,
  parseCSV: (call) => {
    const [header, ...rows] = parseCsvRows(stringArg(call, 0));
    if (header === undefined) return [];
    return rows.map((row, n) => {
      if (row.length !== header.length) {
        throw new Error(`CSV row ${n + 2} has ${row.length} fields, the header ${header.length}`);
      }
      return Object.fromEntries(header.map((name, i) => [name, row[i]]));
    });
  },
  split: (call) => {
    const text = stringArg(call, 1);
    return text === '' ? [] : text.split(stringArg(call, 0));
  },
  join: (call) => listArg(call, 1).map(String).join(stringArg(call, 0)),
  contains: (call) => {
    const [needle, haystack] = call.args;
    const found =
      typeof haystack === 'string'
        ? typeof needle === 'string' && haystack.includes(needle)
        : Array.isArray(haystack) && haystack.includes(needle);
    return truth(call, found);
  },
  sortBy: (call) => {
    const field = stringArg(call, 0);
    return [...listArg(call, 1)].sort((a, b) => compare(fieldOf(a, field), fieldOf(b, field)));
  },
  eq: (call) => truth(call, call.args[0] === call.args[1]),
  ne: (call) => truth(call, call.args[0] !== call.args[1]),
  lt: (call) => truth(call, compare(call.args[0], call.args[1]) < 0),
  gt: (call) => truth(call, compare(call.args[0], call.args[1]) > 0),
  and: (call) => truth(call, call.args.length > 0 && call.args.every(isTruthy)),
  or: (call) => truth(call, call.args.some(isTruthy)),
  not: (call) => truth(call, !isTruthy(call.args[0])),
  default: (call) => {
    const [fallback, value] = call.args;
    return value === undefined || value === null || value === '' ? fallback : value;
  },
  timestamp: (call) =>
    formatTimestamp(new Date(), typeof call.args[0] === 'string' ? call.args[0] : undefined),
  base64Encode: (call) => Buffer.from(stringArg(call, 0), 'utf8').toString('base64'),
  base64Decode: (call) => {
    const text = stringArg(call, 0);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new Error(`invalid base64 "${text.slice(0, 40)}"`);
    }
    return Buffer.from(text, 'base64').toString('utf8');
  },
  // consul-template's regexMatch / regexReplaceAll: Go's regexp (RE2), `$1` / `${name}` expansion.
  regexMatch: (call) => truth(call, regexpArg(call, 0).test(stringArg(call, 1))),
  regexReplaceAll: (call) => regexpArg(call, 0).replaceAll(stringArg(call, 2), stringArg(call, 1)),
  toLower: (call) => stringArg(call, 0).toLowerCase(),
  toUpper: (call) => stringArg(call, 0).toUpperCase(),
  trimSpace: (call) => stringArg(call, 0).trim(),
};
