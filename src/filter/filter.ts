// compileFilter: the `?filter=` expression of Consul's listing endpoints, compiled once and
// run per result item. Errors read as Consul's: compile errors carry the prefix
// "Failed to create boolean expression evaluator: " (go-bexpr's CreateFilter), evaluation
// errors (a value that cannot be coerced, an operator the field's type lacks) do not.
import { compileGoRegexp, GoRegexpError, MAX_PROGRAM_SIZE, type GoRegexp } from '../regexp';
import { goQuote } from '../state';
import { FilterError, selectorText, type Expression } from './ast';
import { evaluate } from './evaluate';
import { parseExpression } from './parse';

const PREFIX = 'Failed to create boolean expression evaluator: ';

export interface FilterOptions {
  /**
   * The selectors an endpoint's items offer, as dotted paths from the item ("Node",
   * "Meta.*", "Checks.Status"); `*` stands for any one map key. When given, a selector that is
   * not (a prefix of) one of them is refused at compile time with Consul's
   * `Selector "X" is not valid`, X being its first unknown part. Without it, any selector is
   * accepted and a missing field reads as an absent map key.
   */
  selectors?: readonly string[];
}

export interface Filter {
  readonly expression: string;
  /** Whether `item` passes; throws FilterError when the expression cannot apply to it. */
  matches(item: unknown): boolean;
  /** The items that pass, in order. */
  apply<T>(items: readonly T[]): T[];
}

/** Compiles `expression` ("" or blanks: a filter that passes everything). */
export function compileFilter(expression: string, options: FilterOptions = {}): Filter {
  let ast: Expression | null = null;
  if (expression.trim() !== '') {
    try {
      ast = parseExpression(expression);
      prepare(ast, options.selectors?.map((path) => path.split('.')) ?? null, { programSize: 0 });
    } catch (error) {
      if (error instanceof FilterError) {
        throw new FilterError(PREFIX + error.message, error.refused);
      }
      throw error;
    }
  }
  const matches = (item: unknown): boolean => ast === null || evaluate(ast, item);
  return {
    expression,
    matches,
    apply: <T>(items: readonly T[]): T[] => items.filter((item) => matches(item)),
  };
}

// Checks selectors against the schema and compiles regular expressions, once. Matching costs up
// to (program size × value length) per value, so the filter's patterns share one program budget.
function prepare(
  ast: Expression,
  schema: string[][] | null,
  budget: { programSize: number },
): void {
  switch (ast.kind) {
    case 'and':
    case 'or':
      for (const operand of ast.operands) prepare(operand, schema, budget);
      return;
    case 'not':
      prepare(ast.operand, schema, budget);
      return;
    case 'match':
      if (schema !== null) checkSelector(ast.selector, schema);
      if (ast.operator === 'Matches' || ast.operator === 'Not Matches') {
        ast.pattern = compileRegexp(ast.value as string);
        budget.programSize += ast.pattern.programSize;
        if (budget.programSize > MAX_PROGRAM_SIZE) {
          throw new FilterError(
            `Failed to compile regular expression ${goQuote(ast.pattern.source)}: the filter's ` +
              `regular expressions compile to ${budget.programSize} instructions together, ` +
              `over the limit of ${MAX_PROGRAM_SIZE}`,
            true,
          );
        }
      }
  }
}

function checkSelector(selector: string[], schema: string[][]): void {
  for (let length = 1; length <= selector.length; length++) {
    const known = schema.some(
      (path) =>
        path.length >= length &&
        selector.slice(0, length).every((part, i) => path[i] === '*' || path[i] === part),
    );
    if (!known) {
      throw new FilterError(`Selector "${selectorText(selector.slice(0, length))}" is not valid`);
    }
  }
}

// go-bexpr's message around Go's regexp error, e.g. `Failed to compile regular expression "(?=x)":
// error parsing regexp: invalid or unsupported Perl syntax: `(?=``.
function compileRegexp(source: string): GoRegexp {
  try {
    return compileGoRegexp(source);
  } catch (error) {
    if (!(error instanceof GoRegexpError)) throw error;
    throw new FilterError(
      `Failed to compile regular expression ${goQuote(source)}: ${error.reason}`,
      true,
    );
  }
}
