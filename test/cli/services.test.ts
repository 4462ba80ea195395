// `consulate services`, `catalog`, `maint` and `reload` against a real agent process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPHEMERAL_PORTS, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

let agent: RunningAgent;
let dir: string;
const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-cli-services-'));
  agent = await startAgent(['-dev', '-node', 'cli-node', ...EPHEMERAL_PORTS]);
});

after(async () => {
  await agent.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('services register from flags and from an HCL file, then catalog lists them', async () => {
  const fromFlags = cli([
    'services',
    'register',
    '-name=api',
    '-id=api-1',
    '-port=9000',
    '-tag=v1',
    '-tag=blue',
    '-meta=team=core',
  ]);
  assert.equal(fromFlags.status, 0, fromFlags.stderr);
  assert.equal(fromFlags.stdout, 'Registered service: api\n');
  const file = join(dir, 'db.hcl');
  writeFileSync(
    file,
    'service {\n  name = "db"\n  port = 5432\n  tags = ["primary"]\n  check {\n    ttl = "30s"\n  }\n}\n',
  );
  const fromFile = cli(['services', 'register', file]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, 'Registered service: db\n');

  await until(
    'services in the catalog',
    () => cli(['catalog', 'services']).stdout === 'api\nconsul\ndb\n',
  );
  assert.equal(
    cli(['catalog', 'services', '-tags']).stdout,
    'api     blue,v1\nconsul\ndb      primary\n',
  );
  assert.equal(cli(['catalog', 'services', '-node', 'cli-node']).stdout, 'api\nconsul\ndb\n');
  assert.equal(cli(['catalog', 'datacenters']).stdout, 'dc1\n');
  const nodes = cli(['catalog', 'nodes']);
  assert.equal(nodes.status, 0);
  assert.match(nodes.stdout, /^Node +ID +Address +DC\ncli-node +[0-9a-f]{8} +127\.0\.0\.1 +dc1\n$/);
  assert.match(cli(['catalog', 'nodes', '-service=db']).stdout, /cli-node/);
  assert.equal(
    cli(['catalog', 'nodes', '-service=nope']).stderr,
    'No nodes match the given query.\n',
  );
  assert.match(
    cli(['catalog', 'nodes', '-detailed']).stdout,
    /TaggedAddresses +Meta\n.*lan=127\.0\.0\.1/,
  );
  assert.equal(cli(['catalog', 'services', '-filter', 'ServiceName == "db"']).status, 0);
});

test('services deregister by -id and by file', async () => {
  assert.equal(
    cli(['services', 'deregister', '-id=api-1']).stdout,
    'Deregistered service: api-1\n',
  );
  assert.equal(
    cli(['services', 'deregister', join(dir, 'db.hcl')]).stdout,
    'Deregistered service: db\n',
  );
  const missing = cli(['services', 'deregister', '-id=api-1']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Unexpected response code: 404 \(Unknown service ID "api-1"/);
  await until('catalog emptied', () => cli(['catalog', 'services']).stdout === 'consul\n');
});

test('maint toggles node and service maintenance', () => {
  assert.equal(
    cli(['maint', '-enable', '-reason', 'upgrade']).stdout,
    'Node maintenance is now enabled\n',
  );
  assert.match(cli(['maint']).stdout, /^Node:\n {2}Name: {3}cli-node\n {2}Reason: upgrade\n/);
  assert.equal(cli(['maint', '-disable']).stdout, 'Node maintenance is now disabled\n');
  assert.equal(cli(['maint']).stdout, '');
  assert.equal(cli(['services', 'register', '-name=m']).status, 0);
  assert.equal(
    cli(['maint', '-enable', '-service', 'm']).stdout,
    'Service maintenance is now enabled\n',
  );
  assert.match(
    cli(['maint']).stdout,
    /Service:\n {2}ID: {5}m\n {2}Reason: Maintenance mode is enabled for this service/,
  );
  const both = cli(['maint', '-enable', '-disable']);
  assert.equal(both.status, 1);
  assert.equal(both.stderr, 'Only one of -enable or -disable may be provided\n');
});

test('reload without config sources answers Configuration reload triggered', () => {
  const reload = cli(['reload']);
  assert.equal(reload.status, 0, reload.stderr);
  assert.equal(reload.stdout, 'Configuration reload triggered\n');
});
