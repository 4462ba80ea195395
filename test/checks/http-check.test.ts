import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runHttpCheck } from '../../src/agent/checks';
import {
  closedTcpPort,
  selfSignedCertificate,
  startHttpTarget,
  startHttpsTarget,
  type Target,
  type TlsMaterial,
} from './targets';

describe('HTTP check against a real server', () => {
  let target: Target;
  before(async () => {
    target = await startHttpTarget();
  });
  after(() => target.close());

  test('a 200 is passing with Consul output format', async () => {
    const result = await runHttpCheck({ url: `${target.url}/ok` });
    assert.deepEqual(result, {
      status: 'passing',
      output: `HTTP GET ${target.url}/ok: 200 OK Output: fine`,
    });
  });

  test('a 429 is warning', async () => {
    const result = await runHttpCheck({ url: `${target.url}/busy` });
    assert.equal(result.status, 'warning');
    assert.equal(
      result.output,
      `HTTP GET ${target.url}/busy: 429 Too Many Requests Output: slow down`,
    );
  });

  test('a 500 is critical', async () => {
    const result = await runHttpCheck({ url: `${target.url}/error` });
    assert.equal(result.status, 'critical');
    assert.equal(
      result.output,
      `HTTP GET ${target.url}/error: 500 Internal Server Error Output: boom`,
    );
  });

  test('a server that never answers is critical once the timeout passes', async () => {
    const started = performance.now();
    const result = await runHttpCheck({ url: `${target.url}/hang`, timeoutMs: 300 });
    const elapsed = performance.now() - started;
    assert.equal(result.status, 'critical');
    assert.equal(
      result.output,
      `Get "${target.url}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    assert.ok(elapsed >= 290 && elapsed < 2000, `took ${elapsed}ms`);
  });

  test('cancelling a run ends it at once as critical', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    const result = await runHttpCheck({ url: `${target.url}/hang` }, controller.signal);
    assert.equal(result.status, 'critical');
    assert.equal(result.output, `Get "${target.url}/hang": context canceled`);
    assert.ok(performance.now() - started < 1000);
  });

  test('a body that stalls after the headers still yields the status, with what arrived', async () => {
    const result = await runHttpCheck({ url: `${target.url}/stall`, timeoutMs: 300 });
    assert.equal(result.status, 'passing');
    assert.equal(result.output, `HTTP GET ${target.url}/stall: 200 OK Output: partial`);
  });

  test('an endless body is cut at outputMaxSize and the check returns', async () => {
    const result = await runHttpCheck({ url: `${target.url}/stream`, outputMaxSize: 100 });
    assert.equal(result.status, 'passing');
    assert.equal(result.output, `HTTP GET ${target.url}/stream: 200 OK Output: ${'x'.repeat(100)}`);
  });

  test('method, headers and body are sent, with Consul default headers', async () => {
    const before = target.requests.length;
    const result = await runHttpCheck({
      url: `${target.url}/echo`,
      method: 'PUT',
      header: { 'X-Probe': ['one', 'two'], Authorization: ['Bearer t'] },
      body: '{"ping":1}',
    });
    assert.equal(result.output, `HTTP PUT ${target.url}/echo: 200 OK Output: PUT {"ping":1}`);
    const seen = target.requests[before];
    assert.equal(seen.headers['x-probe'], 'one, two');
    assert.equal(seen.headers.authorization, 'Bearer t');
    assert.equal(seen.headers['user-agent'], 'Consul Health Check');
    assert.equal(seen.headers.accept, 'text/plain, text/*, */*');
    assert.equal(seen.headers.connection, 'close');
  });

  test('a User-Agent header replaces the default', async () => {
    const before = target.requests.length;
    await runHttpCheck({ url: `${target.url}/ok`, header: { 'User-Agent': ['mine'] } });
    assert.equal(target.requests[before].headers['user-agent'], 'mine');
  });

  test('redirects are followed, and the original URL is reported', async () => {
    const result = await runHttpCheck({ url: `${target.url}/redirect` });
    assert.equal(result.status, 'passing');
    assert.equal(result.output, `HTTP GET ${target.url}/redirect: 200 OK Output: fine`);
  });

  test('a redirect loop stops after 10 redirects', async () => {
    const result = await runHttpCheck({ url: `${target.url}/loop` });
    assert.equal(result.status, 'critical');
    assert.equal(result.output, `Get "${target.url}/loop": stopped after 10 redirects`);
  });
});

test('a refused connection is critical with the dial error', async () => {
  const port = await closedTcpPort();
  const result = await runHttpCheck({ url: `http://127.0.0.1:${port}/` });
  assert.deepEqual(result, {
    status: 'critical',
    output: `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
});

test('a malformed URL is critical', async () => {
  const result = await runHttpCheck({ url: 'not a url' });
  assert.equal(result.status, 'critical');
  assert.match(result.output, /^Get "not a url": /);
});

describe('HTTPS check against a self-signed server', () => {
  let tls: TlsMaterial;
  let target: Target & { serverNames: string[] };
  before(async () => {
    tls = selfSignedCertificate();
    target = await startHttpsTarget(tls);
  });
  after(() => target.close());

  test('an unverifiable certificate is critical', async () => {
    const result = await runHttpCheck({ url: `https://localhost:${target.port}/ok` });
    assert.equal(result.status, 'critical');
    assert.match(result.output, /self[- ]signed certificate/);
  });

  test('tlsSkipVerify accepts it', async () => {
    const result = await runHttpCheck({
      url: `https://localhost:${target.port}/ok`,
      tlsSkipVerify: true,
    });
    assert.equal(result.status, 'passing');
    assert.equal(
      result.output,
      `HTTP GET https://localhost:${target.port}/ok: 200 OK Output: fine`,
    );
  });

  test('tlsServerName is what the client asks for in SNI', async () => {
    target.serverNames.length = 0;
    const result = await runHttpCheck({
      url: `https://127.0.0.1:${target.port}/ok`,
      tlsSkipVerify: true,
      tlsServerName: 'check.example',
    });
    assert.equal(result.status, 'passing');
    assert.deepEqual(target.serverNames, ['check.example']);
  });
});
