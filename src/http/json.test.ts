import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { encodeJson, jsonString } from './json';

describe('encodeJson', () => {
  it('writes bigints as bare digits, beyond 2^53', () => {
    assert.equal(
      encodeJson({ Flags: 18446744073709551615n }, false),
      '{"Flags":18446744073709551615}',
    );
  });

  it('keeps field order and drops undefined fields, as omitempty does', () => {
    assert.equal(encodeJson({ b: 1, a: undefined, c: null }, false), '{"b":1,"c":null}');
  });

  it('indents with 4 spaces and ends with a newline when pretty, keeping [] and {} inline', () => {
    assert.equal(
      encodeJson({ A: [1, { B: [] }], C: {} }, true),
      '{\n    "A": [\n        1,\n        {\n            "B": []\n        }\n    ],\n    "C": {}\n}\n',
    );
    assert.equal(encodeJson(true, true), 'true\n');
  });

  it('escapes <, >, &, U+2028 and U+2029 as Go does', () => {
    assert.equal(jsonString('<a>&\u2028\u2029'), '"\\u003ca\\u003e\\u0026\\u2028\\u2029"');
  });

  it('refuses NaN and infinities', () => {
    assert.throws(() => encodeJson(Number.NaN, false));
  });
});
