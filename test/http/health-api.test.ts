// /v1/health over real HTTP: the HealthCheck and CheckServiceNode JSON (whole objects), ?passing,
// ?tag, ?node-meta, ?filter (good and bad), ?near=_agent and the state listing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { placeNodes } from './coordinate-helpers';
import { startTestAgent, type HttpResult, type TestAgent } from './harness';

// The agent's own node (service `consul`, check `serfHealth`) sorts last.
const AGENT = 'zeta';

let t: TestAgent;
before(async () => {
  t = await startTestAgent(['-node', AGENT]);
  await waitForSelfRegistration(t);
  // web on three nodes: all passing on web-a, a warning service check on web-b, a critical
  // node-level check on web-c. db on web-a only; consul also on alpha.
  await register({
    Node: 'web-a',
    Address: '10.0.0.1',
    NodeMeta: { zone: 'a' },
    Service: { ID: 'web', Service: 'web', Tags: ['v1'], Port: 80 },
    Checks: [
      { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Output: 'ok' },
      {
        CheckID: 'web-http',
        Name: 'web http',
        Status: 'passing',
        ServiceID: 'web',
        Notes: 'GET /health',
        Interval: '10s',
        Definition: {
          HTTP: 'http://10.0.0.1/health',
          Method: 'GET',
          Header: { 'X-B': ['2'], 'X-A': ['1'] },
          TLSSkipVerify: true,
          Interval: '60s',
          Timeout: 5000000000,
          DeregisterCriticalServiceAfter: '90m',
        },
      },
    ],
  });
  await register({
    Node: 'web-a',
    Address: '10.0.0.1',
    NodeMeta: { zone: 'a' },
    Service: { ID: 'db', Service: 'db', Port: 5432 },
    Check: { CheckID: 'db-tcp', Name: 'db tcp', Status: 'passing', ServiceID: 'db' },
  });
  await register({
    Node: 'web-b',
    Address: '10.0.0.2',
    NodeMeta: { zone: 'b' },
    Service: { ID: 'web', Service: 'web', Tags: ['v2'], Port: 80 },
    Check: { CheckID: 'web-ttl', Name: 'web ttl', Status: 'warning', ServiceID: 'web' },
  });
  await register({
    Node: 'alpha',
    Address: '10.0.0.9',
    Service: { Service: 'consul', Port: 8300 },
  });
  await register({
    Node: 'web-c',
    Address: '10.0.0.3',
    NodeMeta: { zone: 'a' },
    Service: { ID: 'web', Service: 'web', Tags: ['v1', 'v2'], Port: 80 },
    Check: { CheckID: 'maint', Name: 'node down', Status: 'critical' },
  });
});
after(async () => {
  await t.stop();
});

async function register(body: unknown): Promise<void> {
  const result = await t.request('PUT', '/v1/catalog/register', { body: JSON.stringify(body) });
  assert.equal(result.status, 200, result.text);
}
const get = (path: string): Promise<HttpResult> => t.request('GET', path);
const json = (result: HttpResult): unknown => JSON.parse(result.text);
const q = encodeURIComponent;

interface Check {
  Node: string;
  CheckID: string;
  Status: string;
  CreateIndex: number;
  ModifyIndex: number;
}
interface Entry {
  Node: { Node: string; CreateIndex: number; ModifyIndex: number };
  Service: { ID: string; CreateIndex: number; ModifyIndex: number };
  Checks: Check[];
}

const nodesOf = async (path: string): Promise<string[]> =>
  (json(await get(path)) as Entry[]).map((entry) => entry.Node.Node);
const checkIdsOf = async (path: string): Promise<string[]> =>
  (json(await get(path)) as Check[]).map((check) => `${check.Node}/${check.CheckID}`);

