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
  /** Compiled once for `matches` / `not matches`. */
  pattern: GoRegexp | null;
}

export type Expression =
  | MatchExpression
  | { kind: 'not'; operand: Expression }
  | { kind: 'and' | 'or'; left: Expression; right: Expression };

/** A filter that failed to compile or to evaluate; `message` reads like Consul's. */
export class FilterError extends Error {
  constructor(
    message: string,
    /**
     * Set for expressions refused as hostile (a pattern RE2 rejects, nesting past the limit):
     * the HTTP layer answers those 400, while other filter errors stay 500 as in Consul.
     */
    readonly hostile = false,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/** How a selector is printed in messages: its fields joined with dots. */
export function selectorText(selector: readonly string[]): string {
  return selector.join('.');
}
