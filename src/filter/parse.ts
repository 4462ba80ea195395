// A recursive-descent parser for go-bexpr's PEG grammar (grammar/grammar.peg), kept to its
// whitespace rules: `==`/`!=` need no spaces around them, the word operators (`and`, `or`,
// `not`, `in`, `contains`, `matches`, `is empty`) do. Precedence, loosest first: or, and, not,
// then a parenthesised expression or a single match. Errors carry go-bexpr's
// `line:col (offset): message` position prefix.
//
// Chains (`a or b or c`, `not not x`) are read in loops; only parentheses recurse, and no deeper
// than MAX_NESTING_DEPTH.
import {
  FilterError,
  selectorText,
  type Expression,
  type MatchExpression,
  type MatchOperator,
} from './ast';

const IDENTIFIER_START = /[a-zA-Z]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_/]/;
const WHITESPACE = /[ \t\r\n]/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?/;

/**
 * How deep parentheses may nest. go-bexpr sets no limit (its parser recurses on Go's growable
 * stacks), but ours and the evaluator recurse on the JavaScript stack, which ~4,000 levels
 * overflowed. Hand-written and generated filters nest a few levels (flat and/or chains add
 * none), so 256 refuses nothing real while keeping the recursion a small fraction of the stack.
 */
export const MAX_NESTING_DEPTH = 256;

/** `contains` is go-bexpr's `in` with selector and value the other way round. */
type ParsedOperator = MatchOperator | 'Contains' | 'Not Contains';

/** Parses a whole expression; throws FilterError (without Consul's prefix) on bad syntax. */
export function parseExpression(input: string): Expression {
  return new Parser(input).parseInput();
}

class Parser {
  private pos = 0;
  /** Parentheses open around the cursor. */
  private depth = 0;

  constructor(private readonly input: string) {}

  parseInput(): Expression {
    this.skipWhitespace();
    const expression = this.parseOr();
    this.skipWhitespace();
    if (this.pos < this.input.length) this.fail(`unexpected ${describeAt(this.input, this.pos)}`);
    return expression;
  }

  private parseOr(): Expression {
    const operands = [this.parseAnd()];
    while (this.tryWordBetween('or')) operands.push(this.parseAnd());
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  }

  private parseAnd(): Expression {
    const operands = [this.parseNot()];
    while (this.tryWordBetween('and')) operands.push(this.parseNot());
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  }

  private parseNot(): Expression {
    let negations = 0;
    while (this.tryWordThenSpace('not')) negations++;
    const operand = this.parseGroup();
    if (negations % 2 === 0) return operand;
    // `not not x` is x, as go-bexpr folds it, also when the inner `not` is in parentheses.
    return operand.kind === 'not' ? operand.operand : { kind: 'not', operand };
  }

  private parseGroup(): Expression {
    if (this.input[this.pos] !== '(') return this.parseMatch();
    if (this.depth === MAX_NESTING_DEPTH) {
      this.fail(`parentheses nest deeper than ${MAX_NESTING_DEPTH} levels`, true);
    }
    this.depth++;
    this.pos++;
    this.skipWhitespace();
    const expression = this.parseOr();
    this.skipWhitespace();
    if (this.input[this.pos] !== ')') this.fail('Unmatched parentheses');
    this.pos++;
    this.depth--;
    return expression;
  }

  private parseMatch(): Expression {
    const char = this.input[this.pos] ?? '';
    if (IDENTIFIER_START.test(char)) {
      const selector = this.parseSelector();
      const operator = this.parseOperator();
      if (operator === 'In' || operator === 'Not In') {
        // `value in Selector`: what looked like a selector was the (bare word) value.
        return match(this.parseSelectorAfterIn(), operator, selectorText(selector));
      }
      if (operator === 'Is Empty' || operator === 'Is Not Empty') {
        return match(selector, operator, null);
      }
      return match(selector, operator, this.parseValue());
    }
    if (char === '"' || char === '`' || char === '-' || /[0-9]/.test(char)) {
      const value = this.parseValue();
      const operator = this.parseOperator();
      if (operator !== 'In' && operator !== 'Not In') {
        this.fail(`no match found, expected: "in" or "not in" after a value`);
      }
      return match(this.parseSelectorAfterIn(), operator, value);
    }
    return this.fail(`no match found, expected: "(", "not", a selector or a value`);
  }

  /** The operator after a selector; `contains` is `in` with the operands swapped. */
  private parseOperator(): ParsedOperator {
    const start = this.pos;
    this.skipWhitespace();
    for (const [symbol, operator] of [
      ['==', 'Equal'],
      ['!=', 'Not Equal'],
    ] as const) {
      if (this.input.startsWith(symbol, this.pos)) {
        this.pos += symbol.length;
        this.skipWhitespace();
        return operator;
      }
    }
    this.pos = start;
    if (!this.skipWhitespace()) return this.failExpectingOperator();
    const negated = this.tryWordThenSpace('not');
    if (!negated && this.tryWordThenSpace('is')) {
      const notEmpty = this.tryWordThenSpace('not');
      if (this.tryWord('empty')) return notEmpty ? 'Is Not Empty' : 'Is Empty';
      return this.failExpectingOperator();
    }
    for (const [word, operator, negation] of [
      ['contains', 'Contains', 'Not Contains'],
      ['in', 'In', 'Not In'],
      ['matches', 'Matches', 'Not Matches'],
    ] as const) {
      if (this.tryWordThenSpace(word)) return negated ? negation : operator;
    }
    return this.failExpectingOperator();
  }

  private failExpectingOperator(): never {
    return this.fail(
      'no match found, expected: "!=", "==", "contains", "in", "is", "matches" or "not"',
    );
  }

