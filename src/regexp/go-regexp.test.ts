import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileGoRegexp, MAX_PATTERN_LENGTH, RegexpSyntaxError } from './index';

describe('Go regexps', () => {
  it('match a nested-quantifier pattern against a long input in linear time', () => {
    const started = process.hrtime.bigint();
    assert.equal(compileGoRegexp('^(a+)+$').test('a'.repeat(5000) + '!'), false);
    // A backtracking engine needs ~2^5000 steps here; RE2 needs a few milliseconds.
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });

  it('match anywhere in the input, as MatchString does', () => {
    assert.equal(compileGoRegexp('b+').test('abbc'), true);
    assert.equal(compileGoRegexp('^b').test('abbc'), false);
  });

  it('take Go flags and named groups', () => {
    assert.equal(compileGoRegexp('(?i)WEB').test('web-1'), true);
    assert.equal(compileGoRegexp('(?P<env>prod|dev)-\\d+').test('dev-12'), true);
  });

  it('refuse what RE2 refuses with Go’s message', () => {
    for (const [pattern, message] of [
      ['(?=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
      ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
      ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
      ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
    ]) {
      assert.throws(
        () => compileGoRegexp(pattern),
        (error: unknown) =>
          error instanceof RegexpSyntaxError &&
          error.pattern === pattern &&
          error.message === message,
        pattern,
      );
    }
  });

  it('refuse a pattern longer than the limit before compiling it', () => {
    assert.throws(
      () => compileGoRegexp('a'.repeat(MAX_PATTERN_LENGTH + 1)),
      /expression too large/,
    );
  });

  it('replace every match with Go’s template expansion', () => {
    const re = compileGoRegexp('a(x*)b');
    assert.equal(re.replaceAll('-ab-axxb-', '${1}W'), '-W-xxW-');
    // `$1W` names the group "1W", which does not exist: empty, as in Go.
    assert.equal(re.replaceAll('-ab-axxb-', '$1W'), '---');
    assert.equal(re.replaceAll('-ab-axxb-', '$$1'), '-$1-$1-');
    // A `$` that starts no valid reference stays as text.
    assert.equal(re.replaceAll('-ab-', '${1'), '-${1-');
    assert.equal(
      compileGoRegexp('(?P<name>[a-z]+)-(\\d+)').replaceAll('web-1 api-2', '$2.${name}'),
      '1.web 2.api',
    );
  });

  it('skip an empty match right after a match, as Go does', () => {
    assert.equal(compileGoRegexp('a*').replaceAll('baaac', '-'), '-b-c-');
  });

  it('slice by UTF-16 positions around non-ASCII text', () => {
    assert.equal(compileGoRegexp('é(x)').replaceAll('ñéxñ', '[$1]'), 'ñ[x]ñ');
  });
});
