// The parsed form of a filter expression (go-bexpr's grammar) and the error every stage throws.
import type { GoRegexp } from '../regexp';

/** go-bexpr's operator names, as its error messages print them. */
export type MatchOperator =
  'Equal' | 'Not Equal' | 'In' | 'Not In' | 'Is Empty' | 'Is Not Empty' | 'Matches' | 'Not Matches';

export interface MatchExpression {
  kind: 'match';
  /** Field names from the item down (`Service.Meta.version` → ["Service","Meta","version"]). */
  selector: string[];
  operator: MatchOperator;
  /** The value as written, unquoted; null for `is empty` / `is not empty`. */
  value: string | null;
  /** Compiled once for `matches` / `not matches` (RE2, as Go's regexp). */
  pattern: GoRegexp | null;
}

/**
 * `a or b or c` is one node with three operands (go-bexpr nests them to the right; the meaning
 * is the same), so that a long flat chain adds no depth for the parser or the evaluator to
 * recurse through: only parentheses nest, and the parser bounds how deep.
 */
export type Expression =
  | MatchExpression
  | { kind: 'not'; operand: Expression }
  | { kind: 'and' | 'or'; operands: Expression[] };

/** A filter that failed to compile or to evaluate; `message` reads like Consul's. */
export class FilterError extends Error {
  constructor(
    message: string,
    /**
     * The expression asks for what is refused outright rather than failing as go-bexpr fails: a
     * regular expression RE2 rejects, or nesting or a pattern past our limits. HTTP answers
     * these 400; the other errors keep Consul's 500.
     */
    readonly refused = false,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/** How a selector is printed in messages: its fields joined with dots. */
export function selectorText(selector: readonly string[]): string {
  return selector.join('.');
}
