// Reloading config-file services and checks in-process: what changes, what keeps its status,
// what is refused as a whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';

import { admitService, decodeServiceInput } from '../../src/agent';
import { loadAgentConfig, parseAgentArgs, type AgentConfig } from '../../src/config';
import { startServerAgent } from '../../src/server';
import { EPHEMERAL_PORTS } from './spawn-agent';

function configOf(...hcl: string[]): AgentConfig {
  const args = ['-dev', ...EPHEMERAL_PORTS];
  for (const fragment of hcl) args.push('-hcl', fragment);
  return loadAgentConfig(parseAgentArgs(args)).config;
}

const WEB = 'service {\n name = "web"\n check { ttl = "30s" }\n}';
const EXTRA = (ttl: string): string =>
  `check {\n name = "extra"\n service_id = "web"\n ttl = "${ttl}"\n}`;

test('reload applies the difference and unchanged or changed checks keep their status', async (t) => {
  const agent = await startServerAgent(configOf(WEB, EXTRA('30s')), pino({ level: 'silent' }));
  t.after(() => agent.shutdown());
  const local = agent.local;
  local.updateTtl('service:web', 'passing', 'up');
  local.updateTtl('extra', 'passing', 'up');
  local.registerService(
    admitService(decodeServiceInput({ Name: 'api-only' }, 'api'), {
      source: 'api',
      scriptChecksAllowed: () => false,
    }),
    false,
  );

  agent.reload(configOf(WEB, EXTRA('45s'), 'service {\n name = "new"\n}'));
  assert.deepEqual(
    local.listServices().map((s) => [s.record.id, s.source.kind]),
    [
      ['api-only', 'api'],
      ['new', 'config'],
      ['web', 'config'],
    ],
  );
  assert.equal(local.check('service:web')?.status, 'passing');
  assert.equal(local.check('extra')?.status, 'passing');
  assert.equal(local.check('extra')?.definition.ttl, 45_000);

  // A check bound to a service that would not exist: refused, nothing changes.
  const broken = configOf('check {\n name = "orphan"\n service_id = "ghost"\n ttl = "1s"\n}');
  assert.throws(() => agent.reload(broken), /ServiceID "ghost" does not exist/);
  assert.equal(local.service('new')?.source.kind, 'config');
  assert.equal(local.check('orphan'), undefined);

  await local.syncNow();
  assert.equal(agent.store.catalogServiceNodes('web').value.length, 1);
  agent.reload(configOf());
  assert.deepEqual(
    local.listServices().map((s) => s.record.id),
    ['api-only'],
  );
  assert.equal(local.check('extra'), undefined);
  await local.syncNow();
  assert.equal(agent.store.catalogServiceNodes('web').value.length, 0);
  assert.equal(agent.store.catalogServiceNodes('api-only').value.length, 1);
});
