import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { JsonNumber, JsonSyntaxError, parseJsonBody } from './json-parse';

describe('parseJsonBody', () => {
  it('keeps number literals as written', () => {
    const parsed = parseJsonBody('[18446744073709551615, -1.5e3]') as JsonNumber[];
    assert.deepEqual(
      parsed.map((n) => n.text),
      ['18446744073709551615', '-1.5e3'],
    );
  });

  it('reads objects, strings with escapes and literals', () => {
    const parsed = parseJsonBody('{"a":"x\\u00e9\\n","b":[true,false,null]}');
    assert.deepEqual({ ...(parsed as object) }, { a: 'xé\n', b: [true, false, null] });
  });

  it('ignores what follows the first value, as json.Decoder does', () => {
    assert.deepEqual(parseJsonBody('[] trailing'), []);
  });

  it('reports errors in Go words', () => {
    const cases: [string, string][] = [
      ['', 'EOF'],
      ['   ', 'EOF'],
      ['[1,', 'unexpected EOF'],
      ['"abc', 'unexpected EOF'],
      ['[x]', "invalid character 'x' looking for beginning of value"],
      ['{1:2}', "invalid character '1' looking for beginning of object key string"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['[1 2]', "invalid character '2' after array element"],
      ['tru ', "invalid character ' ' in literal true (expecting 'e')"],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseJsonBody(text),
        (error: unknown) => error instanceof JsonSyntaxError && error.message === message,
        text,
      );
    }
  });

  it('refuses nesting deeper than Go allows without overflowing the stack', () => {
    assert.throws(() => parseJsonBody('['.repeat(20000)), JsonSyntaxError);
  });
});
