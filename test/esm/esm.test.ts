// External services checked by `consulate esm` worker processes through BullMQ: a killed worker's
// checks keep running, status changes land within two intervals, the node probe writes the
// node's status, and a Redis restart is survived by agent and workers without a restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { Redis } from 'ioredis';

import { freePort, waitFor } from '../cluster-net/support';
import {
  checkStatuses,
  dropRedisPrefix,
  esmAgent,
  registerExternal,
  startWorker,
  Targets,
  type WorkerProcess,
} from './support';

const SHARED_REDIS = 'redis://127.0.0.1:6379/0';
// The machine is shared and often loaded: an interval long enough that a run (connect, answer,
// write) is never late by itself, so the deadline measures the failover.
const INTERVAL_MS = 8000;

async function allWith(base: string, ids: readonly string[], status: string): Promise<boolean> {
  const statuses = await checkStatuses(base);
  return ids.every((id) => statuses.get(id) === status);
}

test('200 external services on 3 workers: a kill -9 loses no check and changes land within 2 intervals', async (t) => {
  const prefix = `consulate-esm-test-${randomUUID()}`;
  t.after(() => dropRedisPrefix(SHARED_REDIS, prefix));
  const targets = new Targets();
  await targets.start();
  t.after(() => targets.stop());
  const agent = await esmAgent(
    `jobs { redis = "${SHARED_REDIS}" prefix = "${prefix}" } esm { enabled = true sync_interval = "500ms" node_probe_interval = "2s" node_probe_timeout = "2s" ping_port = 7 }`,
  );
  t.after(() => agent.shutdown());
  const base = `http://${agent.httpAddresses[0]}`;
  const services = await registerExternal(base, targets, 200, 10, `${INTERVAL_MS / 1000}s`, {
    'external-node': 'true',
    'external-probe': 'true',
  });
  const workers: WorkerProcess[] = [0, 1, 2].map(() =>
    startWorker(agent.httpAddresses[0], SHARED_REDIS, prefix, ['-concurrency=64']),
  );
  t.after(() => Promise.all(workers.map((w) => w.kill('SIGKILL'))));
  const ids = services.map((s) => s.checkId);
  await waitFor('every external check passing', () => allWith(base, ids, 'passing'), 90_000);
  await waitFor(
    'the node probe marking a reachable node passing',
    async () => (await checkStatuses(base)).get('ext-0/node') === 'passing',
    60_000,
  );

  await workers[0].kill('SIGKILL');
  const flipped = services.filter((s) => s.target % 10 === 3);
  await targets.fail(flipped.map((s) => s.target));
  const flippedIds = flipped.map((s) => s.checkId);
  const startedAt = Date.now();
  await waitFor(
    'the flipped checks critical',
    () => allWith(base, flippedIds, 'critical'),
    2 * INTERVAL_MS,
  );
  const landedMs = Date.now() - startedAt;
  assert.ok(landedMs <= 2 * INTERVAL_MS, `changes landed after ${landedMs} ms`);

  // Every check keeps being run by the two survivors: all of them answer a second flip.
  await targets.clear();
  await targets.fail(services.filter((s) => s.target % 2 === 0).map((s) => s.target));
  const even = services.filter((s) => s.target % 2 === 0).map((s) => s.checkId);
  const odd = services.filter((s) => s.target % 2 === 1).map((s) => s.checkId);
  await waitFor(
    'every check follows its target after the kill',
    async () => (await allWith(base, even, 'critical')) && (await allWith(base, odd, 'passing')),
    2 * INTERVAL_MS,
  );
});

test('a Redis restart is survived by the agent and the workers without restarting them', async (t) => {
  const port = await freePort('127.0.0.1');
  const url = `redis://127.0.0.1:${port}/0`;
  const startRedis = async () => {
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(
      'redis-server to answer',
      async () => {
        const probe = new Redis(url, {
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      10_000,
    );
    return server;
  };
  let redis = await startRedis();
  t.after(async () => {
    if (redis.exitCode === null) {
      redis.kill('SIGKILL');
      await once(redis, 'exit');
    }
  });
  const targets = new Targets();
  await targets.start();
  t.after(() => targets.stop());
  const agent = await esmAgent(
    `jobs { redis = "${url}" } esm { enabled = true sync_interval = "500ms" }`,
  );
  t.after(() => agent.shutdown());
  const base = `http://${agent.httpAddresses[0]}`;
  const services = await registerExternal(base, targets, 20, 5, '1s');
  const ids = services.map((s) => s.checkId);
  const workers = [0, 1].map(() => startWorker(agent.httpAddresses[0], url, 'consulate'));
  t.after(() => Promise.all(workers.map((w) => w.kill('SIGKILL'))));
  await waitFor('every check passing', () => allWith(base, ids, 'passing'), 90_000);

  redis.kill('SIGKILL');
  await once(redis, 'exit');
  await targets.fail(services.map((s) => s.target));
  // Redis stays down until both workers have noticed, so the outage is one they lived through.
  await waitFor(
    'both workers to report the outage',
    () => workers.every((w) => /retrying with backoff/.test(w.output())),
    15_000,
  );
  redis = await startRedis();
  await waitFor(
    'every check critical after Redis came back',
    () => allWith(base, ids, 'critical'),
    30_000,
  );
  await targets.clear();
  await waitFor('and passing again', () => allWith(base, ids, 'passing'), 10_000);
  for (const worker of workers) {
    assert.equal(worker.child.exitCode, null, worker.output());
    assert.match(worker.output(), /Redis reachable again/);
  }
});
