import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileGoRegexp, GoRegexpError, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE } from './index';

function refusal(pattern: string): string {
  try {
    compileGoRegexp(pattern);
  } catch (error) {
    assert.ok(error instanceof GoRegexpError, String(error));
    assert.equal(error.pattern, pattern);
    return error.reason;
  }
  return assert.fail(`${pattern} compiled`);
}

describe('Go regexp: syntax', () => {
  it("reads Go's syntax: flags, Perl and POSIX classes, Unicode classes, named groups", () => {
    assert.equal(compileGoRegexp('(?i)^WEB-\\d+$').test('web-12'), true);
    assert.equal(compileGoRegexp('^[[:alpha:]]+$').test('abc'), true);
    assert.equal(compileGoRegexp('^\\pL+$').test('héllo'), true);
    assert.equal(compileGoRegexp('^(?P<major>\\d+)\\.').test('1.2'), true);
    assert.equal(compileGoRegexp('^(?<major>\\d+)\\.').test('1.2'), true);
    assert.equal(compileGoRegexp('\\Qa.b\\E').test('a.b'), true);
    assert.equal(compileGoRegexp('\\Qa.b\\E').test('axb'), false);
  });

  it('matches anywhere in the text unless anchored, and . stops at a newline', () => {
    assert.equal(compileGoRegexp('de-').test('node-1'), true);
    assert.equal(compileGoRegexp('^de-').test('node-1'), false);
    assert.equal(compileGoRegexp('^a.b$').test('a\nb'), false);
    assert.equal(compileGoRegexp('(?s)^a.b$').test('a\nb'), true);
    // \d is ASCII only in Go.
    assert.equal(compileGoRegexp('^\\d$').test('٣'), false);
  });

  it("refuses backreferences and lookaround with Go's error text", () => {
    assert.equal(refusal('(a)\\1'), 'error parsing regexp: invalid escape sequence: `\\1`');
    assert.equal(
      refusal('(?=x)'),
      'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    );
    assert.equal(
      refusal('(?!x)'),
      'error parsing regexp: invalid or unsupported Perl syntax: `(?!`',
    );
    assert.equal(refusal('(?<=x)y'), 'error parsing regexp: invalid named capture: `(?<=x)y`');
    assert.equal(refusal('('), 'error parsing regexp: missing closing ): `(`');
    assert.equal(refusal('a{1001}'), 'error parsing regexp: invalid repeat count: `{1001}`');
    assert.equal(refusal('x**'), 'error parsing regexp: invalid nested repetition operator: `**`');
  });
});

describe('Go regexp: cost', () => {
  it('matches a catastrophic-backtracking pattern in linear time', { timeout: 10_000 }, () => {
    // A backtracking engine takes 2^n steps here: 20 s at n = 28, ages at n = 60.
    const evil = compileGoRegexp('^(a+)+$');
    assert.equal(evil.test(`${'a'.repeat(60)}!`), false);
    assert.equal(evil.test('a'.repeat(60)), true);
    assert.equal(compileGoRegexp('^(a|a?)+$').test(`${'a'.repeat(5000)}!`), false);
    assert.equal(compileGoRegexp('(x+x+)+y').replaceAll('x'.repeat(5000), 'z'), 'x'.repeat(5000));
  });

  it('refuses a pattern longer than the limit, naming its length', () => {
    const longest = `[${'a'.repeat(MAX_PATTERN_LENGTH - 2)}]`;
    assert.doesNotThrow(() => compileGoRegexp(longest));
    assert.equal(
      refusal(`${longest}b`),
      `pattern of ${MAX_PATTERN_LENGTH + 1} characters exceeds the limit of ${MAX_PATTERN_LENGTH}`,
    );
  });

  it('refuses a pattern whose compiled program is over the limit', () => {
    // Go's largest repeat count on one character fits; two of them do not.
    assert.doesNotThrow(() => compileGoRegexp('x{1000}'));
    assert.match(
      refusal('x{1000}y{1000}'),
      new RegExp(
        `^compiled program of \\d+ instructions exceeds the limit of ${MAX_PROGRAM_SIZE}$`,
      ),
    );
  });
});

describe("Go regexp: ReplaceAllString's expansion", () => {
  const replace = (pattern: string, text: string, template: string): string =>
    compileGoRegexp(pattern).replaceAll(text, template);

  it('expands numbered and named groups, bare or in braces', () => {
    assert.equal(replace('([a-z]+)-(\\d+)', 'web-1 api-2', '$2.$1'), '1.web 2.api');
    assert.equal(replace('([a-z]+)-(\\d+)', 'web-1', '${2}x${1}'), '1xweb');
    assert.equal(replace('(?P<name>[a-z]+)-(?P<n>\\d+)', 'web-1', '$n:${name}'), '1:web');
    assert.equal(replace('a(b)c', 'abc', '[$0]'), '[abc]');
  });

  it('reads the longest name after $, so $1x is the (absent) group "1x"', () => {
    assert.equal(replace('(a)', 'a', '$1x'), '');
    assert.equal(replace('(a)', 'a', '${1}x'), 'ax');
    assert.equal(replace('(a)', 'a', '$01'), '');
  });

  it('writes $$ as $, keeps a $ without a name, and drops groups that did not match', () => {
    assert.equal(replace('a', 'a', '$$1'), '$1');
    assert.equal(replace('a', 'a', 'cost: $ 5'), 'cost: $ 5');
    assert.equal(replace('a', 'a', '${1'), '${1');
    assert.equal(replace('(a)|(b)', 'ab', '[$1|$2]'), '[a|][|b]');
    assert.equal(replace('(a)', 'a', '$9'), '');
  });

  it('replaces successive matches, skipping an empty match right after a match', () => {
    assert.equal(replace('a*', 'baaab', 'X'), 'XbXbX');
    assert.equal(replace('x*', '😀', '-'), '-😀-');
    assert.equal(replace('z', 'abc', 'X'), 'abc');
  });
});
