// Regular expressions supplied by users (`?filter … matches`, the renderer's regexMatch and
// regexReplaceAll) with Go's regexp semantics, as Consul and consul-template evaluate them:
// RE2 syntax (`(?i)`, `\d`, `(?P<name>…)`, no backreferences or lookaround) and matching in time
// linear in the text, on re2js (a port of RE2/J). A backtracking RegExp is never used on user
// input: `^(a+)+$` against 29 characters took 20 s with one.
import { RE2JS, RE2JSException } from 're2js';

import { expandTemplate } from './expand';

/**
 * The longest pattern compiled, in characters. Real patterns are tens of characters; compiling
 * grows faster than linearly with nesting (1,000 nested groups: ~0.1 s), so cap what one costs.
 */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * The largest compiled program, in RE2 instructions. Matching is linear in the text but costs up
 * to (program size × text length) steps when RE2's DFA gives up, ~50–100 ns each in re2js, so
 * this caps the worst match of a 4 KiB check output at a few tenths of a second. Real patterns
 * compile to tens of instructions; `x{1000}`, Go's largest repeat count, still fits.
 */
export const MAX_PROGRAM_SIZE = 1024;

/** A pattern that Go's regexp (or one of our limits) refuses; `reason` reads like Go's error. */
export class GoRegexpError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'GoRegexpError';
  }
}

export interface GoRegexp {
  readonly source: string;
  /** Compiled size in instructions: what one character of text costs at worst. */
  readonly programSize: number;
  /** Go's MatchString: whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** Go's ReplaceAllString: every match replaced by `template` with `$1` / `${name}` expanded. */
  replaceAll(text: string, template: string): string;
  /**
   * Go's FindStringSubmatch: the leftmost match and then each group ("" when a group took no
   * part), or null when the pattern does not match.
   */
  findSubmatch(text: string): string[] | null;
}

/** Compiles `pattern` as Go's regexp.Compile does; throws GoRegexpError when it cannot. */
export function compileGoRegexp(pattern: string): GoRegexp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new GoRegexpError(
      pattern,
      `pattern of ${pattern.length} characters exceeds the limit of ${MAX_PATTERN_LENGTH}`,
    );
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    // re2js words its syntax errors as Go does: "error parsing regexp: <code>: `<expr>`".
    if (error instanceof RE2JSException) throw new GoRegexpError(pattern, error.message);
    throw error;
  }
  const programSize = compiled.programSize();
  if (programSize > MAX_PROGRAM_SIZE) {
    throw new GoRegexpError(
      pattern,
      `compiled program of ${programSize} instructions exceeds the limit of ${MAX_PROGRAM_SIZE}`,
    );
  }
  const groupNames = new Map(Object.entries(compiled.namedGroups()));
  return {
    source: pattern,
    programSize,
    test: (text) => compiled.test(text),
    replaceAll: (text, template) => {
      // Go's successive non-overlapping matches (an empty match right after a match is skipped),
      // as [start, end] pairs in UTF-16 units: the whole match, then each group (-1: unset).
      const matches = compiled.re2().findAllSubmatchIndex(text, -1) as number[][] | null;
      if (matches === null) return text;
      let out = '';
      let last = 0;
      for (const match of matches) {
        out += text.slice(last, match[0]);
        out += expandTemplate(template, text, match, groupNames);
        last = match[1];
      }
      return out + text.slice(last);
    },
    findSubmatch: (text) => {
      const match = compiled.re2().findAllSubmatchIndex(text, 1) as number[][] | null;
      if (match === null || match.length === 0) return null;
      const bounds = match[0];
      const groups: string[] = [];
      for (let i = 0; i < bounds.length; i += 2) {
        groups.push(bounds[i] < 0 ? '' : text.slice(bounds[i], bounds[i + 1]));
      }
      return groups;
    },
  };
}
