import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CHECK_SERVICE_NODE_SELECTORS,
  compileFilter,
  FilterError,
  HEALTH_CHECK_SELECTORS,
  NODE_SELECTORS,
  SERVICE_NODE_SELECTORS,
} from './index';

// A catalog/service element as the HTTP layer shapes it.
const WEB = {
  Node: 'node-1',
  Address: '10.0.0.1',
  NodeMeta: { env: 'prod', 'rack-id': 'r1' },
  ServiceID: 'web-1',
  ServiceName: 'web',
  ServiceTags: ['v2', 'primary'],
  ServiceMeta: { version: '1.2.3' },
  ServicePort: 8080,
  ServiceEnableTagOverride: false,
  ServiceWeights: { Passing: 1, Warning: 1 },
  ServiceTaggedAddresses: {},
};

// A health/service element.
const HEALTH = {
  Node: { Node: 'node-1', Meta: { env: 'prod' } },
  Service: { ID: 'web-1', Service: 'web', Tags: ['v1'], Meta: { version: '2' }, Port: 80 },
  Checks: [
    { CheckID: 'serfHealth', Status: 'passing', ServiceTags: [] },
    { CheckID: 'service:web-1', Status: 'critical', ServiceTags: ['v1'] },
  ],
};

const passes = (expression: string, item: unknown = WEB): boolean =>
  compileFilter(expression).matches(item);

describe('filter expressions: operators', () => {
  it('compares strings with == and !=, quoted, backquoted or bare', () => {
    assert.equal(passes('ServiceName == "web"'), true);
    assert.equal(passes('ServiceName == `web`'), true);
    assert.equal(passes('ServiceName == web'), true);
    assert.equal(passes('ServiceName==web'), true);
    assert.equal(passes('ServiceName != web'), false);
    assert.equal(passes('ServiceName == Web'), false);
  });

  it('coerces the value to the type of the field: numbers and booleans', () => {
    assert.equal(passes('ServicePort == 8080'), true);
    assert.equal(passes('ServicePort == "8080"'), true);
    assert.equal(passes('ServicePort == "0x1F90"'), true);
    assert.equal(passes('ServicePort != 80'), true);
    assert.equal(passes('ServiceEnableTagOverride == false'), true);
    assert.equal(passes('ServiceEnableTagOverride == F'), true);
    assert.equal(passes('ServiceEnableTagOverride == true'), false);
    assert.equal(passes('ServiceWeights.Passing == 1'), true);
  });

  it('tests membership in lists and substrings with in / contains and their negations', () => {
    assert.equal(passes('"v2" in ServiceTags'), true);
    assert.equal(passes('v2 in ServiceTags'), true);
    assert.equal(passes('ServiceTags contains "primary"'), true);
    assert.equal(passes('"v3" not in ServiceTags'), true);
    assert.equal(passes('ServiceTags not contains v2'), false);
    assert.equal(passes('"eb" in ServiceName'), true);
    assert.equal(passes('ServiceName contains "xyz"'), false);
  });

  it('tests the keys of maps with in / contains', () => {
    assert.equal(passes('"env" in NodeMeta'), true);
    assert.equal(passes('NodeMeta contains "rack-id"'), true);
    assert.equal(passes('"prod" in NodeMeta'), false);
    assert.equal(passes('"zone" not in NodeMeta'), true);
  });

  it('tests emptiness of strings, lists and maps', () => {
    assert.equal(passes('ServiceTaggedAddresses is empty'), true);
    assert.equal(passes('ServiceTags is not empty'), true);
    assert.equal(passes('NodeMeta is empty'), false);
    assert.equal(passes('Address is not empty'), true);
  });

  it('matches regular expressions, unanchored, with (?i) as a flag', () => {
    assert.equal(passes('ServiceMeta.version matches "^1\\\\.2"'), true);
    assert.equal(passes('ServiceMeta.version matches `^1\\.2`'), true);
    assert.equal(passes('Node matches "de-"'), true);
    assert.equal(passes('Node not matches "^node-[0-9]+$"'), false);
    assert.equal(passes('ServiceName matches "(?i)^WEB$"'), true);
  });

  it('reads map entries by dotted path or by quoted index', () => {
    assert.equal(passes('NodeMeta.env == prod'), true);
    assert.equal(passes('NodeMeta["rack-id"] == r1'), true);
    assert.equal(passes('NodeMeta[ `rack-id` ] == r1'), true);
  });

  it('settles a match on a missing map key without error, as go-bexpr', () => {
    assert.equal(passes('NodeMeta.zone == a'), false);
    assert.equal(passes('NodeMeta.zone != a'), true);
    assert.equal(passes('NodeMeta.zone is empty'), true);
    assert.equal(passes('NodeMeta.zone is not empty'), false);
    assert.equal(passes('"a" in NodeMeta.zone'), false);
    assert.equal(passes('"a" not in NodeMeta.zone'), true);
    assert.equal(passes('NodeMeta.zone matches a'), false);
  });

  it('matches a selector through a list when ANY element matches', () => {
    assert.equal(passes('Checks.Status == passing', HEALTH), true);
    assert.equal(passes('Checks.Status == warning', HEALTH), false);
    // != holds when some element differs; "none passing" is `not … == …`.
    assert.equal(passes('Checks.Status != passing', HEALTH), true);
    assert.equal(passes('not Checks.Status == critical', HEALTH), false);
    assert.equal(passes('v1 in Checks.ServiceTags', HEALTH), true);
    assert.equal(passes('Checks.CheckID == serfHealth and Service.Port == 80', HEALTH), true);
    assert.equal(passes('Checks.Status == passing', { Checks: [] }), false);
  });
});

