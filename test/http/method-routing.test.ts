// Method mismatches as Consul's mux answers them: every registered endpoint, asked with every
// method it does not accept, answers 405 with `method X not allowed` and an Allow header that
// lists OPTIONS first and then exactly its own methods — also where a wildcard route of another
// method (GET /v1/agent/service/:id) would otherwise swallow the path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pino from 'pino';

import { createHttpServer, type RouteEntry } from '../../src/http';
import { startTestAgent, type TestAgent } from './harness';

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD'];

let t: TestAgent;
let routes: RouteEntry[];
before(async () => {
  t = await startTestAgent();
  // The same API assembled once more over the running agent, to read its route table.
  const server = await createHttpServer(t.agent, { logger: pino({ level: 'silent' }) });
  routes = server.routes();
  await server.close();
});
after(async () => {
  await t.stop();
});

/** A path the route serves: each parameter and the wildcard filled with one segment. */
function samplePath(url: string): string {
  return url.replace(/:[^/]+/g, 'x').replace(/\*$/, 'x');
}

describe('method routing', () => {
  it('knows the endpoints the controllers register', () => {
    const urls = routes.map((route) => route.url);
    for (const url of [
      '/v1/kv/*',
      '/v1/agent/service/*',
      '/v1/agent/service/deregister/*',
      '/v1/agent/check/pass/*',
      '/v1/catalog/register',
      '/v1/health/service/*',
      '/v1/txn',
    ]) {
      assert.ok(urls.includes(url), `${url} missing from ${urls.join(' ')}`);
    }
  });

  it('answers every method an endpoint does not accept with 405 and its own Allow', async () => {
    const failures: string[] = [];
    let asked = 0;
    for (const route of routes) {
      const path = samplePath(route.url);
      const allow = ['OPTIONS', ...route.methods].join(',');
      for (const method of METHODS.filter((m) => !route.methods.includes(m))) {
        asked++;
        const result = await t.request(method, path);
        const body = method === 'HEAD' ? '' : `method ${method} not allowed`;
        if (result.status !== 405 || result.headers.allow !== allow || result.text !== body) {
          failures.push(
            `${method} ${path}: ${result.status} allow=${String(result.headers.allow)} ${JSON.stringify(result.text)} (want 405 allow=${allow})`,
          );
        }
      }
    }
    assert.ok(asked > 50, `only ${asked} mismatches asked`);
    assert.deepEqual(failures, []);
  });

  it('answers OPTIONS on every endpoint with 200 and its own Allow', async () => {
    for (const route of routes) {
      if (route.methods.includes('OPTIONS')) continue;
      const path = samplePath(route.url);
      const result = await t.request('OPTIONS', path);
      assert.equal(result.status, 200, path);
      assert.equal(result.headers.allow, ['OPTIONS', ...route.methods].join(','), path);
    }
  });

  it('answers GET on the PUT-only service deregistration with 405, not unknown service', async () => {
    await t.request('PUT', '/v1/agent/service/register', {
      body: JSON.stringify({ Name: 'web', ID: 'web-1' }),
    });
    const get = await t.request('GET', '/v1/agent/service/deregister/web-1');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'OPTIONS,PUT');
    assert.equal(get.text, 'method GET not allowed');
    // Still registered: the GET did nothing.
    assert.equal((await t.request('GET', '/v1/agent/service/web-1')).status, 200);
    const register = await t.request('GET', '/v1/agent/service/register');
    assert.equal(register.status, 405);
    assert.equal(register.headers.allow, 'OPTIONS,PUT');
  });

  it('still gives paths under a wildcard that no other endpoint owns to the wildcard', async () => {
    const unknown = await t.request('GET', '/v1/agent/service/register-not');
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /unknown service ID/);
    const put = await t.request('PUT', '/v1/agent/service/web-1');
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'OPTIONS,GET');
  });
});
