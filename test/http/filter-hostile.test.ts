// ?filter with hostile expressions: a backtracking-prone regexp and deep nesting are answered at
// once (200 or 400), and the agent keeps answering everyone else meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type TestAgent } from './harness';

const q = encodeURIComponent;

describe('hostile ?filter expressions', () => {
  let t: TestAgent;

  before(async () => {
    t = await startTestAgent();
    const registered = await t.request('PUT', '/v1/agent/service/register', {
      body: JSON.stringify({ Name: 'web', Port: 80, Meta: { build: 'a'.repeat(28) + '!' } }),
    });
    assert.equal(registered.status, 200, registered.text);
  });
  after(() => t.stop());

  it('answers a nested-quantifier regexp at once while a status probe is served', async () => {
    const started = Date.now();
    const filter = q('Service.Meta.build matches "^(a+)+$"');
    const [listing, probe] = await Promise.all([
      t.request('GET', `/v1/health/service/web?filter=${filter}`).then((result) => ({
        result,
        ms: Date.now() - started,
      })),
      t
        .request('GET', '/v1/status/leader')
        .then((result) => ({ result, ms: Date.now() - started })),
    ]);
    assert.equal(listing.result.status, 200, listing.result.text);
    assert.deepEqual(JSON.parse(listing.result.text), []);
    assert.equal(probe.result.status, 200);
    // A backtracking engine took 20 s on this input; RE2 takes microseconds.
    assert.ok(listing.ms < 1000, `filtered listing took ${listing.ms} ms`);
    assert.ok(probe.ms < 1000, `status probe took ${probe.ms} ms`);
  });

  it('matches with Go syntax on the agent endpoints too', async () => {
    const result = await t.request(
      'GET',
      `/v1/agent/services?filter=${q('Meta.build matches "(?i)^A+!$"')}`,
    );
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(Object.keys(JSON.parse(result.text) as object), ['web']);
  });

  it('refuses a pattern RE2 rejects with 400 naming the pattern', async () => {
    const result = await t.request(
      'GET',
      `/v1/agent/services?filter=${q('Service matches "(?=web)"')}`,
    );
    assert.equal(result.status, 400);
    assert.match(
      result.text,
      /Failed to compile regular expression "\(\?=web\)": error parsing regexp: invalid or unsupported Perl syntax/,
    );
  });

  it('refuses 5,000 nested parentheses with 400 and the reason', async () => {
    const deep = '('.repeat(5000) + 'Service == web' + ')'.repeat(5000);
    const result = await t.request('GET', `/v1/agent/services?filter=${q(deep)}`);
    assert.equal(result.status, 400);
    assert.match(result.text, /expression nests too deeply: more than 256 levels of parentheses/);
  });
});
