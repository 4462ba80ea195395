import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HttpError } from './errors';
import { encodeQuery, parseUint64, raftIndexOf } from './query';

describe('encodeQuery', () => {
  it('sorts keys and escapes like Go url.Values.Encode', () => {
    const query = Object.assign(Object.create(null) as object, {
      release: 'a b',
      acquire: '',
      cas: ['1', '2'],
      'x/y': "!'()*~",
    });
    assert.equal(encodeQuery(query), 'acquire=&cas=1&cas=2&release=a+b&x%2Fy=%21%27%28%29%2A~');
  });
});

describe('parseUint64', () => {
  it('parses the whole uint64 range', () => {
    assert.equal(parseUint64('18446744073709551615'), 18446744073709551615n);
    assert.equal(parseUint64('007'), 7n);
  });

  it('fails like strconv.ParseUint with a 500', () => {
    for (const [text, message] of [
      ['', 'strconv.ParseUint: parsing "": invalid syntax'],
      ['+1', 'strconv.ParseUint: parsing "+1": invalid syntax'],
      ['1_000', 'strconv.ParseUint: parsing "1_000": invalid syntax'],
      [
        '18446744073709551616',
        'strconv.ParseUint: parsing "18446744073709551616": value out of range',
      ],
      ['a\n', 'strconv.ParseUint: parsing "a\\n": invalid syntax'],
    ]) {
      assert.throws(
        () => parseUint64(text),
        (error: unknown) =>
          error instanceof HttpError && error.statusCode === 500 && error.message === message,
      );
    }
  });
});

describe('raftIndexOf', () => {
  it('maps indexes beyond 2^53 to the largest safe integer', () => {
    assert.equal(raftIndexOf(42n), 42);
    assert.equal(raftIndexOf(2n ** 64n - 1n), Number.MAX_SAFE_INTEGER);
  });
});
