// Go's strconv.Quote (what `%q` prints), so that error texts match Consul's byte for byte.

const NAMED_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function goQuote(text: string): string {
  let quoted = '"';
  for (const char of text) quoted += quoteChar(char);
  return quoted + '"';
}

function quoteChar(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  const codePoint = char.codePointAt(0) as number;
  // A lone surrogate reaches Go as U+FFFD once the key is encoded to UTF-8.
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return '\ufffd';
  if (PRINTABLE.test(char)) return char;
  if (codePoint < 0x20 || codePoint === 0x7f) return '\\x' + hex(codePoint, 2);
  if (codePoint < 0x10000) return '\\u' + hex(codePoint, 4);
  return '\\U' + hex(codePoint, 8);
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}
