// One scenario for every proxy: render its backends from /v1/health/service/web, start it,
// then follow the catalog (a third instance, one critical, all critical) and reject a template
// change the proxy's own config check refuses — with real traffic checked at each step.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { defaultResource, type RenderErrorEvent, type TemplateResource } from '../../src/render';
import {
  eventuallyAnswers,
  freePort,
  get,
  registerBackend,
  requireBinary,
  startBackend,
  stopProcess,
  type Backend,
  type ProxyProcess,
} from './proxies';
import {
  eventually,
  fileContents,
  rendererFor,
  startTestAgent,
  tempDir,
  type TestAgent,
} from './support';

export const TEMPLATES = join(__dirname, '..', '..', '..', 'templates');

export interface ProxyUnderTest {
  binary: string;
  versionFlag: string;
  /** Shipped template rendering the backends. */
  template: string;
  /** Request path that reaches service web. */
  path: string;
  /** Writes the proxy's own files; returns the commands around the backends file. */
  prepare(
    dir: string,
    port: number,
    backendsFile: string,
  ): {
    check: string;
    reload: string;
    start(): ProxyProcess;
    log(): string;
    otherTemplates: TemplateResource[];
    env: NodeJS.ProcessEnv;
  };
  serverLine(backend: Backend, weight: number): RegExp;
  fallback: RegExp;
  /** Status the proxy answers with when no backend is healthy. */
  fallbackStatus: string;
  /** A line the proxy's check rejects, and what the check says about it. */
  invalidLine: string;
  invalidReport: RegExp;
}

export async function runProxyCycle(
  t: { after(fn: () => unknown): void },
  agent: TestAgent,
  [web1, web2, web3]: Backend[],
  proxy: ProxyUnderTest,
): Promise<void> {
  requireBinary(proxy.binary, proxy.versionFlag);
  const dir = tempDir(t);
  const port = await freePort();
  const backendsFile = join(dir, 'backends.conf');
  const source = join(dir, 'backends.hbs');
  copyFileSync(join(TEMPLATES, proxy.template), source);
  const setup = proxy.prepare(dir, port, backendsFile);
  await registerBackend(agent, 'web', web1, 'passing', 2);
  await registerBackend(agent, 'web', web2, 'passing');

  const renderer = rendererFor(
    t,
    agent,
    [
      defaultResource({
        source,
        destination: backendsFile,
        check: setup.check,
        command: setup.reload,
      }),
      ...setup.otherTemplates,
    ],
    { env: setup.env },
  );
  const errors: RenderErrorEvent[] = [];
  renderer.on('error', (event) => errors.push(event));
  let ready = false;
  renderer.once('ready', () => (ready = true));
  renderer.start();
  await eventually(() => ready, 'the first render').catch((err: Error) => {
    throw new Error(`${err.message}; errors: ${errors.map((e) => e.error.message).join('; ')}`);
  });
  const rendered = readFileSync(backendsFile, 'utf8');
  assert.match(rendered, proxy.serverLine(web1, 2));
  assert.match(rendered, proxy.serverLine(web2, 1));

  const server = setup.start();
  t.after(() => stopProcess(server));
  const traffic = (accept: (seen: Set<string>) => boolean, what: string): Promise<Set<string>> =>
    eventuallyAnswers(port, proxy.path, accept, what, setup.log);
  await traffic((s) => s.has('web1') && s.has('web2') && s.size === 2, 'web1 and web2');

  await registerBackend(agent, 'web', web3, 'passing');
  await traffic((s) => s.has('web3'), 'web3 to get traffic');

  await registerBackend(agent, 'web', web1, 'critical');
  await fileContents(backendsFile, (c) => !c.includes(`:${web1.port}`));
  await traffic(
    (s) => !s.has('web1') && s.has('web2') && s.has('web3') && s.size === 2,
    'web1 out of rotation',
  );

  // A template change the proxy's check rejects: the live file stays, the proxy keeps serving.
  const before = readFileSync(backendsFile, 'utf8');
  appendFileSync(source, `${proxy.invalidLine}\n`);
  await eventually(() => errors.length > 0, 'the check failure to be reported', 10_000);
  assert.match(errors[0].error.message, /^check command .* exited with code [1-9]/);
  assert.match(errors[0].error.message, proxy.invalidReport);
  assert.equal(readFileSync(backendsFile, 'utf8'), before);
  assert.equal((await get(port, proxy.path)).status, 200);
  copyFileSync(join(TEMPLATES, proxy.template), source);

  await registerBackend(agent, 'web', web2, 'critical');
  await registerBackend(agent, 'web', web3, 'critical');
  const fallback = await fileContents(backendsFile, (c) => proxy.fallback.test(c));
  assert.match(fallback, /# no passing instance of web/);
  await traffic((s) => s.size === 1 && s.has(proxy.fallbackStatus), `a ${proxy.fallbackStatus}`);
}

/** The scenario as a test suite: an agent and three backends for one proxy. */
export function describeProxy(title: string, proxy: ProxyUnderTest): void {
  describe(title, () => {
    let agent: TestAgent;
    const backends: Backend[] = [];
    before(async () => {
      agent = await startTestAgent();
      for (const name of ['web1', 'web2', 'web3']) backends.push(await startBackend(name));
    });
    after(async () => {
      for (const backend of backends) backend.server.close();
      await agent.stop();
    });
    it('routes to passing instances, follows health changes, and survives a bad template', (t) =>
      runProxyCycle(t, agent, backends, proxy));
  });
}
