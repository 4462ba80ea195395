// Prepared-query templates (Consul's agent/consul/prepared_query): every string under `Service`
// is an interpolation (HIL syntax, the subset templates use: `${name.full}`, `${name.prefix}`,
// `${name.suffix}`, `${agent.segment}`, `${match(N)}`, and `$${` for a literal `${`), rendered
// for the name a lookup used. `Regexp` runs on that name with RE2 semantics (src/regexp).
import { compileGoRegexp, GoRegexpError, type GoRegexp } from '../regexp';
import {
  TEMPLATE_NAME_PREFIX_MATCH,
  type PreparedQuery,
  type PreparedQueryWrite,
  type ServiceQuery,
} from './prepared-query-types';

/** A template that does not compile or render; the message is Consul's text. */
export class QueryTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryTemplateError';
  }
}

type Part = { text: string } | { variable: string } | { match: number };

/** One parsed string field: where it sits (Go's path, e.g. `.Tags[0]`) and its parts. */
interface Field {
  path: string;
  parts: Part[];
}

export interface CompiledTemplate<Q extends PreparedQueryWrite = PreparedQueryWrite> {
  /** The query as it runs for `name` (the full looked-up name) from an agent in `segment`. */
  render(name: string, segment: string): Q;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MATCH_CALL = /^match\(\s*(-?[0-9]+)\s*\)$/;

/**
 * Compiles a template query as Consul's prepared_query.Compile: a known type, every field
 * parsed, the regexp compiled, and a trial render for the template's own name.
 */
export function compileTemplate<Q extends PreparedQueryWrite>(query: Q): CompiledTemplate<Q> {
  if (query.template.type !== TEMPLATE_NAME_PREFIX_MATCH) {
    throw new QueryTemplateError(`Bad Template.Type '${query.template.type}'`);
  }
  const fields: Field[] = [];
  walkService(structuredClone(query.service), (path, value) => {
    try {
      fields.push({ path, parts: parseInterpolation(value) });
    } catch (error) {
      throw new QueryTemplateError(
        `Bad format '${value}' in Service${path}: ${(error as Error).message}`,
      );
    }
    return value;
  });
  let re: GoRegexp | null = null;
  if (query.template.regexp !== '') {
    try {
      re = compileGoRegexp(query.template.regexp);
    } catch (error) {
      if (error instanceof GoRegexpError)
        throw new QueryTemplateError(`Bad Regexp: ${error.reason}`);
      throw error;
    }
  }
  const byPath = new Map(fields.map((field) => [field.path, field.parts]));
  const compiled: CompiledTemplate<Q> = {
    render(name, segment) {
      const matches = re === null ? null : re.findSubmatch(name);
      const variables: Record<string, string> = {
        'name.full': name,
        'name.prefix': query.name,
        'name.suffix': name.startsWith(query.name) ? name.slice(query.name.length) : name,
        'agent.segment': segment,
      };
      const service = walkService(structuredClone(query.service), (path, value) => {
        const parts = byPath.get(path);
        if (parts === undefined) return value;
        return evaluate(parts, variables, matches, value, path);
      });
      if (query.template.removeEmptyTags) service.tags = service.tags.filter((tag) => tag !== '');
      return { ...structuredClone(query), service };
    },
  };
  compiled.render(query.name, '');
  return compiled;
}

const compiledRows = new WeakMap<PreparedQuery, CompiledTemplate<PreparedQuery>>();

/** The compiled template of a stored row (rows never change in place, so it is kept). */
export function compiledTemplateOf(row: PreparedQuery): CompiledTemplate<PreparedQuery> {
  let compiled = compiledRows.get(row);
  if (compiled === undefined) {
    compiled = compileTemplate(row);
    compiledRows.set(row, compiled);
  }
  return compiled;
}

/**
 * Calls `visit` for every string field of `service` (map values included, keys not), in Go's
 * field order, and stores what it returns; returns `service`.
 */
function walkService(
  service: ServiceQuery,
  visit: (path: string, value: string) => string,
): ServiceQuery {
  service.service = visit('.Service', service.service);
  const { failover } = service;
  failover.datacenters = failover.datacenters.map((dc, i) =>
    visit(`.Failover.Datacenters[${i}]`, dc),
  );
  failover.targets = failover.targets.map((target, i) => ({
    peer: visit(`.Failover.Targets[${i}].Peer`, target.peer),
    datacenter: visit(`.Failover.Targets[${i}].Datacenter`, target.datacenter),
  }));
  service.ignoreCheckIDs = service.ignoreCheckIDs.map((id, i) =>
    visit(`.IgnoreCheckIDs[${i}]`, id),
  );
  service.near = visit('.Near', service.near);
  service.tags = service.tags.map((tag, i) => visit(`.Tags[${i}]`, tag));
  service.nodeMeta = mapValues(service.nodeMeta, (key, value) => visit(`.NodeMeta[${key}]`, value));
  service.serviceMeta = mapValues(service.serviceMeta, (key, value) =>
    visit(`.ServiceMeta[${key}]`, value),
  );
  service.peer = visit('.Peer', service.peer);
  return service;
}

function mapValues(
  map: Record<string, string>,
  visit: (key: string, value: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) {
    Object.defineProperty(out, key, {
      value: visit(key, map[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Splits a string into literal text and `${…}` expressions. */
function parseInterpolation(text: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const end = text.indexOf('}', i + 2);
    if (end === -1) throw new Error(`unterminated interpolation at offset ${i}`);
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push(parseExpression(text.slice(i + 2, end).trim()));
    i = end + 1;
  }
  if (literal !== '') parts.push({ text: literal });
  return parts;
}

function parseExpression(expression: string): Part {
  const call = MATCH_CALL.exec(expression);
  if (call !== null) return { match: Number(call[1]) };
  if (VARIABLE.test(expression)) return { variable: expression };
  throw new Error(`unsupported expression '${expression}'`);
}

function evaluate(
  parts: Part[],
  variables: Record<string, string>,
  matches: string[] | null,
  source: string,
  path: string,
): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
    } else if ('match' in part) {
      // Out of range or no match: "" (Consul's safe match function).
      out += matches?.[part.match] ?? '';
    } else {
      const value = Object.prototype.hasOwnProperty.call(variables, part.variable)
        ? variables[part.variable]
        : undefined;
      if (value === undefined) {
        throw new QueryTemplateError(
          `Bad evaluation for '${source}' in Service${path}: unknown variable accessed: ${part.variable}`,
        );
      }
      out += value;
    }
  }
  return out;
}
