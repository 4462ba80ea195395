// The agent's service and check endpoints against an in-process dev agent: registration rules
// and error texts, TTL reports, maintenance, local health, hash blocking, the reaper and
// anti-entropy into the catalog (read back through /v1/catalog and /v1/health).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { eventually, sleep, startTestAgent, type TestAgent } from '../http/harness';

let t: TestAgent;
let node: string;

before(async () => {
  t = await startTestAgent([
    '-hcl',
    'consulate {\n reap_interval = "100ms"\n min_deregister_critical_after = "0s"\n anti_entropy_interval = "300ms"\n}',
    '-hcl',
    'check_update_interval = "0s"',
  ]);
  node = t.agent.config.nodeName;
});
after(() => t.stop());

const put = (path: string, body?: unknown): ReturnType<TestAgent['request']> =>
  t.request('PUT', path, body === undefined ? {} : { body: JSON.stringify(body) });

async function getJson<T>(
  path: string,
): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const result = await t.request('GET', path);
  return { status: result.status, body: JSON.parse(result.text) as T, headers: result.headers };
}

interface HealthEntry {
  Service: { ID: string; Port: number; Tags: string[] };
  Checks: { CheckID: string; Status: string; Output: string; Notes: string }[];
}

function catalogChecks(): Map<string, { status: string; output: string }> {
  return new Map(
    t.agent.store
      .healthNodeChecks(node)
      .value.map((check) => [check.checkID, { status: check.status, output: check.output }]),
  );
}

