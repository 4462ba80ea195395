import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  chain,
  defaultAuthorizer,
  grants,
  parsePolicyRules,
  PolicyAuthorizer,
  PolicyRulesError,
  type Access,
  type AccessLevel,
  type NamedRule,
} from './index';

function authorizer(...texts: string[]): PolicyAuthorizer {
  return new PolicyAuthorizer(texts.map(parsePolicyRules));
}

describe('policy rules language', () => {
  it('reads HCL blocks and single-valued resources', () => {
    const rules = parsePolicyRules(`
      key_prefix "app/" { policy = "write" }
      key "app/secret" { policy = "deny" }
      service "web" { policy = "read" intentions = "read" }
      operator = "read"
    `);
    assert.deepEqual(rules.single, { operator: 'read' });
    assert.deepEqual(
      rules.named.map((r) => [r.resource, r.name, r.prefix, r.access]),
      [
        ['key', 'app/secret', false, 'deny'],
        ['key', 'app/', true, 'write'],
        ['service', 'web', false, 'read'],
      ],
    );
  });

  it('reads the JSON form the same as the HCL form', () => {
    const json = parsePolicyRules(
      '{"key_prefix":{"app/":{"policy":"write"}},"node":{"n1":{"policy":"read"}},"keyring":"write"}',
    );
    const hcl = parsePolicyRules(
      'key_prefix "app/" { policy = "write" }\nnode "n1" { policy = "read" }\nkeyring = "write"',
    );
    assert.deepEqual(json, hcl);
  });

  it('accepts list only for keys', () => {
    assert.equal(parsePolicyRules('key_prefix "" { policy = "list" }').named[0].access, 'list');
    assert.throws(
      () => parsePolicyRules('service_prefix "" { policy = "list" }'),
      /Invalid service_prefix policy: service_prefix "" \{ policy = "list" \}/,
    );
  });

  it('names the rule with an invalid level', () => {
    assert.throws(
      () => parsePolicyRules('key "a/b" { policy = "sudo" }'),
      (error: Error) => error instanceof PolicyRulesError && error.message.includes('key "a/b"'),
    );
    assert.throws(() => parsePolicyRules('operator = "list"'), /Invalid operator policy: "list"/);
  });

  it('gives the line and column of an HCL syntax error', () => {
    assert.throws(
      () => parsePolicyRules('key "a" {\n policy = \n'),
      /invalid HCL rules: At \d+:\d+/,
    );
  });

  it('refuses unknown resources and fields', () => {
    assert.throws(
      () => parsePolicyRules('keys "a" { policy = "read" }'),
      /unknown resource "keys"/,
    );
    assert.throws(
      () => parsePolicyRules('key "a" { policy = "read" extra = 1 }'),
      /key "a": unknown field "extra"/,
    );
  });

  it('never crashes on fuzzed documents: a PolicyRulesError or rules', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parsePolicyRules(text);
        } catch (error) {
          assert.ok(error instanceof PolicyRulesError, String(error));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('rule precedence', () => {
  it('an exact rule beats every prefix rule', () => {
    const authz = authorizer('key_prefix "" { policy = "write" }\nkey "a/b" { policy = "read" }');
    assert.equal(authz.decide('key', 'a/b', 'write'), 'deny');
    assert.equal(authz.decide('key', 'a/bc', 'write'), 'allow');
  });

  it('the longest matching prefix wins, so a deny carves a hole', () => {
    const authz = authorizer(
      'key_prefix "" { policy = "write" }\nkey_prefix "secret/" { policy = "deny" }\nkey "secret/open" { policy = "read" }',
    );
    assert.equal(authz.decide('key', 'app/x', 'write'), 'allow');
    assert.equal(authz.decide('key', 'secret/x', 'read'), 'deny');
    assert.equal(authz.decide('key', 'secret/open', 'read'), 'allow');
  });

  it('no matching rule falls through to the default policy', () => {
    const authz = chain([
      authorizer('key_prefix "app/" { policy = "read" }'),
      defaultAuthorizer('deny'),
    ]);
    assert.equal(authz.decide('key', 'other', 'read'), 'deny');
    assert.equal(authz.decide('key', 'app/1', 'read'), 'allow');
    const open = chain([
      authorizer('key_prefix "app/" { policy = "read" }'),
      defaultAuthorizer('allow'),
    ]);
    assert.equal(open.decide('key', 'other', 'write'), 'allow');
    assert.equal(open.decide('key', 'app/1', 'write'), 'deny', 'a matching read rule denies write');
  });

  it('merges policies: deny wins, otherwise the most permissive', () => {
    const merged = authorizer('key "k" { policy = "read" }', 'key "k" { policy = "write" }');
    assert.equal(merged.decide('key', 'k', 'write'), 'allow');
    const denied = authorizer('key "k" { policy = "write" }', 'key "k" { policy = "deny" }');
    assert.equal(denied.decide('key', 'k', 'read'), 'deny');
  });

  it('a recursive delete needs write on everything under the prefix', () => {
    const authz = authorizer(
      'key_prefix "a/" { policy = "write" }\nkey "a/keep" { policy = "read" }',
    );
    assert.equal(authz.decideKeyWritePrefix('a/'), 'deny');
    assert.equal(authz.decideKeyWritePrefix('a/sub/'), 'allow');
  });

  it('mesh falls back to the operator rule', () => {
    assert.equal(authorizer('operator = "write"').decide('mesh', '', 'write'), 'allow');
    assert.equal(
      authorizer('operator = "write"\nmesh = "read"').decide('mesh', '', 'write'),
      'deny',
    );
  });

  it('agrees with a reference evaluator written from the precedence rules', () => {
    const levels: AccessLevel[] = ['read', 'list', 'write', 'deny'];
    const names = ['', 'a', 'a/', 'a/b', 'a/b/c', 'b', 'ab'];
    const ruleArb = fc.record({
      name: fc.constantFrom(...names),
      prefix: fc.boolean(),
      access: fc.constantFrom(...levels),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(ruleArb, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...names),
        fc.constantFrom<Access>('read', 'list', 'write'),
        (policies, name, access) => {
          const documents = policies.map((rules) => ({
            named: rules.map((r): NamedRule => ({ resource: 'key', ...r })),
            single: {},
          }));
          const actual = new PolicyAuthorizer(documents).decide('key', name, access);
          assert.equal(actual, referenceDecide(policies.flat(), name, access));
        },
      ),
      { numRuns: 500 },
    );
  });
});

// Straight from the rules: exact beats prefix; among prefixes the longest; rules with the same
// (name, kind) merge with deny first, then write > list > read.
function referenceDecide(
  rules: { name: string; prefix: boolean; access: AccessLevel }[],
  name: string,
  access: Access,
): 'allow' | 'deny' | 'default' {
  const order: AccessLevel[] = ['deny', 'write', 'list', 'read'];
  const pick = (matching: typeof rules): AccessLevel | undefined =>
    order.find((level) => matching.some((r) => r.access === level));
  const exact = pick(rules.filter((r) => !r.prefix && r.name === name));
  let level = exact;
  if (level === undefined) {
    const prefixes = rules.filter((r) => r.prefix && name.startsWith(r.name));
    const longest = Math.max(-1, ...prefixes.map((r) => r.name.length));
    level = pick(prefixes.filter((r) => r.name.length === longest));
  }
  if (level === undefined) return 'default';
  return grants(level, access) ? 'allow' : 'deny';
}