  private parseSelectorAfterIn(): string[] {
    if (!IDENTIFIER_START.test(this.input[this.pos] ?? '')) this.fail('Invalid selector');
    return this.parseSelector();
  }

  /** Identifier ( "." Identifier | "." digits | "[" string "]" )* */
  private parseSelector(): string[] {
    const path = [this.parseIdentifier()];
    for (;;) {
      const char = this.input[this.pos];
      if (char === '.' && IDENTIFIER_START.test(this.input[this.pos + 1] ?? '')) {
        this.pos++;
        path.push(this.parseIdentifier());
      } else if (char === '.' && /[0-9]/.test(this.input[this.pos + 1] ?? '')) {
        const digits = /^[0-9]+/.exec(this.input.slice(this.pos + 1)) as RegExpExecArray;
        path.push(digits[0]);
        this.pos += 1 + digits[0].length;
      } else if (char === '[') {
        this.pos++;
        this.skipWhitespace();
        const quote = this.input[this.pos];
        if (quote !== '"' && quote !== '`') this.fail('Invalid index');
        path.push(this.parseString());
        this.skipWhitespace();
        if (this.input[this.pos] !== ']') this.fail('Unclosed index expression');
        this.pos++;
      } else {
        return path;
      }
    }
  }

  private parseIdentifier(): string {
    const start = this.pos;
    this.pos++;
    while (IDENTIFIER_PART.test(this.input[this.pos] ?? '')) this.pos++;
    return this.input.slice(start, this.pos);
  }

  /** A bare word (read as a selector and printed back), a number or a string. */
  private parseValue(): string {
    const char = this.input[this.pos] ?? '';
    if (IDENTIFIER_START.test(char)) return selectorText(this.parseSelector());
    if (char === '"' || char === '`') return this.parseString();
    const number = NUMBER.exec(this.input.slice(this.pos));
    if (number === null) return this.fail('no match found, expected: a value');
    this.pos += number[0].length;
    const after = this.input[this.pos];
    if (after !== undefined && after !== ')' && !WHITESPACE.test(after)) {
      this.fail('Invalid number literal');
    }
    return number[0];
  }

  private parseString(): string {
    const quote = this.input[this.pos];
    const end = findClosingQuote(this.input, this.pos);
    if (end === -1) this.fail('Unterminated string literal');
    const body = this.input.slice(this.pos + 1, end);
    const at = this.pos;
    this.pos = end + 1;
    if (quote === '`') return body.replace(/\r/g, '');
    try {
      return unquoteGo(body);
    } catch (error) {
      this.pos = at;
      return this.fail((error as Error).message);
    }
  }

  /** Matches `word` at the cursor (advancing past it) when it is there. */
  private tryWord(word: string): boolean {
    if (!this.input.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  /** Matches `word` and whitespace after it; else leaves the cursor where it was. */
  private tryWordThenSpace(word: string): boolean {
    const start = this.pos;
    if (this.tryWord(word) && this.skipWhitespace()) return true;
    this.pos = start;
    return false;
  }

  /** Matches whitespace, `word`, whitespace; else leaves the cursor where it was. */
  private tryWordBetween(word: string): boolean {
    const start = this.pos;
    if (this.skipWhitespace() && this.tryWord(word) && this.skipWhitespace()) return true;
    this.pos = start;
    return false;
  }

  /** Skips whitespace; true if there was any. */
  private skipWhitespace(): boolean {
    const start = this.pos;
    while (WHITESPACE.test(this.input[this.pos] ?? '')) this.pos++;
    return this.pos > start;
  }

  private fail(message: string, refused = false): never {
    throw new FilterError(`${position(this.input, this.pos)}: ${message}`, refused);
  }
}

function match(
  selector: string[],
  operator: ParsedOperator,
  value: string | null,
): MatchExpression {
  const op: MatchOperator =
    operator === 'Contains' ? 'In' : operator === 'Not Contains' ? 'Not In' : operator;
  return { kind: 'match', selector, operator: op, value, pattern: null };
}

// pigeon's position: 1-based line and column (in characters), 0-based offset.
function position(input: string, offset: number): string {
  const before = input.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column} (${offset})`;
}

function describeAt(input: string, offset: number): string {
  return JSON.stringify(input.slice(offset, offset + 16));
}

// The closing quote of the literal opening at `start`; in "…" a backslash escapes the next char.
function findClosingQuote(input: string, start: number): number {
  const quote = input[start];
  for (let i = start + 1; i < input.length; i++) {
    if (quote === '"' && input[i] === '\\') i++;
    else if (input[i] === quote) return i;
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

// Go's strconv.Unquote for the body of a double-quoted literal.
function unquoteGo(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char === '\n') throw new Error('invalid syntax: newline in string');
    if (char !== '\\') {
      out += char;
      continue;
    }
    const escape = body[++i] ?? '';
    if (escape in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[escape];
    } else if (escape === 'x' || escape === 'u' || escape === 'U') {
      const width = escape === 'x' ? 2 : escape === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]*$/.test(hex)) {
        throw new Error(`invalid syntax: bad \\${escape} escape`);
      }
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff && escape !== 'x')) {
        throw new Error(`invalid syntax: bad \\${escape} escape`);
      }
      // \x is a byte in Go; as text it reads as the Latin-1 character with that code.
      out += String.fromCodePoint(code);
      i += width;
    } else if (/[0-7]/.test(escape)) {
      const octal = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(octal) || parseInt(octal, 8) > 255) {
        throw new Error('invalid syntax: bad octal escape');
      }
      out += String.fromCharCode(parseInt(octal, 8));
      i += 2;
    } else {
      throw new Error(`invalid syntax: unknown escape \\${escape}`);
    }
  }
  return out;
}
