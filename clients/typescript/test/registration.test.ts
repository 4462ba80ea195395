// registerService(): TTL heartbeats, HTTP checks, re-registration after the agent lost the
// service, deregistration on close() and on SIGTERM. Skipped until the agent serves the agent
// service/check endpoints.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Consul, registerService, ServiceRegistration } from '../src';
import {
  eventually,
  startAgentProcess,
  startAgentWithClient,
  type AgentProcess,
} from './agent-process';

let agent: AgentProcess;
let consul: Consul;

before(async () => ({ agent, consul } = await startAgentWithClient()));
after(() => agent.destroy());

describe('registerService', () => {
  test('a heartbeat period not below the TTL is refused', () => {
    assert.throws(
      () =>
        new ServiceRegistration(consul, {
          service: { Name: 'x' },
          check: { ttl: '2s', heartbeatMs: 2000 },
        }),
      /must be > 0 and below the TTL/,
    );
  });

  test('registers with a TTL check kept passing, and close() deregisters', async () => {
    const registration = await registerService(consul, {
      service: { Name: 'ttl-svc', ID: 'ttl-svc-1', Port: 8080, Tags: ['a'] },
      check: { ttl: '1s', heartbeatMs: 300 },
      handleSignals: false,
    });
    try {
      assert.equal((await consul.agent.services())['ttl-svc-1']?.Port, 8080);
      const status = async (): Promise<string | undefined> =>
        (await consul.agent.checks())['service:ttl-svc-1']?.Status;
      assert.equal(await status(), 'passing');
      await new Promise((done) => setTimeout(done, 2500)); // > 2 TTLs
      assert.equal(await status(), 'passing');
    } finally {
      await registration.close();
    }
    assert.equal((await consul.agent.services())['ttl-svc-1'], undefined);
    await registration.close(); // idempotent
  });

  test('registers an HTTP check the agent runs', async () => {
    const health = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((done) => health.listen(0, '127.0.0.1', done));
    const address = health.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const registration = await registerService(consul, {
      service: { Name: 'http-svc', Port: port },
      check: { http: `http://127.0.0.1:${port}/health`, interval: '1s', timeout: '1s' },
      handleSignals: false,
    });
    try {
      const check = (await consul.agent.checks())['service:http-svc'];
      assert.equal(check?.ServiceID, 'http-svc');
      await eventually(
        async () => (await consul.agent.checks())['service:http-svc']?.Status === 'passing',
        'the HTTP check to pass',
      );
    } finally {
      await registration.close();
      health.close();
    }
  });

  test('re-registers when the agent lost the service after a restart', async () => {
    const volatile = await startAgentProcess(); // in memory: a restart forgets the service
    const client = volatile.client();
    try {
      const registration = await registerService(client, {
        service: { Name: 'lost-svc', ID: 'lost-1' },
        check: { ttl: '2s', heartbeatMs: 200 },
        handleSignals: false,
      });
      let reregistered = 0;
      registration.on('reregistered', () => reregistered++);
      registration.on('error', () => undefined);
      await volatile.stop();
      await volatile.start();
      await eventually(() => reregistered > 0, 'the re-registration');
      assert.ok((await client.agent.services())['lost-1']);
      await eventually(
        async () => (await client.agent.checks())['service:lost-1']?.Status === 'passing',
        'the check to pass again',
      );
      await registration.close();
    } finally {
      await volatile.destroy();
    }
  });

  test('SIGTERM deregisters the service and the process exits', async () => {
    const child = spawn(
      process.execPath,
      [resolve(__dirname, 'registration-child.js'), agent.address, 'signal-1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes('registered'), 'the child to register');
    assert.ok((await consul.agent.services())['signal-1']);
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.once('exit', (_code, signal) => done(signal)),
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    assert.equal((await consul.agent.services())['signal-1'], undefined);
  });
});
