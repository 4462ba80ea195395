// `consulate acl …` against an agent process with ACLs on: bootstrap once, policies, tokens
// and roles, Consul's pretty output and -format=json.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { EPHEMERAL_PORTS, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

let agent: RunningAgent;
let management = '';
const cli = (args: string[], token = management): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN: token } });

before(async () => {
  agent = await startAgent([
    '-dev',
    ...EPHEMERAL_PORTS,
    '-hcl',
    'acl {\n enabled = true\n default_policy = "deny"\n}',
  ]);
});
after(() => agent.stop('SIGTERM'));

test('acl bootstrap prints the management token once, then fails', async () => {
  // The leader creates the built-ins right after it is elected.
  let first = cli(['acl', 'bootstrap']);
  for (let i = 0; i < 50 && first.status !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    first = cli(['acl', 'bootstrap']);
  }
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^AccessorID: {7}[0-9a-f-]{36}\nSecretID: {9}[0-9a-f-]{36}\n/);
  assert.match(first.stdout, /Description: {6}Bootstrap Token \(Global Management\)\n/);
  assert.match(
    first.stdout,
    /Policies:\n {3}00000000-0000-0000-0000-000000000001 - global-management/,
  );
  management = /SecretID: +(\S+)/.exec(first.stdout)?.[1] ?? '';
  const second = cli(['acl', 'bootstrap']);
  assert.equal(second.status, 1);
  assert.match(second.stderr, /ACL bootstrap no longer allowed \(reset index: \d+\)/);
});

test('policy create, token create with it, and the token works for what the policy allows', () => {
  const policy = cli([
    'acl',
    'policy',
    'create',
    '-name',
    'app-kv',
    '-rules',
    'key_prefix "app/" { policy = "write" }',
  ]);
  assert.equal(policy.status, 0, policy.stderr);
  assert.match(policy.stdout, /^ID: {11}\S+\nName: {9}app-kv\n/);
  const token = cli([
    'acl',
    'token',
    'create',
    '-description',
    'app',
    '-policy-name',
    'app-kv',
    '-format',
    'json',
  ]);
  assert.equal(token.status, 0, token.stderr);
  const secret = (JSON.parse(token.stdout) as { SecretID: string }).SecretID;
  assert.equal(cli(['kv', 'put', 'app/x', '1'], secret).status, 0);
  const refused = cli(['kv', 'put', 'other', '1'], secret);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /Permission denied/);
  const self = cli(['acl', 'token', 'read', '-self'], secret);
  assert.match(self.stdout, /Description: {6}app\n/);
});

test('policy list, role create and read, token list', () => {
  const policies = cli(['acl', 'policy', 'list']);
  assert.match(policies.stdout, /^app-kv:\n {3}ID: /m);
  assert.match(policies.stdout, /^global-management:\n/m);
  const role = cli(['acl', 'role', 'create', '-name', 'ops', '-policy-name', 'app-kv']);
  assert.equal(role.status, 0, role.stderr);
  const read = cli(['acl', 'role', 'read', '-name', 'ops']);
  assert.match(read.stdout, /Name: {9}ops\n/);
  assert.match(read.stdout, /Policies:\n {3}\S+ - app-kv/);
  const tokens = cli(['acl', 'token', 'list']);
  assert.match(tokens.stdout, /Description: {6}Anonymous Token/);
});

test('an unknown subcommand prints the usage and exits 1', () => {
  const result = cli(['acl', 'nothing']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /Usage: consulate acl <subcommand>/);
});
