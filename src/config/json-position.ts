// Node 20's JSON.parse errors often lack a position; this scanner finds the offset of the first
// syntax error so that config errors can name the line and column.

export function locateJsonError(text: string): number {
  let pos = 0;
  const fail = (): never => {
    throw new SyntaxAt(pos);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos += 1;
  };
  const expect = (literal: string): void => {
    if (!text.startsWith(literal, pos)) fail();
    pos += literal.length;
  };
  const string = (): void => {
    expect('"');
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') pos += 1;
      else if (text.charCodeAt(pos) < 0x20) fail();
      pos += 1;
    }
    expect('"');
  };
  const value = (): void => {
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos += 1;
      skipSpace();
      if (text[pos] === '}') {
        pos += 1;
        return;
      }
      for (;;) {
        skipSpace();
        string();
        skipSpace();
        expect(':');
        value();
        skipSpace();
        if (text[pos] === ',') pos += 1;
        else return expect('}');
      }
    }
    if (c === '[') {
      pos += 1;
      skipSpace();
      if (text[pos] === ']') {
        pos += 1;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        if (text[pos] === ',') pos += 1;
        else return expect(']');
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      text.slice(pos),
    );
    if (literal === null) fail();
    pos += (literal as RegExpExecArray)[0].length;
  };
  try {
    value();
    skipSpace();
    if (pos < text.length) fail();
  } catch (err) {
    if (err instanceof SyntaxAt) return err.offset;
    throw err;
  }
  return -1;
}

class SyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`syntax error at ${offset}`);
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