describe('filter expressions: structure', () => {
  it('binds not tighter than and, and tighter than or', () => {
    // or(and(false, true), true) = true; and(false, or(true, true)) would be false.
    assert.equal(passes('ServiceName == db and ServicePort == 8080 or Node == "node-1"'), true);
    assert.equal(passes('ServiceName == db and (ServicePort == 8080 or Node == "node-1")'), false);
    // not applies to the first match only: and(not(true), true) = false.
    assert.equal(passes('not ServiceName == web and Node == "node-1"'), false);
    assert.equal(passes('not (ServiceName == db and Node == "node-1")'), true);
    assert.equal(passes('not not ServiceName == web'), true);
    assert.equal(passes('( ServiceName == web )'), true);
  });

  it('evaluates or/and left to right and stops early', () => {
    // The right side would fail to coerce, but is never reached.
    assert.equal(passes('ServiceName == web or ServicePort == abc'), true);
    assert.equal(passes('ServiceName == db and ServicePort == abc'), false);
    assert.throws(() => passes('ServiceName == web and ServicePort == abc'), FilterError);
  });

  it('unquotes Go string escapes', () => {
    const item = { Notes: 'a"b\tc\u00e9\\' };
    assert.equal(passes('Notes == "a\\"b\\tc\\u00e9\\\\"', item), true);
    assert.equal(passes('Notes == "a\\"b\\x09c\\xe9\\\\"', item), true);
  });

  it('passes everything for an empty expression and filters lists in order', () => {
    assert.equal(compileFilter('').matches(WEB), true);
    assert.equal(compileFilter('   ').matches(null), true);
    const items = [{ N: 1 }, { N: 2 }, { N: 3 }];
    assert.deepEqual(compileFilter('N != 2').apply(items), [{ N: 1 }, { N: 3 }]);
  });
});

