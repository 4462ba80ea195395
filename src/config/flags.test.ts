import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags, type FlagSpec } from './flags';

const specs: FlagSpec[] = [
  { name: 'server', kind: 'bool', usage: '' },
  { name: 'data-dir', kind: 'string', usage: '' },
  { name: 'http-port', kind: 'int', usage: '' },
  { name: 'retry-join', kind: 'list', usage: '' },
  { name: 'wait', kind: 'duration', usage: '' },
  { name: 'flags', kind: 'uint64', usage: '' },
];

test('accepts -flag value, -flag=value, --flag value and --flag=value', () => {
  for (const argv of [
    ['-data-dir', '/d'],
    ['-data-dir=/d'],
    ['--data-dir', '/d'],
    ['--data-dir=/d'],
  ]) {
    assert.equal(parseFlags(argv, specs).values.get('data-dir'), '/d', argv.join(' '));
  }
});

test('a bool flag alone is true and takes =false, but never the next argument', () => {
  assert.equal(parseFlags(['-server'], specs).values.get('server'), true);
  assert.equal(parseFlags(['-server=false'], specs).values.get('server'), false);
  const parsed = parseFlags(['-server', 'false'], specs);
  assert.equal(parsed.values.get('server'), true);
  assert.deepEqual(parsed.args, ['false']);
});

test('list flags accumulate every occurrence in order', () => {
  const parsed = parseFlags(['-retry-join', 'a', '-retry-join=b', '--retry-join', 'c'], specs);
  assert.deepEqual(parsed.values.get('retry-join'), ['a', 'b', 'c']);
  assert.deepEqual(parsed.order, ['retry-join', 'retry-join', 'retry-join']);
});

test('parsing stops at the first positional argument and after --', () => {
  assert.deepEqual(parseFlags(['-server', 'key', '-data-dir', 'x'], specs).args, [
    'key',
    '-data-dir',
    'x',
  ]);
  assert.deepEqual(parseFlags(['--', '-server'], specs).args, ['-server']);
  assert.deepEqual(parseFlags(['-'], specs).args, ['-']);
});

test('an unknown flag is an error naming it, in Go wording', () => {
  assert.throws(
    () => parseFlags(['-server', '-foo'], specs),
    (err: unknown) =>
      err instanceof FlagError && err.message === 'flag provided but not defined: -foo',
  );
  assert.throws(() => parseFlags(['--foo=1'], specs), /flag provided but not defined: -foo$/);
});

test('typed flags validate their value', () => {
  assert.equal(parseFlags(['-http-port', '0'], specs).values.get('http-port'), 0);
  assert.throws(
    () => parseFlags(['-http-port', 'abc'], specs),
    /invalid value "abc" for flag -http-port: parse error/,
  );
  assert.equal(parseFlags(['-wait=1m'], specs).values.get('wait'), 60_000);
  assert.throws(() => parseFlags(['-wait=10'], specs), /invalid value "10" for flag -wait/);
  assert.equal(
    parseFlags(['-flags=18446744073709551615'], specs).values.get('flags'),
    18446744073709551615n,
  );
  assert.throws(() => parseFlags(['-flags=18446744073709551616'], specs), /invalid value/);
  assert.throws(() => parseFlags(['-server=maybe'], specs), /invalid value "maybe"/);
});

test('a value flag at the end without its value is an error', () => {
  assert.throws(() => parseFlags(['-data-dir'], specs), /flag needs an argument: -data-dir/);
});

test('-h and -help ask for usage', () => {
  assert.equal(parseFlags(['-h'], specs).help, true);
  assert.equal(parseFlags(['--help'], specs).help, true);
  assert.throws(() => parseFlags(['---server'], specs), /bad flag syntax: ---server/);
});