describe('health JSON shapes', () => {
  it('lists a node’s checks as HealthCheck objects, Go durations in Definition', async () => {
    const checks = json(await get('/v1/health/node/web-a')) as Check[];
    const at = (i: number): { CreateIndex: number; ModifyIndex: number } => ({
      CreateIndex: checks[i].CreateIndex,
      ModifyIndex: checks[i].ModifyIndex,
    });
    const expected = [
      {
        Node: 'web-a',
        CheckID: 'db-tcp',
        Name: 'db tcp',
        Status: 'passing',
        Notes: '',
        Output: '',
        ServiceID: 'db',
        ServiceName: 'db',
        ServiceTags: [],
        Type: '',
        Interval: '',
        Timeout: '',
        ExposedPort: 0,
        Definition: {},
        ...at(0),
      },
      {
        Node: 'web-a',
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Notes: '',
        Output: 'ok',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
        Type: '',
        Interval: '',
        Timeout: '',
        ExposedPort: 0,
        Definition: {},
        ...at(1),
      },
      {
        Node: 'web-a',
        CheckID: 'web-http',
        Name: 'web http',
        Status: 'passing',
        Notes: 'GET /health',
        Output: '',
        ServiceID: 'web',
        ServiceName: 'web',
        ServiceTags: ['v1'],
        Type: 'http',
        Interval: '10s',
        Timeout: '',
        ExposedPort: 0,
        Definition: {
          Interval: '1m0s',
          Timeout: '5s',
          DeregisterCriticalServiceAfter: '1h30m0s',
          HTTP: 'http://10.0.0.1/health',
          TLSSkipVerify: true,
          Header: { 'X-A': ['1'], 'X-B': ['2'] },
          Method: 'GET',
        },
        ...at(2),
      },
    ];
    assert.deepEqual(checks, expected);
    assert.deepEqual(Object.keys(checks[2]), Object.keys(expected[2]));
    assert.deepEqual(
      Object.keys((checks[2] as unknown as { Definition: object }).Definition),
      Object.keys(expected[2].Definition),
    );
    assert.deepEqual(json(await get('/v1/health/node/no-such-node')), []);
  });

  it('lists a service’s instances with node, service and node+service checks', async () => {
    const entries = json(await get('/v1/health/service/web')) as Entry[];
    assert.deepEqual(
      entries.map((entry) => entry.Node.Node),
      ['web-a', 'web-b', 'web-c'],
    );
    const webA = entries[0];
    assert.deepEqual(webA.Node, {
      ID: '',
      Node: 'web-a',
      Address: '10.0.0.1',
      Datacenter: 'dc1',
      TaggedAddresses: null,
      Meta: { zone: 'a' },
      CreateIndex: webA.Node.CreateIndex,
      ModifyIndex: webA.Node.ModifyIndex,
    });
    assert.deepEqual(webA.Service, {
      ID: 'web',
      Service: 'web',
      Tags: ['v1'],
      Address: '',
      Meta: {},
      Port: 80,
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
      Connect: {},
      CreateIndex: webA.Service.CreateIndex,
      ModifyIndex: webA.Service.ModifyIndex,
    });
    // Node-level checks first, then the instance's own; db's check is not web's.
    assert.deepEqual(
      webA.Checks.map((check) => check.CheckID),
      ['serfHealth', 'web-http'],
    );
    assert.deepEqual(Object.keys(entries[2]), ['Node', 'Service', 'Checks']);
    assert.deepEqual(json(await get('/v1/health/service/no-such-service')), []);
  });

  it('lists a service’s checks without node-level checks', async () => {
    assert.deepEqual(await checkIdsOf('/v1/health/checks/web'), [
      'web-a/web-http',
      'web-b/web-ttl',
    ]);
    assert.deepEqual(json(await get('/v1/health/checks/nothing')), []);
  });

  it('lists checks by state; any is all; unknown states match nothing', async () => {
    assert.deepEqual(await checkIdsOf('/v1/health/state/critical'), ['web-c/maint']);
    assert.deepEqual(await checkIdsOf('/v1/health/state/warning'), ['web-b/web-ttl']);
    assert.deepEqual(await checkIdsOf('/v1/health/state/any'), [
      'web-a/db-tcp',
      'web-a/serfHealth',
      'web-a/web-http',
      'web-b/web-ttl',
      'web-c/maint',
      `${AGENT}/serfHealth`,
    ]);
    assert.deepEqual(json(await get('/v1/health/state/bogus')), []);
  });

  it('refuses empty names and states', async () => {
    for (const [path, text] of [
      ['/v1/health/node/', 'Missing node name'],
      ['/v1/health/checks/', 'Missing service name'],
      ['/v1/health/service/', 'Missing service name'],
      ['/v1/health/state/', 'Missing check state'],
    ]) {
      const result = await get(path);
      assert.equal(result.status, 400, path);
      assert.equal(result.text, text, path);
    }
  });
});

