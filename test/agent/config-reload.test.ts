// Services and checks from a config dir in a real agent process: loaded at start, reloaded on
// SIGHUP, `consulate reload` and auto_reload_config; a broken file keeps the running state; API
// registrations survive a restart with -data-dir and are left alone by reloads.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EPHEMERAL_PORTS, MAIN, runCli, startAgent, type RunningAgent } from './spawn-agent';

interface HealthEntry {
  Service: { ID: string; Port: number; Tags: string[] };
  Checks: { CheckID: string; Status: string }[];
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-services-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function get<T>(agent: RunningAgent, path: string): Promise<T> {
  const response = await fetch(`${agent.baseUrl}${path}`);
  return (await response.json()) as T;
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

test('config-dir services: start, change on SIGHUP, a broken file keeps the old state', async (t) => {
  const dir = tempDir(t);
  const web = createHttpServer((_req, res) => res.end('ok'));
  const redis = createTcpServer((socket) => socket.end());
  const webPort = await listen(web);
  const redisPort = await listen(redis);
  t.after(() => {
    web.close();
    redis.close();
  });
  const webFile = (tags: string[]): string =>
    JSON.stringify({
      service: {
        name: 'web',
        port: webPort,
        tags,
        check: { http: `http://127.0.0.1:${webPort}/health`, interval: '1s', timeout: '1s' },
      },
    });
  writeFileSync(join(dir, 'web.json'), webFile(['v1']));
  writeFileSync(
    join(dir, 'redis.hcl'),
    `service {\n  name = "redis"\n  port = ${redisPort}\n  check {\n    tcp = "127.0.0.1:${redisPort}"\n    interval = "1s"\n  }\n}\n`,
  );
  const agent = await startAgent(['-dev', '-config-dir', dir, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));

  const passing = (entries: HealthEntry[]): boolean =>
    entries.length === 1 && entries[0].Checks.every((check) => check.Status === 'passing');
  await until('web passing', () => get<HealthEntry[]>(agent, '/v1/health/service/web'), passing);
  await until(
    'redis passing',
    () => get<HealthEntry[]>(agent, '/v1/health/service/redis'),
    passing,
  );

  // Change web's tags, remove redis, add a TTL-checked worker; then SIGHUP.
  writeFileSync(join(dir, 'web.json'), webFile(['v2']));
  unlinkSync(join(dir, 'redis.hcl'));
  writeFileSync(
    join(dir, 'worker.json'),
    JSON.stringify({ services: [{ name: 'worker', checks: [{ ttl: '30s' }] }] }),
  );
  agent.child.kill('SIGHUP');
  await until(
    'reloaded catalog',
    () => get<Record<string, string[]>>(agent, '/v1/catalog/services'),
    (services) =>
      JSON.stringify(services) === JSON.stringify({ consul: [], web: ['v2'], worker: [] }),
  );
  // The unchanged web check kept its status: no critical blip after the reload.
  const webHealth = await get<HealthEntry[]>(agent, '/v1/health/service/web');
  assert.equal(webHealth[0].Checks.find((c) => c.CheckID === 'service:web')?.Status, 'passing');
  const worker = await get<HealthEntry[]>(agent, '/v1/health/service/worker');
  assert.equal(worker[0].Checks.find((c) => c.CheckID === 'service:worker')?.Status, 'critical');

  // A broken file: SIGHUP logs the error, `consulate reload` fails, nothing changes.
  writeFileSync(join(dir, 'broken.json'), JSON.stringify({ service: { name: 'x', port: 'many' } }));
  agent.child.kill('SIGHUP');
  await until(
    'the reload error in the log',
    async () => agent.output(),
    (out) => out.includes('failed to reload configuration'),
  );
  assert.match(agent.output(), /broken\.json: services\[0\]\.port: invalid value "many"/);
  const cli = runCli(['reload', '-http-addr', agent.address]);
  assert.equal(cli.status, 1);
  assert.match(
    cli.stderr,
    /^Error reloading: Unexpected response code: 500 \(failed to parse .*broken\.json/,
  );
  const services = await get<Record<string, string[]>>(agent, '/v1/catalog/services');
  assert.deepEqual(Object.keys(services).sort(), ['consul', 'web', 'worker']);

  unlinkSync(join(dir, 'broken.json'));
  unlinkSync(join(dir, 'worker.json'));
  const ok = runCli(['reload', '-http-addr', agent.address]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'Configuration reload triggered\n');
  await until(
    'worker removed',
    () => get<unknown[]>(agent, '/v1/catalog/service/worker'),
    (list) => list.length === 0,
  );
});

test('API registrations persist in -data-dir, survive a restart and are untouched by reload', async (t) => {
  const dir = tempDir(t);
  const configDir = join(dir, 'config');
  const dataDir = join(dir, 'data');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'file.json'), JSON.stringify({ service: { name: 'from-file' } }));
  const args = ['-dev', '-data-dir', dataDir, '-config-dir', configDir, ...EPHEMERAL_PORTS];
  let agent = await startAgent(args);
  t.after(() => agent.stop('SIGKILL'));
  const put = (path: string, body?: unknown): Promise<Response> =>
    fetch(`${agent.baseUrl}${path}`, {
      method: 'PUT',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  assert.equal(
    (await put('/v1/agent/service/register', { Name: 'api-svc', Port: 99, Check: { TTL: '1m' } }))
      .status,
    200,
  );
  assert.equal(
    (await put('/v1/agent/service/maintenance/api-svc?enable=true&reason=r')).status,
    200,
  );
  assert.equal((await put('/v1/agent/maintenance?enable=true&reason=node work')).status, 200);

  writeFileSync(join(configDir, 'file.json'), JSON.stringify({ service: { name: 'renamed' } }));
  assert.equal((await put('/v1/agent/reload')).status, 200);
  let services = await get<Record<string, { Port: number }>>(agent, '/v1/agent/services');
  assert.deepEqual(Object.keys(services), ['api-svc', 'renamed']);

  assert.equal(await agent.stop('SIGTERM'), 0);
  agent = await startAgent(args);
  services = await get<Record<string, { Port: number }>>(agent, '/v1/agent/services');
  assert.deepEqual(Object.keys(services), ['api-svc', 'renamed']);
  assert.equal(services['api-svc'].Port, 99);
  const checks = await get<Record<string, { Notes: string }>>(agent, '/v1/agent/checks');
  assert.deepEqual(Object.keys(checks).sort(), [
    '_node_maintenance',
    '_service_maintenance:api-svc',
    'service:api-svc',
  ]);
  assert.equal(checks._node_maintenance.Notes, 'node work');
  await until(
    'restored services in the catalog',
    () => get<Record<string, string[]>>(agent, '/v1/catalog/services'),
    (catalog) => Object.keys(catalog).sort().join() === 'api-svc,consul,renamed',
  );
  const maint = runCli(['maint', '-http-addr', agent.address]);
  assert.equal(maint.status, 0);
  assert.match(maint.stdout, /Node:\n {2}Name: {3}\S+\n {2}Reason: node work\n/);
  assert.match(maint.stdout, /Service:\n {2}ID: {5}api-svc\n {2}Reason: r\n/);
});

test('auto_reload_config reloads when a file in the config dir changes', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'agent.hcl'), 'auto_reload_config = true\n');
  const agent = await startAgent(['-dev', '-config-dir', dir, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  // chokidar needs a moment to start watching before the first write can be seen.
  await new Promise((resolve) => setTimeout(resolve, 300));
  writeFileSync(join(dir, 'late.json'), JSON.stringify({ service: { name: 'late', port: 1 } }));
  await until(
    'late registered',
    () => get<Record<string, unknown>>(agent, '/v1/agent/services'),
    (services) => 'late' in services,
  );
});

test('a bad service definition stops the agent at start-up with exit 1', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'svc.json'),
    JSON.stringify({ service: { name: 'x', weights: { passing: 0 } } }),
  );
  const result = spawnSync(
    process.execPath,
    [MAIN, 'agent', '-dev', '-config-dir', dir, ...EPHEMERAL_PORTS],
    {
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /svc\.json: services\[0\] \(name "x"\): Invalid Weights: Passing must be greater than 0/,
  );
});