describe('filter expressions: errors', () => {
  function compileError(expression: string): string {
    try {
      compileFilter(expression, { selectors: ['ServiceName', 'ServiceTags', 'NodeMeta.*'] });
    } catch (error) {
      assert.ok(error instanceof FilterError);
      return error.message;
    }
    return assert.fail(`${expression} compiled`);
  }

  it('prefixes every compile error as Consul does', () => {
    for (const bad of ['ServiceName ==', 'ServiceName = web', '(ServiceName == web', '"x" in']) {
      assert.match(
        compileError(bad),
        /^Failed to create boolean expression evaluator: 1:\d+ \(\d+\): /,
      );
    }
  });

  it('names the position and the problem of a syntax error', () => {
    assert.equal(
      compileError('(ServiceName == web'),
      'Failed to create boolean expression evaluator: 1:20 (19): Unmatched parentheses',
    );
    assert.match(compileError('ServiceName == "web'), /1:16 \(15\): Unterminated string literal/);
    assert.match(compileError('ServicePort == 12ab'), /Invalid number literal/);
    assert.match(compileError('NodeMeta[env] == a'), /Invalid index/);
    assert.match(compileError('NodeMeta["env" == a'), /Unclosed index expression/);
    assert.match(compileError('"x" in "y"'), /Invalid selector/);
    assert.match(compileError('ServiceName == web and'), /1:20 \(19\): unexpected "and"/);
    // A bare value is a selector-shaped word: a dash ends it, as in go-bexpr.
    assert.match(compileError('ServiceName == node-1'), /1:20 \(19\): unexpected "-1"/);
    assert.match(compileError('ServicePort == 0x10'), /Invalid number literal/);
    assert.match(compileError('ServiceName == "\\q"'), /unknown escape/);
  });

  it("refuses selectors outside the schema with Consul's message", () => {
    assert.equal(
      compileError('Foo == bar'),
      'Failed to create boolean expression evaluator: Selector "Foo" is not valid',
    );
    assert.match(compileError('ServiceName.Sub == x'), /Selector "ServiceName\.Sub" is not valid/);
    assert.doesNotThrow(() =>
      compileFilter('NodeMeta.anything == x and v1 in ServiceTags', {
        selectors: ['ServiceTags', 'NodeMeta.*'],
      }),
    );
  });

  it('refuses an invalid regular expression at compile time', () => {
    assert.equal(
      compileError('ServiceName matches "("'),
      'Failed to create boolean expression evaluator: Failed to compile regular expression "(": ' +
        'error parsing regexp: missing closing ): `(`',
    );
  });

  it('reports operators a field type lacks, and values that do not coerce, when evaluating', () => {
    assert.throws(
      () => passes('ServiceTags == v1'),
      /^FilterError: Invalid match operator "Equal" for selector "ServiceTags"$/,
    );
    assert.throws(
      () => passes('ServicePort == eighty'),
      /Failed to coerce value "eighty" for selector "ServicePort"/,
    );
    assert.throws(() => passes('ServicePort is empty'), /Invalid match operator "Is Empty"/);
    assert.throws(() => passes('"1" in ServicePort'), /Cannot perform in\/contains operations/);
    assert.throws(
      () => passes('ServiceName.x == y'),
      /Value at selector "ServiceName" with type string does not support nested field selection/,
    );
  });
});

