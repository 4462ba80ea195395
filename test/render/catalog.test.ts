// Service data through one shared watch: many templates reading one service make one blocking
// query on the agent; a health change re-renders them from /v1/health/service/<name>.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { registerBackend, startBackend, type Backend } from './proxies';
import {
  eventually,
  fileContents,
  inline,
  rendererFor,
  sleep,
  startTestAgent,
  tempDir,
  type TestAgent,
} from './support';

describe('renderer on service data', () => {
  let agent: TestAgent;
  let api: Backend;
  before(async () => {
    agent = await startTestAgent();
    api = await startBackend('api1');
  });
  after(async () => {
    api.server.close();
    await agent.stop();
  });

  it('opens one blocking query for 20 templates reading one service', async (t) => {
    const dir = tempDir(t);
    await registerBackend(agent, 'api', api, 'passing');
    const templates = Array.from({ length: 20 }, (_, i) =>
      inline(join(dir, `s${i}.txt`), `{{#each (service "api")}}${i}:{{Address}}:{{Port}}{{/each}}`),
    );
    const renderer = rendererFor(t, agent, templates);
    renderer.start();
    for (let i = 0; i < 20; i += 1) {
      await fileContents(join(dir, `s${i}.txt`), (c) => c === `${i}:127.0.0.1:${api.port}`);
    }
    assert.deepEqual(renderer.watchedDependencies(), ['health:api?passing']);
    await eventually(() => agent.agent.store.watchStats().waiters === 1, 'one blocking query');
    for (let probe = 0; probe < 10; probe += 1) {
      await sleep(20);
      assert.equal(agent.agent.store.watchStats().waiters, 1);
    }
    await registerBackend(agent, 'api', api, 'critical');
    for (let i = 0; i < 20; i += 1) await fileContents(join(dir, `s${i}.txt`), (c) => c === '');
  });
});
