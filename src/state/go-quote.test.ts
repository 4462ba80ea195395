import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { goQuote } from './go-quote';

describe('goQuote', () => {
  it('quotes as Go strconv.Quote does', () => {
    const cases: [string, string][] = [
      ['plain/key', '"plain/key"'],
      ['say "hi"\\', '"say \\"hi\\"\\\\"'],
      ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
      ['\x00\x1f\x7f', '"\\x00\\x1f\\x7f"'],
      ['café ☃ \u{1F600}', '"café ☃ \u{1F600}"'],
      ['\u00a0\u200b', '"\\u00a0\\u200b"'],
      ['\u{E0001}', '"\\U000e0001"'],
    ];
    for (const [text, quoted] of cases) assert.equal(goQuote(text), quoted, text);
  });
});
