// A JSON reader for request bodies with Go's `json.Decoder` behaviour where clients can see it:
// number literals are kept as text (uint64 Flags above 2^53 must survive), only the first value
// is read (trailing bytes are ignored), and syntax errors read like Go's.

/** A number literal exactly as it was written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type ParsedJson =
  null | boolean | string | JsonNumber | ParsedJson[] | { [key: string]: ParsedJson };

export class JsonSyntaxError extends Error {}

// Go's decoder refuses nesting deeper than 10000; we stop at 1000, well within the JS stack
// (no real request nests anywhere near that).
const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Reads the first JSON value of `text`. Empty input is Go's `EOF`; truncation `unexpected EOF`. */
export function parseJsonBody(text: string): ParsedJson {
  const reader = new Reader(text);
  reader.skipSpace();
  if (reader.atEnd()) throw new JsonSyntaxError('EOF');
  return reader.value(0);
}

class Reader {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (this.at < this.text.length) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at++;
    }
  }

  value(depth: number): ParsedJson {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('exceeded max depth');
    this.skipSpace();
    if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
    const c = this.text[this.at];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    throw this.invalid('looking for beginning of value');
  }

  private object(depth: number): { [key: string]: ParsedJson } {
    this.at++;
    const out: { [key: string]: ParsedJson } = Object.create(null) as {
      [key: string]: ParsedJson;
    };
    this.skipSpace();
    if (this.peek() === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      if (this.peek() !== '"') throw this.invalid('looking for beginning of object key string');
      const key = this.string();
      this.skipSpace();
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      if (this.peek() !== ':') throw this.invalid('after object key');
      this.at++;
      out[key] = this.value(depth + 1);
      this.skipSpace();
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      const next = this.peek();
      this.at++;
      if (next === '}') return out;
      if (next !== ',') {
        this.at--;
        throw this.invalid('after object key:value pair');
      }
    }
  }

  private array(depth: number): ParsedJson[] {
    this.at++;
    const out: ParsedJson[] = [];
    this.skipSpace();
    if (this.peek() === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      const next = this.peek();
      this.at++;
      if (next === ']') return out;
      if (next !== ',') {
        this.at--;
        throw this.invalid('after array element');
      }
    }
  }

  private string(): string {
    const start = ++this.at;
    // Fast path: no escapes.
    const close = this.text.indexOf('"', start);
    if (close === -1) throw new JsonSyntaxError('unexpected EOF');
    const plain = this.text.slice(start, close);
    if (!plain.includes('\\') && !hasControlChar(plain)) {
      this.at = close + 1;
      return plain;
    }
    let out = '';
    while (!this.atEnd()) {
      const c = this.text[this.at];
      if (c === '"') {
        this.at++;
        return out;
      }
      if (c < ' ') throw this.invalid('in string literal');
      if (c !== '\\') {
        out += c;
        this.at++;
        continue;
      }
      const escape = this.text[this.at + 1];
      if (escape === undefined) break;
      const simple = SIMPLE_ESCAPES[escape];
      if (simple !== undefined) {
        out += simple;
        this.at += 2;
        continue;
      }
      if (escape !== 'u') {
        this.at++;
        throw this.invalid('in string escape code');
      }
      const hex = this.text.slice(this.at + 2, this.at + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        if (hex.length < 4) break;
        this.at += 2;
        throw this.invalid('in \\u hexadecimal character escape');
      }
      out += String.fromCharCode(parseInt(hex, 16));
      this.at += 6;
    }
    throw new JsonSyntaxError('unexpected EOF');
  }

  private number(): JsonNumber {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null || match[0] === '-') {
      this.at++;
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      throw this.invalid('in numeric literal');
    }
    this.at += match[0].length;
    return new JsonNumber(match[0]);
  }

  private literal<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF');
      if (this.text[this.at] !== word[i])
        throw this.invalid(`in literal ${word} (expecting '${word[i]}')`);
      this.at++;
    }
    return value;
  }

  private peek(): string {
    return this.text[this.at];
  }

  private invalid(context: string): JsonSyntaxError {
    return new JsonSyntaxError(`invalid character ${goCharQuote(this.text[this.at])} ${context}`);
  }
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

// Go quotes the offending byte as a rune literal: 'x', '\n', '"' → '"', '\'' for a quote.
function goCharQuote(char: string): string {
  if (char === "'") return "'\\''";
  if (char === '"') return `'"'`;
  if (char === '\n') return "'\\n'";
  if (char === '\t') return "'\\t'";
  if (char === '\r') return "'\\r'";
  const code = char.charCodeAt(0);
  if (code < 0x20) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${char}'`;
}
