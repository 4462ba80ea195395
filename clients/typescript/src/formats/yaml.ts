// The common subset of YAML that settings files use: block maps and lists by indentation, list
// items holding maps, scalars (null, booleans, numbers, strings), single/double-quoted strings,
// flow lists/maps of scalars (`[a, b]`, `{a: 1}`), `|`/`>` block scalars and `#` comments.
// Not supported: anchors/aliases, tags, multiple documents, complex keys, multi-line flow.

interface Line {
  indent: number;
  text: string;
  number: number;
}

/** Parses a YAML document of the supported subset; throws with the line number otherwise. */
export function parseYaml(source: string): unknown {
  const raw = source.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  const parser = new YamlParser(raw);
  return parser.document();
}

class YamlParser {
  private readonly lines: Line[] = [];
  private pos = 0;

  constructor(private readonly raw: string[]) {
    raw.forEach((text, i) => {
      const content = stripComment(text).trimEnd();
      if (content.trim() === '' || content === '---' || content === '...') return;
      if (/^\s*%/.test(content)) return;
      const indent = content.length - content.trimStart().length;
      if (content.slice(0, indent).includes('\t'))
        fail(i + 1, 'tabs are not allowed in indentation');
      this.lines.push({ indent, text: content.trimStart(), number: i + 1 });
    });
  }

  document(): unknown {
    if (this.lines.length === 0) return null;
    const first = this.lines[0];
    const value =
      isListItem(first.text) || splitPair(first.text) !== undefined
        ? this.block(first.indent)
        : (this.pos++, scalar(first.text, first.number));
    if (this.pos < this.lines.length) {
      fail(this.lines[this.pos].number, 'unexpected content (bad indentation?)');
    }
    return value;
  }

  private block(indent: number): unknown {
    const line = this.lines[this.pos];
    return isListItem(line.text) ? this.list(indent) : this.map(indent);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent < indent) break;
      if (line.indent > indent) fail(line.number, 'unexpected indentation');
      if (isListItem(line.text)) break;
      const pair = splitPair(line.text);
      if (!pair) fail(line.number, `expected "key: value", got "${line.text}"`);
      const [key, rest] = pair;
      if (Object.hasOwn(out, key)) fail(line.number, `duplicate key "${key}"`);
      this.pos++;
      out[key] = this.value(rest, indent, line, true);
    }
    return out;
  }

  private list(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent < indent || !isListItem(line.text)) break;
      if (line.indent > indent) fail(line.number, 'unexpected indentation');
      const rest = line.text === '-' ? '' : line.text.slice(2).trimStart();
      if (rest !== '' && (isListItem(rest) || splitPair(rest) !== undefined)) {
        // "- key: v" / "- - x": the item is a block starting at the column after "- ".
        const column = line.indent + line.text.length - rest.length;
        this.lines[this.pos] = { indent: column, text: rest, number: line.number };
        out.push(this.block(column));
      } else {
        this.pos++;
        out.push(this.value(rest, indent, line, false));
      }
    }
    return out;
  }

  /** The value after `key:` or `- `: inline scalar, block scalar, or a nested block below. */
  private value(rest: string, indent: number, line: Line, inMap: boolean): unknown {
    if (/^[|>][+-]?$/.test(rest)) return this.blockScalar(rest, indent, line);
    if (rest !== '') return scalar(rest, line.number);
    const next = this.lines[this.pos];
    if (next && next.indent > indent) return this.block(next.indent);
    // A map value may be a list at the same indentation as its key.
    if (inMap && next && next.indent === indent && isListItem(next.text)) return this.list(indent);
    return null;
  }

  private blockScalar(header: string, indent: number, line: Line): string {
    const collected: string[] = [];
    let i = line.number; // raw index of the line after the header
    let blockIndent = -1;
    for (; i < this.raw.length; i++) {
      const text = this.raw[i];
      if (text.trim() === '') {
        collected.push('');
        continue;
      }
      const lineIndent = text.length - text.trimStart().length;
      if (lineIndent <= indent) break;
      if (blockIndent < 0) blockIndent = lineIndent;
      if (lineIndent < blockIndent) break;
      collected.push(text.slice(blockIndent));
    }
    while (this.pos < this.lines.length && this.lines[this.pos].number <= i) this.pos++;
    while (collected.length > 0 && collected[collected.length - 1] === '') collected.pop();
    const body =
      header[0] === '|'
        ? collected.join('\n')
        : collected.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ');
    if (header.endsWith('-')) return body;
    return body === '' ? '' : `${body}\n`;
  }
}

function isListItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** `key: rest` (key plain or quoted), or undefined when the line is not a pair. */
function splitPair(text: string): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, 0);
    if (end < 0) return undefined;
    const after = text.slice(end + 1);
    const match = /^\s*:(\s+|$)/.exec(after);
    if (!match) return undefined;
    return [unquote(text.slice(0, end + 1)), after.slice(match[0].length).trim()];
  }
  if (text.startsWith('[') || text.startsWith('{')) return undefined;
  const match = /^([^#]*?)\s*:(\s+|$)/.exec(text);
  if (!match || match[1] === '') return undefined;
  return [match[1], text.slice(match[0].length).trim()];
}

function scalar(text: string, line: number): unknown {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, 0);
    if (end !== text.length - 1) fail(line, `bad quoted string ${text}`);
    return unquote(text);
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(line, 'flow lists must close on the same line');
    return splitFlow(text.slice(1, -1), line).map((item) => scalar(item, line));
  }
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) fail(line, 'flow maps must close on the same line');
    const out: Record<string, unknown> = {};
    for (const item of splitFlow(text.slice(1, -1), line)) {
      const pair = splitPair(item);
      if (!pair) fail(line, `expected "key: value" in flow map, got "${item}"`);
      out[pair[0]] = pair[1] === '' ? null : scalar(pair[1], line);
    }
    return out;
  }
  if (text.startsWith('&') || text.startsWith('*') || text.startsWith('!')) {
    fail(line, 'anchors, aliases and tags are not supported');
  }
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.slice(2), 8);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  return text;
}

/** Splits the inside of a flow collection at top-level commas. */
function splitFlow(inner: string, line: number): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"' || c === "'") {
      const end = closingQuote(inner, i);
      if (end < 0) fail(line, 'unterminated quoted string');
      i = end;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = inner.slice(start).trim();
  if (last !== '') items.push(last);
  return items;
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

function unquote(text: string): string {
  const body = text.slice(1, -1);
  if (text[0] === "'") return body.replace(/''/g, "'");
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_all, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return (
      { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' }[
        e
      ] ?? e
    );
  });
}

/** Drops a `#` comment that starts the line or follows whitespace outside quotes. */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(line[i - 1]))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function fail(line: number, message: string): never {
  throw new Error(`YAML line ${line}: ${message}`);
}
