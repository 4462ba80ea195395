// Regular expressions from users (filters, templates, prepared queries) run with Go's RE2
// semantics, as Consul and consul-template evaluate them: linear time in the input, Go syntax
// (`(?i)`, `(?P<name>…)`, no backreferences or lookaround) and Go's error texts. A backtracking
// JavaScript RegExp must never see user input: `^(a+)+$` would stall the event loop.
import { RE2JS } from 're2js';

/** Longer patterns are refused before compiling; Go's own limits reject far smaller programs. */
export const MAX_PATTERN_LENGTH = 8192;
const CACHE_SIZE = 256;

/** A pattern RE2 refuses; `message` reads as Go's (`error parsing regexp: …`). */
export class RegexpSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegexpSyntaxError';
  }
}

/** The parts of the RE2 program object this module uses (re2js leaves them untyped). */
interface Re2Program {
  findAllSubmatchIndex(input: string, n: number): number[][] | null;
}

export class GoRegexp {
  private readonly program: Re2Program;
  private readonly groupNames: ReadonlyMap<string, number>;

  constructor(
    readonly source: string,
    private readonly compiled: RE2JS,
  ) {
    this.program = compiled.re2() as Re2Program;
    this.groupNames = new Map(Object.entries(compiled.namedGroups() as Record<string, number>));
  }

  /** Go's MatchString: whether the pattern matches anywhere in `input`. */
  test(input: string): boolean {
    return this.compiled.test(input);
  }

  /**
   * Go's ReplaceAllString: every non-overlapping match (empty matches right after a match are
   * skipped, as Go does) replaced by `template` expanded as Go's Expand does.
   */
  replaceAll(input: string, template: string): string {
    const matches = this.program.findAllSubmatchIndex(input, -1) ?? [];
    let out = '';
    let last = 0;
    for (const match of matches) {
      out += input.slice(last, match[0]) + this.expand(template, input, match);
      last = match[1];
    }
    return out + input.slice(last);
  }

  /**
   * Go's Regexp.Expand: `$$` is a dollar; `$name` / `${name}` a group by number or name (the
   * longest run of letters, digits and `_`); an unknown or unmatched group is empty; a `$` that
   * starts no valid reference is kept as text.
   */
  private expand(template: string, input: string, match: number[]): string {
    let out = '';
    let rest = template;
    for (;;) {
      const dollar = rest.indexOf('$');
      if (dollar === -1) return out + rest;
      out += rest.slice(0, dollar);
      rest = rest.slice(dollar + 1);
      if (rest.startsWith('$')) {
        out += '$';
        rest = rest.slice(1);
        continue;
      }
      const reference = extractReference(rest);
      if (reference === null) {
        out += '$';
        continue;
      }
      rest = rest.slice(reference.length);
      const group = reference.number ?? this.groupNames.get(reference.name) ?? -1;
      const start = group >= 0 ? (match[2 * group] ?? -1) : -1;
      if (start >= 0) out += input.slice(start, match[2 * group + 1]);
    }
  }
}

interface GroupReference {
  name: string;
  /** Set when the name is all decimal digits (and small), as Go reads `$1`. */
  number: number | null;
  /** Characters of the template it used after the `$`. */
  length: number;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

function extractReference(text: string): GroupReference | null {
  const brace = text.startsWith('{');
  let i = brace ? 1 : 0;
  while (i < text.length && NAME_CHAR.test(text[i])) i++;
  const name = text.slice(brace ? 1 : 0, i);
  if (name === '') return null;
  if (brace) {
    if (text[i] !== '}') return null;
    i++;
  }
  const number = /^[0-9]{1,8}$/.test(name) ? Number(name) : null;
  return { name, number, length: i };
}

// Compiled patterns by source, least recently used dropped first: filters and templates repeat
// the same few patterns, hostile unique ones cannot grow it.
const cache = new Map<string, GoRegexp>();

/** Compiles `pattern` with Go's syntax; throws RegexpSyntaxError with Go's message. */
export function compileGoRegexp(pattern: string): GoRegexp {
  const cached = cache.get(pattern);
  if (cached !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, cached);
    return cached;
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new RegexpSyntaxError(
      pattern,
      `error parsing regexp: expression too large: ${pattern.length} characters (at most ${MAX_PATTERN_LENGTH})`,
    );
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new RegexpSyntaxError(pattern, (error as Error).message);
  }
  const regexp = new GoRegexp(pattern, compiled);
  cache.set(pattern, regexp);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return regexp;
}
