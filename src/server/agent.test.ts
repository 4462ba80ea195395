import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { loadAgentConfig, parseAgentArgs } from '../config';
import { startServerAgent } from './agent';

const quiet = pino({ level: 'silent' });

function devConfig(extra: string[] = []): ReturnType<typeof loadAgentConfig>['config'] {
  const args = [
    '-dev',
    '-http-port=0',
    '-dns-port=0',
    '-server-port=0',
    '-serf-lan-port=0',
    '-serf-wan-port=0',
    '-grpc-port=-1',
    ...extra,
  ];
  return loadAgentConfig(parseAgentArgs(args)).config;
}

test('a dev server agent applies commands through Raft and serves HTTP on an ephemeral port', async (t) => {
  const agent = await startServerAgent(devConfig(), quiet);
  t.after(() => agent.shutdown());
  assert.equal(agent.raft.isLeader(), true);
  assert.match(agent.httpAddresses[0], /^127\.0\.0\.1:\d+$/);
  assert.notEqual(agent.httpAddresses[0], '127.0.0.1:0');
  await agent.apply({ type: 'kv-set', key: 'a', value: Buffer.from('1'), flags: 0n });
  const { value } = agent.store.kvGet('a');
  assert.equal(Buffer.from(value?.value ?? []).toString(), '1');
  const response = await fetch(`http://${agent.httpAddresses[0]}/v1/kv/a?raw`);
  assert.equal(await response.text(), '1');
});

test('the leader reaps tombstones once they outlive tombstone_ttl', async (t) => {
  const agent = await startServerAgent(
    devConfig(['-hcl', 'consulate { tombstone_ttl = "150ms" }']),
    quiet,
  );
  t.after(() => agent.shutdown());
  const set = (key: string): Promise<unknown> =>
    agent.apply({ type: 'kv-set', key, value: Buffer.from('v'), flags: 0n });
  await set('gone/x');
  await agent.apply({ type: 'kv-delete', key: 'gone/x' });
  const deletedAt = agent.store.kvList('gone/').index;
  await set('other/y');
  assert.equal(
    agent.store.kvList('gone/').index,
    deletedAt,
    'the tombstone holds the prefix index',
  );
  const deadline = Date.now() + 3000;
  while (agent.store.kvList('gone/').index === deletedAt && Date.now() < deadline) await sleep(20);
  // With the tombstone gone the empty prefix falls back to the table index.
  assert.ok(agent.store.kvList('gone/').index > deletedAt);
});

test('shutdown is idempotent and closes the HTTP listener', async () => {
  const agent = await startServerAgent(devConfig(), quiet);
  const url = `http://${agent.httpAddresses[0]}/v1/kv/a`;
  assert.equal((await fetch(url)).status, 404);
  await Promise.all([agent.shutdown(), agent.shutdown()]);
  await agent.shutdown();
  await assert.rejects(fetch(url));
});