describe('health listing parameters', () => {
  it('?passing drops instances with any non-passing check, warnings and node checks included', async () => {
    assert.deepEqual(await nodesOf('/v1/health/service/web?passing'), ['web-a']);
    for (const value of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      assert.deepEqual(await nodesOf(`/v1/health/service/web?passing=${value}`), ['web-a']);
    }
    for (const value of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
      assert.equal((await nodesOf(`/v1/health/service/web?passing=${value}`)).length, 3);
    }
  });

  it('answers a ?passing that is not a Go bool with 400', async () => {
    for (const value of ['yes', 'on', '2', 'tRUE']) {
      const result = await get(`/v1/health/service/web?passing=${value}`);
      assert.equal(result.status, 400, value);
      assert.equal(result.text, 'Invalid value for ?passing');
    }
  });

  it('filters by ?tag (all must match) and ?node-meta', async () => {
    assert.deepEqual(await nodesOf('/v1/health/service/web?tag=v2'), ['web-b', 'web-c']);
    assert.deepEqual(await nodesOf('/v1/health/service/web?tag=v1&tag=v2'), ['web-c']);
    assert.deepEqual(await nodesOf('/v1/health/service/web?node-meta=zone:a'), ['web-a', 'web-c']);
    assert.deepEqual(await nodesOf('/v1/health/service/web?node-meta=zone:a&passing'), ['web-a']);
    assert.deepEqual(await checkIdsOf('/v1/health/checks/web?node-meta=zone:b'), ['web-b/web-ttl']);
    assert.deepEqual(await checkIdsOf('/v1/health/state/passing?node-meta=zone:a'), [
      'web-a/db-tcp',
      'web-a/serfHealth',
      'web-a/web-http',
    ]);
  });

  it('applies ?filter on every health listing', async () => {
    assert.deepEqual(
      await nodesOf(`/v1/health/service/web?filter=${q('Checks.Status == warning')}`),
      ['web-b'],
    );
    assert.deepEqual(
      await nodesOf(
        `/v1/health/service/web?filter=${q('Node.Meta.zone == a and "v2" in Service.Tags')}`,
      ),
      ['web-c'],
    );
    assert.deepEqual(await checkIdsOf(`/v1/health/node/web-a?filter=${q('ServiceName == db')}`), [
      'web-a/db-tcp',
    ]);
    assert.deepEqual(await checkIdsOf(`/v1/health/checks/web?filter=${q('Status != passing')}`), [
      'web-b/web-ttl',
    ]);
    assert.deepEqual(await checkIdsOf(`/v1/health/state/any?filter=${q('Type == http')}`), [
      'web-a/web-http',
    ]);
  });

  it('answers a bad ?filter with Consul’s 500 on every health listing', async () => {
    for (const path of [
      '/v1/health/node/web-a',
      '/v1/health/checks/web',
      '/v1/health/service/web',
      '/v1/health/state/any',
    ]) {
      const bad = await get(`${path}?filter=${q('Status ==')}`);
      assert.equal(bad.status, 500, path);
      assert.match(bad.text, /^Failed to create boolean expression evaluator: /, path);
    }
    const selector = await get(`/v1/health/service/web?filter=${q('Status == passing')}`);
    assert.equal(
      selector.text,
      'Failed to create boolean expression evaluator: Selector "Status" is not valid',
    );
  });

  it('?near orders by estimated round trip, uncoordinated nodes last', async () => {
    assert.deepEqual(await nodesOf('/v1/health/service/consul'), ['alpha', AGENT]);
    // Without coordinates Consul leaves the order alone.
    assert.deepEqual(await nodesOf('/v1/health/service/consul?near=web-b'), ['alpha', AGENT]);
    // On a line: the agent at 0 ms, web-a at 1, web-c at 2, web-b at 4; alpha has none.
    await placeNodes(t, { [AGENT]: 0, 'web-a': 1, 'web-c': 2, 'web-b': 4 });
    assert.deepEqual(await nodesOf('/v1/health/service/consul?near=_agent'), [AGENT, 'alpha']);
    assert.deepEqual(await nodesOf('/v1/health/service/web?near=web-c'), [
      'web-c',
      'web-a',
      'web-b',
    ]);
    assert.deepEqual(await nodesOf('/v1/health/service/web?near=web-b&tag=v2'), ['web-b', 'web-c']);
    assert.deepEqual(await nodesOf('/v1/health/service/web?near=_agent'), [
      'web-a',
      'web-c',
      'web-b',
    ]);
    assert.deepEqual(await checkIdsOf('/v1/health/checks/web?near=web-b'), [
      'web-b/web-ttl',
      'web-a/web-http',
    ]);
    assert.deepEqual(await checkIdsOf('/v1/health/state/any?near=_agent'), [
      `${AGENT}/serfHealth`,
      'web-a/db-tcp',
      'web-a/serfHealth',
      'web-a/web-http',
      'web-c/maint',
      'web-b/web-ttl',
    ]);
  });
});