describe('agent services and checks', () => {
  it('registers a service with embedded checks, IDs and names defaulted, and syncs it', async () => {
    const response = await put('/v1/agent/service/register', {
      Name: 'web',
      Tags: ['v1'],
      Port: 8080,
      Meta: { version: '1' },
      Checks: [{ TTL: '30s' }, { TTL: '60s', Name: 'second' }],
    });
    assert.equal(response.status, 200);
    assert.equal(response.text, '');
    const services =
      await getJson<Record<string, { ID: string; Weights: unknown }>>('/v1/agent/services');
    assert.deepEqual(services.body.web.Weights, { Passing: 1, Warning: 1 });
    const checks =
      await getJson<Record<string, { Name: string; ServiceID: string; Type: string }>>(
        '/v1/agent/checks',
      );
    assert.equal(checks.body['service:web:1'].Name, "Service 'web' check");
    assert.equal(checks.body['service:web:2'].Name, 'second');
    assert.equal(checks.body['service:web:1'].ServiceID, 'web');
    assert.equal(checks.body['service:web:1'].Type, 'ttl');
    await eventually(
      () => t.agent.store.catalogServiceNodes('web').value.length === 1,
      'web in the catalog',
    );
    const health = await getJson<HealthEntry[]>('/v1/health/service/web');
    assert.deepEqual(
      health.body[0].Checks.map((c) => c.CheckID),
      ['serfHealth', 'service:web:1', 'service:web:2'],
    );
    const catalog = await getJson<Record<string, string[]>>('/v1/catalog/services');
    assert.deepEqual(catalog.body.consul, []);
  });

  it('refuses bad registrations with Consul texts', async () => {
    const cases: [unknown, number, string][] = [
      [{ Port: 1 }, 400, 'Missing service name'],
      [{ Name: 'x', Service: 'x' }, 400, 'Request decode failed: json: unknown field "Service"'],
      [{ Name: 'x', Address: '0.0.0.0' }, 400, 'Invalid service address'],
      [
        { Name: 'x', Weights: { Passing: 0 } },
        400,
        'Invalid Weights: Passing must be greater than 0',
      ],
      [
        { Name: 'x', Meta: { 'consul-x': 'y' } },
        400,
        "Invalid Service Meta: Couldn't load metadata pair ('consul-x', 'y'): Key prefix 'consul-' is reserved for internal use",
      ],
      [
        { Name: 'x', Check: { TTL: '10s', Interval: '10s' } },
        400,
        'Invalid check: Interval and TTL cannot both be specified',
      ],
      [
        { Name: 'x', Check: { TTL: '10s', Status: 'bogus' } },
        400,
        "Status for checks must 'passing', 'warning', 'critical'",
      ],
      [
        { Name: 'x', Port: '80' },
        400,
        'Request decode failed: json: cannot unmarshal string into Go struct field Port of type int',
      ],
    ];
    for (const [body, status, text] of cases) {
      const response = await put('/v1/agent/service/register', body);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(response.text, text);
    }
    const check = await put('/v1/agent/check/register', {
      Name: 'c',
      TTL: '1s',
      ServiceID: 'nope',
    });
    assert.equal(check.status, 404);
    assert.equal(check.text, 'ServiceID "nope" does not exist');
    assert.equal((await put('/v1/agent/check/register', { TTL: '1s' })).text, 'Missing check name');
    const dereg = await put('/v1/agent/service/deregister/nope');
    assert.equal(dereg.status, 404);
    assert.equal(
      dereg.text,
      'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.',
    );
    const pass = await put('/v1/agent/check/pass/nope');
    assert.equal(pass.status, 500);
    assert.equal(pass.text, 'CheckID "nope" does not have associated TTL');
  });

  it('accepts snake_case and lower-case keys as python-consul sends them', async () => {
    const response = await put('/v1/agent/service/register', {
      name: 'snake',
      id: 'snake-1',
      enable_tag_override: true,
      check: { ttl: '10s', deregister_critical_service_after: '90m', status: 'passing' },
    });
    assert.equal(response.status, 200, response.text);
    const service = await getJson<{ EnableTagOverride: boolean }>('/v1/agent/service/snake-1');
    assert.equal(service.body.EnableTagOverride, true);
    const checks =
      await getJson<Record<string, { Status: string; Definition: Record<string, string> }>>(
        '/v1/agent/checks',
      );
    assert.equal(checks.body['service:snake-1'].Status, 'passing');
    assert.equal(
      checks.body['service:snake-1'].Definition.DeregisterCriticalServiceAfter,
      '1h30m0s',
    );
    assert.equal((await put('/v1/agent/service/deregister/snake-1')).status, 200);
  });

  it('TTL pass/warn/fail change the check, local health and catalog health', async () => {
    await put('/v1/agent/service/register', { Name: 'ttl', Check: { TTL: '30s' } });
    let local = await t.request('GET', '/v1/agent/health/service/id/ttl?format=text');
    assert.equal(local.status, 503);
    assert.equal(local.text, 'critical');
    assert.equal((await put('/v1/agent/check/pass/service:ttl?note=all%20good')).status, 200);
    local = await t.request('GET', '/v1/agent/health/service/name/ttl');
    assert.equal(local.status, 200);
    assert.equal(
      (JSON.parse(local.text) as { AggregatedStatus: string }[])[0].AggregatedStatus,
      'passing',
    );
    await eventually(
      () => catalogChecks().get('service:ttl')?.status === 'passing',
      'passing synced',
    );
    assert.equal(catalogChecks().get('service:ttl')?.output, 'all good');
    await put('/v1/agent/check/warn/service:ttl');
    assert.equal((await t.request('GET', '/v1/agent/health/service/id/ttl')).status, 429);
    const update = await put('/v1/agent/check/update/service:ttl', {
      Status: 'critical',
      Output: 'down',
    });
    assert.equal(update.status, 200);
    await eventually(
      () => catalogChecks().get('service:ttl')?.status === 'critical',
      'critical synced',
    );
    const bad = await put('/v1/agent/check/update/service:ttl', { Status: 'meh' });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, "Invalid check status: 'meh'");
    const missing = await t.request('GET', '/v1/agent/health/service/name/absent?format=text');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, 'ServiceName absent Not Found');
  });

  it('node and service maintenance add and remove Consul maintenance checks', async () => {
    await put('/v1/agent/service/register', {
      Name: 'maint',
      Check: { TTL: '30s', Status: 'passing' },
    });
    assert.equal(
      (await put('/v1/agent/service/maintenance/maint')).text,
      'Missing value for enable',
    );
    assert.equal(
      (await put('/v1/agent/service/maintenance/maint?enable=yes')).text,
      'Invalid value for enable: "yes"',
    );
    assert.equal((await put('/v1/agent/service/maintenance/ghost?enable=true')).status, 404);
    assert.equal(
      (await put('/v1/agent/service/maintenance/maint?enable=true&reason=deploy')).status,
      200,
    );
    const byId = await getJson<{ AggregatedStatus: string }>('/v1/agent/health/service/id/maint');
    assert.equal(byId.status, 503);
    assert.equal(byId.body.AggregatedStatus, 'maintenance');
    await eventually(
      () => catalogChecks().get('_service_maintenance:maint')?.status === 'critical',
      'service maintenance synced',
    );
    const checks =
      await getJson<Record<string, { Name: string; Notes: string }>>('/v1/agent/checks');
    assert.equal(checks.body['_service_maintenance:maint'].Name, 'Service Maintenance Mode');
    assert.equal(checks.body['_service_maintenance:maint'].Notes, 'deploy');
    await put('/v1/agent/service/maintenance/maint?enable=false');
    assert.equal((await t.request('GET', '/v1/agent/health/service/id/maint')).status, 200);

    assert.equal((await put('/v1/agent/maintenance?enable=true')).status, 200);
    const nodeChecks =
      await getJson<Record<string, { Name: string; Notes: string }>>('/v1/agent/checks');
    assert.equal(nodeChecks.body._node_maintenance.Name, 'Node Maintenance Mode');
    assert.equal(
      nodeChecks.body._node_maintenance.Notes,
      'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.',
    );
    assert.equal((await t.request('GET', '/v1/agent/health/service/id/maint')).status, 503);
    await eventually(() => catalogChecks().has('_node_maintenance'), 'node maintenance synced');
    await put('/v1/agent/maintenance?enable=false');
    await eventually(() => !catalogChecks().has('_node_maintenance'), 'node maintenance removed');
  });

  it('GET /agent/service/:id blocks on ?hash until the service changes', async () => {
    await put('/v1/agent/service/register', { Name: 'hashed', Port: 1 });
    const first = await getJson<{ ContentHash: string }>('/v1/agent/service/hashed');
    assert.equal(first.headers['x-consul-contenthash'], first.body.ContentHash);
    const started = Date.now();
    const blocked = t.request(
      'GET',
      `/v1/agent/service/hashed?hash=${first.body.ContentHash}&wait=5s`,
    );
    await sleep(100);
    await put('/v1/agent/service/register', { Name: 'hashed', Port: 2 });
    const changed = JSON.parse((await blocked).text) as { Port: number; ContentHash: string };
    assert.equal(changed.Port, 2);
    assert.notEqual(changed.ContentHash, first.body.ContentHash);
    assert.ok(Date.now() - started < 4000);
    const unknown = await t.request('GET', '/v1/agent/service/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, 'unknown service ID: nope');
  });

  it('re-registering keeps checks unless replace-existing-checks', async () => {
    await put('/v1/agent/service/register', {
      Name: 'rep',
      Checks: [{ TTL: '9s' }, { TTL: '9s' }],
    });
    await put('/v1/agent/check/pass/service:rep:1');
    await put('/v1/agent/service/register', {
      Name: 'rep',
      Checks: [{ TTL: '9s' }, { TTL: '9s' }],
    });
    let checks = await getJson<Record<string, { Status: string }>>('/v1/agent/checks');
    assert.equal(checks.body['service:rep:1'].Status, 'passing', 'status kept');
    await put('/v1/agent/service/register?replace-existing-checks', {
      Name: 'rep',
      Check: { TTL: '9s' },
    });
    checks = await getJson<Record<string, { Status: string }>>('/v1/agent/checks');
    assert.ok(checks.body['service:rep'] !== undefined);
    assert.equal(checks.body['service:rep:1'], undefined);
    assert.equal(checks.body['service:rep:2'], undefined);
  });

  it('?filter selects services and checks', async () => {
    const services = await getJson<Record<string, unknown>>(
      `/v1/agent/services?filter=${encodeURIComponent('Service == "web"')}`,
    );
    assert.deepEqual(Object.keys(services.body), ['web']);
    const checks = await getJson<Record<string, unknown>>(
      `/v1/agent/checks?filter=${encodeURIComponent('ServiceID == "web"')}`,
    );
    assert.deepEqual(Object.keys(checks.body), ['service:web:1', 'service:web:2']);
    const bad = await t.request('GET', '/v1/agent/services?filter=%3D%3D');
    assert.equal(bad.status, 500);
    assert.match(bad.text, /^Failed to create boolean expression evaluator/);
  });

  it('reaps a service whose check stays critical past DeregisterCriticalServiceAfter', async () => {
    await put('/v1/agent/service/register', {
      Name: 'doomed',
      Check: { TTL: '30s', DeregisterCriticalServiceAfter: '200ms' },
    });
    await eventually(
      () => t.agent.store.catalogServiceNodes('doomed').value.length === 1,
      'synced',
    );
    await eventually(() => t.agent.local.service('doomed') === undefined, 'reaped', 5000);
    await eventually(
      () => t.agent.store.catalogServiceNodes('doomed').value.length === 0,
      'removed',
    );
  });

  it('anti-entropy puts back what /v1/catalog/register changed on its node', async () => {
    await put('/v1/agent/service/register', { Name: 'steady', Port: 7000 });
    await eventually(
      () => t.agent.store.catalogServiceNodes('steady').value.length === 1,
      'synced',
    );
    const address = t.agent.config.advertiseAddr;
    for (const service of [
      { Service: 'steady', Port: 1 },
      { Service: 'intruder', Port: 2 },
    ]) {
      const response = await put('/v1/catalog/register', {
        Node: node,
        Address: address,
        Service: service,
      });
      assert.equal(response.status, 200, response.text);
    }
    assert.equal(t.agent.store.catalogServiceNodes('intruder').value.length, 1);
    await eventually(
      () =>
        t.agent.store.catalogServiceNodes('intruder').value.length === 0 &&
        t.agent.store.catalogServiceNodes('steady').value[0]?.service.port === 7000,
      'drift repaired',
      5000,
    );
    const nodeChecks = catalogChecks();
    assert.equal(nodeChecks.get('serfHealth')?.status, 'passing');
    assert.equal(t.agent.store.catalogServiceNodes('consul').value.length, 1);
  });

  it('/v1/agent/members lists this agent, alive', async () => {
    const members =
      await getJson<{ Name: string; Status: number; Tags: Record<string, string> }[]>(
        '/v1/agent/members',
      );
    assert.equal(members.body.length, 1);
    assert.equal(members.body[0].Name, node);
    assert.equal(members.body[0].Status, 1);
    assert.equal(members.body[0].Tags.role, 'consul');
  });
});
