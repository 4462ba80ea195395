// Evaluating a parsed expression against one item (a JSON-shaped value: the response element
// the HTTP layer built), with go-bexpr's semantics as Consul runs it (v0.1.2, reflection):
// - a selector walks object fields; an array met on the way is searched: the match holds when
//   it holds for ANY element (`Checks.Status == passing`: some check is passing; `!=`: some
//   check is not passing; `not Checks.Status == passing`: no check is passing);
// - a field missing from an object (a map key that is not there, or null) settles the match
//   without error: ==, in, is not empty, matches → false; !=, not in, is empty, not matches → true;
// - the value is coerced to the type of the field it meets: numbers parse (Go's ParseInt base
//   prefixes or a float), booleans take Go's ParseBool spellings, anything else stays a string;
// - `in`/`contains`: a substring of a string, an element of an array, a key of an object.
import type { GoRegexp } from '../regexp';
import { FilterError, selectorText, type Expression, type MatchExpression } from './ast';

// Recursion follows the expression's parentheses only (and/or chains are flat), which the parser
// bounds; selectors recurse no deeper than the item's own fields.
export function evaluate(expression: Expression, item: unknown): boolean {
  switch (expression.kind) {
    case 'and':
      return expression.operands.every((operand) => evaluate(operand, item));
    case 'or':
      return expression.operands.some((operand) => evaluate(operand, item));
    case 'not':
      return !evaluate(expression.operand, item);
    case 'match':
      return matchAt(expression, item, 0);
  }
}

function matchAt(match: MatchExpression, value: unknown, depth: number): boolean {
  if (depth === match.selector.length) return matchValue(match, value);
  if (Array.isArray(value)) return value.some((element) => matchAt(match, element, depth));
  if (value === null || value === undefined) return notPresent(match);
  if (typeof value !== 'object') {
    throw new FilterError(
      `Value at selector "${selectorText(match.selector.slice(0, depth))}" with type ${typeName(value)} does not support nested field selection`,
    );
  }
  const field = match.selector[depth];
  if (!Object.prototype.hasOwnProperty.call(value, field)) return notPresent(match);
  return matchAt(match, (value as Record<string, unknown>)[field], depth + 1);
}

// What go-bexpr answers when the selected map key does not exist.
function notPresent(match: MatchExpression): boolean {
  switch (match.operator) {
    case 'Equal':
    case 'In':
    case 'Is Not Empty':
    case 'Matches':
      return false;
    default:
      return true;
  }
}

function matchValue(match: MatchExpression, value: unknown): boolean {
  if (value === null || value === undefined) return notPresent(match);
  switch (match.operator) {
    case 'Equal':
      return equals(match, value);
    case 'Not Equal':
      return !equals(match, value);
    case 'In':
      return contains(match, value);
    case 'Not In':
      return !contains(match, value);
    case 'Is Empty':
      return isEmpty(match, value);
    case 'Is Not Empty':
      return !isEmpty(match, value);
    case 'Matches':
      return matches(match, value);
    case 'Not Matches':
      return !matches(match, value);
  }
}

function equals(match: MatchExpression, value: unknown): boolean {
  if (typeof value === 'object') throw invalidOperator(match);
  return sameAs(match, value, match.value as string);
}

/** `value` equal to `raw` read as a value of value's type; throws when `raw` cannot be. */
function sameAs(match: MatchExpression, value: unknown, raw: string): boolean {
  if (typeof value === 'string') return value === raw;
  if (typeof value === 'number') return value === coerceNumber(match, raw);
  if (typeof value === 'boolean') return value === coerceBool(match, raw);
  if (typeof value === 'bigint') return Number(value) === coerceNumber(match, raw);
  throw invalidOperator(match);
}

function contains(match: MatchExpression, value: unknown): boolean {
  const raw = match.value as string;
  if (typeof value === 'string') return value.includes(raw);
  if (Array.isArray(value)) {
    return value.some((element) => {
      if (element === null || typeof element === 'object') return false;
      // Elements of another type than the value can be read as do not match (as go-bexpr does
      // for mixed slices), rather than failing the whole filter.
      try {
        return sameAs(match, element, raw);
      } catch (error) {
        if (error instanceof FilterError) return false;
        throw error;
      }
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.prototype.hasOwnProperty.call(value, raw);
  }
  throw new FilterError(
    `Cannot perform in/contains operations on type ${typeName(value)} for selector: "${selectorText(match.selector)}"`,
  );
}

function isEmpty(match: MatchExpression, value: unknown): boolean {
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0;
  throw invalidOperator(match);
}

function matches(match: MatchExpression, value: unknown): boolean {
  if (typeof value !== 'string') throw invalidOperator(match);
  return (match.pattern as GoRegexp).test(value);
}

// strconv.ParseInt(s, 0, 64) forms, else strconv.ParseFloat.
const GO_INTEGER = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const GO_FLOAT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function coerceNumber(match: MatchExpression, raw: string): number {
  if (GO_INTEGER.test(raw)) {
    const negative = raw.startsWith('-');
    const digits = raw.replace(/^[+-]/, '');
    const octal = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits;
    const magnitude = Number(octal);
    return negative ? -magnitude : magnitude;
  }
  if (GO_FLOAT.test(raw)) return Number(raw);
  throw coercionError(match, raw, 'a number');
}

function coerceBool(match: MatchExpression, raw: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  throw coercionError(match, raw, 'a boolean');
}

function coercionError(match: MatchExpression, raw: string, want: string): FilterError {
  return new FilterError(
    `Failed to coerce value "${raw}" for selector "${selectorText(match.selector)}": not ${want}`,
  );
}

function invalidOperator(match: MatchExpression): FilterError {
  return new FilterError(
    `Invalid match operator "${match.operator}" for selector "${selectorText(match.selector)}"`,
  );
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'slice';
  if (typeof value === 'object') return 'map';
  return typeof value === 'number' ? 'number' : typeof value;
}
