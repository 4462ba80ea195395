// Settings parsers: CSV (RFC 4180 and typed columns), the YAML subset, .properties and .env.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  changedPaths,
  formatOfKey,
  parseCsv,
  parseCsvRecords,
  parseEnv,
  parseProperties,
  parseYaml,
} from '../src';

describe('CSV', () => {
  test('quoted fields keep embedded commas, doubled quotes and newlines', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","line1\nline2"\r\nplain,,"" \n';
    assert.throws(() => parseCsvRecords(text), /unexpected " " after a closing quote/);
    const ok = 'a,b,c\r\n"x, y","say ""hi""","line1\r\nline2"\r\nplain,,""\n';
    assert.deepEqual(parseCsvRecords(ok), [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'line1\r\nline2'],
      ['plain', '', ''],
    ]);
  });

  test('rows become objects keyed by the header, with typed columns', () => {
    const rows = parseCsv(
      'sku,price,qty,active,meta\nA-1,9.99,3,true,"{""k"":1}"\nB-2,0.5,0,no,null',
      {
        columns: { price: 'number', qty: 'integer', active: 'boolean', meta: 'json' },
      },
    );
    assert.deepEqual(rows, [
      { sku: 'A-1', price: 9.99, qty: 3, active: true, meta: { k: 1 } },
      { sku: 'B-2', price: 0.5, qty: 0, active: false, meta: null },
    ]);
  });

  test('a custom converter gets the field and its position', () => {
    const rows = parseCsv('when\n2024-01-02', {
      columns: { when: (field, { row, column }) => `${column}@${row}:${field}` },
    });
    assert.deepEqual(rows, [{ when: 'when@2:2024-01-02' }]);
  });

  test('a BOM, a missing final newline and blank lines are tolerated', () => {
    assert.deepEqual(parseCsv('\ufeffa,b\n\n1,2'), [{ a: '1', b: '2' }]);
    assert.deepEqual(parseCsv('a,b\n1,2\n\n'), [{ a: '1', b: '2' }]);
    assert.deepEqual(parseCsv('a,b\n'), []);
    assert.deepEqual(parseCsv(''), []);
  });

  test('another delimiter and trimming around fields are options', () => {
    assert.deepEqual(parseCsv('a;b\n 1 ; 2 ', { delimiter: ';', trim: true }), [
      { a: '1', b: '2' },
    ]);
  });

  test('errors name the record and column', () => {
    assert.throws(() => parseCsv('a,b\n1'), /CSV record 2: 1 fields, the header has 2/);
    assert.throws(
      () => parseCsv('a,price\n1,2\nx,abc', { columns: { price: 'number' } }),
      /CSV record 3, column "price": "abc" is not a number/,
    );
    assert.throws(() => parseCsv('a,a\n1,2'), /duplicate column "a"/);
    assert.throws(() => parseCsv('a\n1', { columns: { b: 'number' } }), /missing column "b"/);
    assert.throws(() => parseCsvRecords('a\n"open'), /line 2: unterminated quoted field/);
    assert.throws(() => parseCsv('n\n1.5', { columns: { n: 'integer' } }), /not an integer/);
    assert.throws(() => parseCsv('n\n ', { columns: { n: 'number' } }), /" " is not a number/);
  });

  test('a quote inside an unquoted field is kept literally', () => {
    assert.deepEqual(parseCsvRecords('a"b,c'), [['a"b', 'c']]);
  });
});

describe('YAML subset', () => {
  test('maps, nested maps, lists, scalars, quotes and comments', () => {
    const doc = parseYaml(`# settings
server:
  host: "0.0.0.0"   # quoted
  port: 8080
  tls: false
  ratio: 0.75
  name: 'it''s'
  empty:
  tilde: ~
features:
  - search
  - "checkout # not a comment"
limits: [1, 2, three]
inline: {a: 1, b: "x"}
users:
  - name: ann
    roles: [admin]
  - name: bob
    roles:
      - dev
list-at-key-indent:
- a
- b
`);
    assert.deepEqual(doc, {
      server: {
        host: '0.0.0.0',
        port: 8080,
        tls: false,
        ratio: 0.75,
        name: "it's",
        empty: null,
        tilde: null,
      },
      features: ['search', 'checkout # not a comment'],
      limits: [1, 2, 'three'],
      inline: { a: 1, b: 'x' },
      users: [
        { name: 'ann', roles: ['admin'] },
        { name: 'bob', roles: ['dev'] },
      ],
      'list-at-key-indent': ['a', 'b'],
    });
  });

  test('block scalars keep (|) or fold (>) lines', () => {
    assert.deepEqual(parseYaml('a: |\n  one\n  two\nb: >-\n  x\n  y\nc: 1\n'), {
      a: 'one\ntwo\n',
      b: 'x y',
      c: 1,
    });
  });

  test('double-quoted escapes, URLs with colons, and top-level lists', () => {
    assert.deepEqual(parseYaml('- "a\\tb\\n"\n- http://x:80/y\n- -1\n'), [
      'a\tb\n',
      'http://x:80/y',
      -1,
    ]);
  });

  test('unsupported or malformed input fails with the line number', () => {
    assert.throws(() => parseYaml('a: 1\n  b: 2\n'), /YAML line 2/);
    assert.throws(() => parseYaml('a: &anchor 1\n'), /YAML line 1: anchors/);
    assert.throws(() => parseYaml('a: 1\na: 2\n'), /YAML line 2: duplicate key "a"/);
    assert.throws(() => parseYaml('a: [1, 2\n'), /YAML line 1: flow lists/);
  });
});

describe('.properties and .env', () => {
  test('.properties: separators, comments, continuations and escapes', () => {
    assert.deepEqual(
      parseProperties(
        '# c\n! c\ndb.url = jdbc:x://h:1\nkey:value\nspaced value here\nlong = a,\\\n    b\nesc=tab\\there\\u0041\n',
      ),
      {
        'db.url': 'jdbc:x://h:1',
        key: 'value',
        spaced: 'value here',
        long: 'a,b',
        esc: 'tab\thereA',
      },
    );
  });

  test('.env: export, quotes, escapes and comments', () => {
    assert.deepEqual(
      parseEnv(
        '# comment\nexport A=1\nB="two\\nlines" # note\nC=\'$literal #x\'\nD=plain value # c\nE=\n',
      ),
      { A: '1', B: 'two\nlines', C: '$literal #x', D: 'plain value', E: '' },
    );
    assert.throws(() => parseEnv('not a line'), /cannot parse line/);
  });

  test('formats are picked by key extension', () => {
    assert.equal(formatOfKey('prices/table.csv'), 'csv');
    assert.equal(formatOfKey('app/config.YML'), 'yaml');
    assert.equal(formatOfKey('app/.env'), 'env');
    assert.equal(formatOfKey('app/config'), undefined);
  });
});

describe('changedPaths', () => {
  test('lists the leaves that differ, added and removed keys, and array items', () => {
    assert.deepEqual(
      changedPaths(
        { a: { b: 1, c: 2 }, list: [1, 2, 3], gone: true },
        { a: { b: 1, c: 3 }, list: [1, 9], added: 'x' },
      ),
      ['a.c', 'added', 'gone', 'list[1]', 'list[2]'],
    );
    assert.deepEqual(changedPaths({ a: 1 }, { a: 1 }), []);
    assert.deepEqual(changedPaths(1, 2), ['']);
  });
});
