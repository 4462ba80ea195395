// ?filter against hostile input over real HTTP: a catastrophic-backtracking pattern answers at
// once while the agent keeps serving others (RE2, as Consul's Go regexp), patterns RE2 rejects
// and nesting past the limit answer 400 naming the cause, and nothing overflows the stack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { startTestAgent, type HttpResult, type TestAgent } from './harness';

// 29 characters: `^(a+)+$` took 20 s on this with a backtracking RegExp, stalling every client.
const PAD = `${'a'.repeat(28)}!`;
const REDOS = 'matches "^(a+)+$"';
const PREFIX = 'Failed to create boolean expression evaluator: ';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await waitForSelfRegistration(t);
  const registered = await t.request('PUT', '/v1/catalog/register', {
    body: JSON.stringify({
      Node: 'redos-node',
      Address: '10.0.0.9',
      Service: { ID: 'redos-1', Service: 'redos', Meta: { pad: PAD } },
    }),
  });
  assert.equal(registered.status, 200, registered.text);
  const local = await t.request('PUT', '/v1/agent/service/register', {
    body: JSON.stringify({ ID: 'redos-local', Name: 'redos-local', Meta: { pad: PAD } }),
  });
  assert.equal(local.status, 200, local.text);
});
after(async () => {
  await t.stop();
});

const get = (path: string): Promise<HttpResult> => t.request('GET', path);
const withFilter = (path: string, expression: string): string =>
  `${path}?filter=${encodeURIComponent(expression)}`;

/** The answer and how long it took from sending the request. */
async function timed(path: string): Promise<{ result: HttpResult; ms: number }> {
  const start = performance.now();
  const result = await get(path);
  return { result, ms: performance.now() - start };
}

// Generous next to the ~100 ms target on a loaded machine; the backtracking engine took 20 s.
const PROMPT_MS = 1000;

describe('?filter with a catastrophic-backtracking pattern', () => {
  it('answers at once on every listing while the agent keeps answering others', async () => {
    for (const [path, expression, expected] of [
      ['/v1/catalog/service/redos', `ServiceMeta.pad ${REDOS}`, 0],
      ['/v1/catalog/service/redos', `ServiceMeta.pad not ${REDOS}`, 1],
      ['/v1/health/service/redos', `Service.Meta.pad ${REDOS}`, 0],
      ['/v1/agent/services', `Meta.pad ${REDOS}`, 0],
      ['/v1/agent/services', `Meta.pad not ${REDOS}`, 1],
    ] as const) {
      const [filtered, leader] = await Promise.all([
        timed(withFilter(path, expression)),
        timed('/v1/status/leader'),
      ]);
      assert.equal(filtered.result.status, 200, `${path}: ${filtered.result.text}`);
      assert.equal(Object.keys(JSON.parse(filtered.result.text) as object).length, expected, path);
      assert.equal(leader.result.status, 200);
      assert.match(leader.result.text.trim(), /^"127\.0\.0\.1:\d+"$/);
      assert.ok(filtered.ms < PROMPT_MS, `${path} answered in ${filtered.ms.toFixed(0)} ms`);
      assert.ok(leader.ms < PROMPT_MS, `status/leader answered in ${leader.ms.toFixed(0)} ms`);
    }
  });
});

describe('?filter refusals', () => {
  // Each listing with a string field its items have.
  const LISTINGS = [
    ['/v1/catalog/nodes', 'Node'],
    ['/v1/catalog/service/redos', 'ServiceName'],
    ['/v1/health/service/redos', 'Node.Node'],
    ['/v1/agent/services', 'Service'],
  ] as const;

  it('answers a pattern RE2 rejects with 400 naming the pattern and the reason', async () => {
    for (const [path, field] of LISTINGS) {
      const lookahead = await get(withFilter(path, `${field} matches "(?=x)"`));
      assert.equal(lookahead.status, 400, `${path}: ${lookahead.text}`);
      assert.equal(
        lookahead.text,
        `${PREFIX}Failed to compile regular expression "(?=x)": ` +
          'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
        path,
      );
      const backreference = await get(withFilter(path, `${field} matches \`(a)\\1\``));
      assert.equal(backreference.status, 400, path);
      assert.equal(
        backreference.text,
        `${PREFIX}Failed to compile regular expression "(a)\\\\1": ` +
          'error parsing regexp: invalid escape sequence: `\\1`',
        path,
      );
    }
  });

  it('answers a pattern over the length limit with 400', async () => {
    const result = await get(withFilter('/v1/catalog/nodes', `Node matches "${'a'.repeat(2000)}"`));
    assert.equal(result.status, 400, result.text);
    assert.match(result.text, /: pattern of 2000 characters exceeds the limit of 1024$/);
  });

  it('answers 5,000 nested parentheses with 400 and the reason', async () => {
    for (const [path, field] of LISTINGS) {
      const expression = `${'('.repeat(5000)}${field} == x${')'.repeat(5000)}`;
      const result = await get(withFilter(path, expression));
      assert.equal(result.status, 400, `${path}: ${result.text.slice(0, 200)}`);
      assert.equal(
        result.text,
        `${PREFIX}1:257 (256): parentheses nest deeper than 256 levels`,
        path,
      );
    }
  });

  it("keeps Consul's 500 for a filter that does not parse", async () => {
    const result = await get(withFilter('/v1/catalog/nodes', 'Node =='));
    assert.equal(result.status, 500);
    assert.match(result.text, /^Failed to create boolean expression evaluator: 1:8 \(7\): /);
  });
});
