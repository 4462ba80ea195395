// acl.enable_token_persistence: a token set with PUT /v1/agent/token/:name is written to
// <data_dir>/acl-tokens.json and is in force again after the agent restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from '../agent/spawn-agent';

const MANAGEMENT = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const root = mkdtempSync(join(tmpdir(), 'consulate-token-persistence-'));
const running: RunningAgent[] = [];
after(async () => {
  for (const agent of running) await agent.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function start(): Promise<RunningAgent> {
  const config = join(root, 'acl.hcl');
  writeFileSync(
    config,
    `acl {\n  enabled = true\n  default_policy = "deny"\n  enable_token_persistence = true\n  tokens { initial_management = "${MANAGEMENT}" }\n}\n`,
  );
  const agent = await startAgent(
    [
      '-server',
      '-bootstrap',
      `-data-dir=${join(root, 'data')}`,
      '-bind=127.0.0.1',
      '-config-file',
      config,
      ...EPHEMERAL_PORTS,
    ],
    60_000,
  );
  running.push(agent);
  return agent;
}

/** Status of a KV read without a token, once the leader answers (403 while denied). */
async function anonymousRead(agent: RunningAgent): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${agent.baseUrl}/v1/kv/persisted`);
    await response.text();
    if (response.status !== 500 || Date.now() > deadline) return response.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a default token set through the API is persisted and used again after a restart', async () => {
  const first = await start();
  assert.equal(await anonymousRead(first), 403);
  const set = await fetch(`${first.baseUrl}/v1/agent/token/default`, {
    method: 'PUT',
    headers: { 'X-Consul-Token': MANAGEMENT },
    body: JSON.stringify({ Token: MANAGEMENT }),
  });
  assert.equal(set.status, 200, await set.text());
  assert.equal(await anonymousRead(first), 404);
  const file = JSON.parse(readFileSync(join(root, 'data', 'acl-tokens.json'), 'utf8')) as unknown;
  assert.deepEqual(file, { default: MANAGEMENT });
  await first.stop('SIGTERM');

  const second = await start();
  // The token from the file is the default again: requests without a token may read.
  assert.equal(await anonymousRead(second), 404);
});