describe('filter expressions: regular expressions are Go RE2', () => {
  function refusal(expression: string): FilterError {
    try {
      compileFilter(expression);
    } catch (error) {
      assert.ok(error instanceof FilterError, String(error));
      return error;
    }
    return assert.fail(`${expression} compiled`);
  }

  it("reads Go's syntax: \\d, POSIX classes and (?P<name>…) groups", () => {
    assert.equal(passes('ServiceMeta.version matches `^\\d+\\.\\d+\\.\\d+$`'), true);
    assert.equal(passes('ServiceName matches `^[[:alpha:]]+$`'), true);
    assert.equal(passes('ServiceMeta.version matches `^(?P<major>\\d+)\\.`'), true);
    assert.equal(passes('ServiceMeta.version not matches `^(?P<major>\\d+)\\.`'), false);
  });

  it(
    'matches a catastrophic-backtracking pattern without backtracking',
    { timeout: 10_000 },
    () => {
      // 20 s with a backtracking RegExp at 28 characters; doubling with each one more.
      const item = { Meta: { pad: `${'a'.repeat(40)}!` } };
      assert.equal(passes('Meta.pad matches "^(a+)+$"', item), false);
      assert.equal(passes('Meta.pad not matches "^(a+)+$"', item), true);
    },
  );

  it("refuses lookaround and backreferences, naming the pattern in go-bexpr's words", () => {
    const lookahead = refusal('Node matches "(?=x)"');
    assert.equal(
      lookahead.message,
      'Failed to create boolean expression evaluator: Failed to compile regular expression ' +
        '"(?=x)": error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    );
    assert.equal(lookahead.refused, true);
    assert.equal(
      refusal('Node matches `(a)\\1`').message,
      'Failed to create boolean expression evaluator: Failed to compile regular expression ' +
        '"(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1`',
    );
  });

  it('refuses a pattern past the length limit', () => {
    const error = refusal(`Node matches "${'a'.repeat(2000)}"`);
    assert.match(error.message, /: pattern of 2000 characters exceeds the limit of 1024$/);
    assert.equal(error.refused, true);
  });

  it('refuses patterns whose programs together pass the limit, naming the one that did', () => {
    const error = refusal('Node matches "x{600}" or Address matches "y{600}"');
    assert.match(
      error.message,
      /Failed to compile regular expression "y\{600\}": the filter's regular expressions compile to \d+ instructions together, over the limit of 1024$/,
    );
    assert.equal(error.refused, true);
  });

  it("keeps Consul's errors (not refusals) for bad syntax", () => {
    assert.equal(refusal('Node ==').refused, false);
  });
});

describe('filter expressions: depth', () => {
  const nested = (depth: number): string =>
    `${'('.repeat(depth)}ServiceName == web${')'.repeat(depth)}`;

  it('accepts parentheses nested 256 deep', () => {
    assert.equal(passes(nested(256)), true);
    assert.equal(passes(`not ${nested(255)}`), false);
  });

  it('refuses parentheses nested deeper than 256 with the position and the reason', () => {
    for (const depth of [257, 5000, 100_000]) {
      let error: unknown;
      try {
        compileFilter(nested(depth));
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof FilterError, `${depth}: ${String(error)}`);
      assert.equal(
        error.message,
        'Failed to create boolean expression evaluator: 1:257 (256): ' +
          'parentheses nest deeper than 256 levels',
      );
      assert.equal(error.refused, true);
    }
  });

  it('parses and evaluates a chain of 100,000 nots, folding them as go-bexpr does', () => {
    assert.equal(passes(`${'not '.repeat(100_000)}ServiceName == web`), true);
    assert.equal(passes(`${'not '.repeat(100_001)}ServiceName == web`), false);
    assert.equal(passes(`not (not (not ServiceName == web))`), false);
  });

  it('parses and evaluates flat and/or chains of 50,000 terms', () => {
    const ors = Array.from({ length: 50_000 }, (_, i) => `ServicePort == ${i}`).join(' or ');
    assert.equal(passes(ors), true);
    assert.equal(passes(ors, { ...WEB, ServicePort: 50_000 }), false);
    const ands = Array.from({ length: 50_000 }, () => 'ServiceName == web').join(' and ');
    assert.equal(passes(ands), true);
    assert.equal(passes(`${ands} and Node == other`), false);
  });
});

describe('endpoint selector schemas', () => {
  const accepts = (expression: string, selectors: readonly string[]): boolean => {
    try {
      compileFilter(expression, { selectors });
      return true;
    } catch (error) {
      if (error instanceof FilterError) return false;
      throw error;
    }
  };

  it("accept the selectors Consul's documentation uses", () => {
    assert.ok(accepts('Meta.env == prod and TaggedAddresses.wan is not empty', NODE_SELECTORS));
    assert.ok(accepts('ServiceMeta.env == "prod" and "v2" in ServiceTags', SERVICE_NODE_SELECTORS));
    assert.ok(
      accepts('NodeMeta.rack == r1 and ServiceWeights.Passing == 1', SERVICE_NODE_SELECTORS),
    );
    assert.ok(accepts('ServiceTaggedAddresses.lan.Port == 80', SERVICE_NODE_SELECTORS));
    assert.ok(
      accepts(
        'Service.Meta.version == 2 and Checks.Status == passing and Node.Node == n1',
        CHECK_SERVICE_NODE_SELECTORS,
      ),
    );
    assert.ok(accepts('Status == critical and ServiceName == web', HEALTH_CHECK_SELECTORS));
  });

  it('refuse fields an item does not have', () => {
    assert.equal(accepts('ServiceName == web', NODE_SELECTORS), false);
    assert.equal(accepts('Service == web', SERVICE_NODE_SELECTORS), false);
    assert.equal(accepts('Checks.Bogus == x', CHECK_SERVICE_NODE_SELECTORS), false);
    assert.equal(accepts('Service.Weights.Critical == 1', CHECK_SERVICE_NODE_SELECTORS), false);
  });
});
