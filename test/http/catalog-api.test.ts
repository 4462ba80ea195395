// /v1/catalog over real HTTP: register/deregister and their errors, the JSON of every listing
// (whole objects, Consul's field order), ?tag, ?node-meta, ?filter, ?near and the read headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { placeNodes } from './coordinate-helpers';
import { startTestAgent, type HttpResult, type TestAgent } from './harness';

// The agent's own node sorts last; it registers itself with service `consul`.
const AGENT = 'zeta';

let t: TestAgent;
before(async () => {
  t = await startTestAgent(['-node', AGENT]);
  await waitForSelfRegistration(t);
});
after(async () => {
  await t.stop();
});

const put = (path: string, body: unknown): Promise<HttpResult> =>
  t.request('PUT', path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (path: string): Promise<HttpResult> => t.request('GET', path);
const json = (result: HttpResult): unknown => JSON.parse(result.text);

async function register(body: unknown): Promise<void> {
  const result = await put('/v1/catalog/register', body);
  assert.equal(result.status, 200, result.text);
  assert.equal(result.text.trim(), 'true');
}

async function deregister(body: unknown): Promise<void> {
  const result = await put('/v1/catalog/deregister', body);
  assert.equal(result.status, 200, result.text);
  assert.equal(result.text.trim(), 'true');
}

const NODE_ID = '40e4a748-2192-161a-0510-9bf59fe950b5';

/** The ServiceNode JSON Consul emits for an instance, given node and service parts. */
function serviceNode(
  node: Record<string, unknown>,
  service: Record<string, unknown>,
  indexes: { CreateIndex: number; ModifyIndex: number },
): Record<string, unknown> {
  return {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: 'dc1',
    TaggedAddresses: node.TaggedAddresses,
    NodeMeta: node.Meta,
    ServiceKind: '',
    ServiceID: service.ID,
    ServiceName: service.Service,
    ServiceTags: service.Tags,
    ServiceAddress: service.Address,
    ...(service.TaggedAddresses === undefined
      ? {}
      : { ServiceTaggedAddresses: service.TaggedAddresses }),
    ServiceWeights: service.Weights ?? { Passing: 1, Warning: 1 },
    ServiceMeta: service.Meta ?? {},
    ServicePort: service.Port ?? 0,
    ServiceSocketPath: '',
    ServiceEnableTagOverride: false,
    ServiceProxy: { Mode: '', MeshGateway: {}, Expose: {} },
    ServiceConnect: {},
    ServiceLocality: null,
    ...indexes,
  };
}

describe('catalog register and reads', () => {
  it('registers a node with a service and reads it back from every listing', async () => {
    await register({
      ID: NODE_ID,
      Node: 'web-1',
      Address: '10.0.0.1',
      TaggedAddresses: { wan: '203.0.113.1', lan: '10.0.0.1' },
      NodeMeta: { rack: 'r1', env: 'prod' },
      Service: {
        ID: 'web-a',
        Service: 'web',
        Tags: ['v1', 'prod'],
        Address: '10.0.0.10',
        TaggedAddresses: { wan: { Address: '203.0.113.10', Port: 8080 } },
        Meta: { version: '1.2' },
        Port: 80,
        Weights: { Passing: 3, Warning: 1 },
      },
    });
    const nodes = await get('/v1/catalog/nodes');
    assert.equal(nodes.status, 200);
    const list = json(nodes) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((item) => item.Node),
      ['web-1', AGENT],
    );
    const node = list[0];
    const index = node.CreateIndex as number;
    assert.deepEqual(list.slice(0, 1), [
      {
        ID: NODE_ID,
        Node: 'web-1',
        Address: '10.0.0.1',
        Datacenter: 'dc1',
        TaggedAddresses: { lan: '10.0.0.1', wan: '203.0.113.1' },
        Meta: { env: 'prod', rack: 'r1' },
        CreateIndex: index,
        ModifyIndex: index,
      },
    ]);
    // Field order is Consul's (maps sorted by key).
    assert.deepEqual(Object.keys(node), [
      'ID',
      'Node',
      'Address',
      'Datacenter',
      'TaggedAddresses',
      'Meta',
      'CreateIndex',
      'ModifyIndex',
    ]);

    const service = json(await get('/v1/catalog/service/web')) as Record<string, unknown>[];
    const expected = serviceNode(
      node,
      {
        ID: 'web-a',
        Service: 'web',
        Tags: ['v1', 'prod'],
        Address: '10.0.0.10',
        TaggedAddresses: { wan: { Address: '203.0.113.10', Port: 8080 } },
        Meta: { version: '1.2' },
        Port: 80,
        Weights: { Passing: 3, Warning: 1 },
      },
      { CreateIndex: index, ModifyIndex: index },
    );
    assert.deepEqual(service, [expected]);
    assert.deepEqual(Object.keys(service[0]), Object.keys(expected));

    const nodeService = {
      ID: 'web-a',
      Service: 'web',
      Tags: ['v1', 'prod'],
      Address: '10.0.0.10',
      TaggedAddresses: { wan: { Address: '203.0.113.10', Port: 8080 } },
      Meta: { version: '1.2' },
      Port: 80,
      Weights: { Passing: 3, Warning: 1 },
      EnableTagOverride: false,
      Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
      Connect: {},
      CreateIndex: index,
      ModifyIndex: index,
    };
    const byNode = json(await get('/v1/catalog/node/web-1')) as {
      Services: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(byNode, { Node: node, Services: { 'web-a': nodeService } });
    assert.deepEqual(Object.keys(byNode.Services['web-a']), Object.keys(nodeService));
    assert.deepEqual(json(await get('/v1/catalog/node-services/web-1')), {
      Node: node,
      Services: [nodeService],
    });
    assert.deepEqual(json(await get('/v1/catalog/services')), {
      consul: [],
      web: ['prod', 'v1'],
    });
  });

  it('emits the defaults of a minimal registration: null maps, [] tags, {} meta, no port', async () => {
    await register({ Node: 'bare', Address: '10.0.0.2', Service: { Service: 'bare-svc' } });
    const [node] = (json(await get('/v1/catalog/nodes?filter=Node%20%3D%3D%20bare')) ??
      []) as Record<string, unknown>[];
    assert.equal(node.ID, '');
    assert.equal(node.TaggedAddresses, null);
    assert.equal(node.Meta, null);
    const [instance] = json(await get('/v1/catalog/service/bare-svc')) as Record<string, unknown>[];
    assert.deepEqual(
      instance,
      serviceNode(
        node,
        { ID: 'bare-svc', Service: 'bare-svc', Tags: [], Address: '' },
        {
          CreateIndex: instance.CreateIndex as number,
          ModifyIndex: instance.CreateIndex as number,
        },
      ),
    );
    assert.equal('ServiceTaggedAddresses' in instance, false);
    const list = json(await get('/v1/catalog/node-services/bare')) as {
      Services: Record<string, unknown>[];
    };
    assert.equal('Port' in list.Services[0], false);
    assert.equal('TaggedAddresses' in list.Services[0], false);
    assert.deepEqual(list.Services[0].Tags, []);
    assert.deepEqual(list.Services[0].Meta, {});
    assert.deepEqual(
      (json(await get('/v1/catalog/services')) as Record<string, unknown>)['bare-svc'],
      [],
    );
    await deregister({ Node: 'bare' });
  });

  it('matches body keys case-insensitively and accepts python-consul’s WriteRequest', async () => {
    await register({
      node: 'lower',
      ADDRESS: '10.0.0.3',
      service: { service: 'lower-svc', port: 7 },
      WriteRequest: { Token: '' },
      Token: '',
    });
    const [instance] = json(await get('/v1/catalog/service/lower-svc')) as Record<
      string,
      unknown
    >[];
    assert.equal(instance.Node, 'lower');
    assert.equal(instance.ServicePort, 7);
    assert.equal(instance.ServiceID, 'lower-svc');
    await deregister({ node: 'lower' });
  });

  it('deregisters a check, then a service with its checks, then a whole node', async () => {
    await register({
      Node: 'gone',
      Address: '10.0.0.4',
      Service: { ID: 'g1', Service: 'gone-svc' },
      Checks: [
        { CheckID: 'node-ok', Name: 'node ok', Status: 'passing' },
        { CheckID: 'svc-ok', Name: 'svc ok', Status: 'passing', ServiceID: 'g1' },
      ],
    });
    const checkIds = async (): Promise<string[]> =>
      (json(await get('/v1/health/node/gone')) as { CheckID: string }[]).map((c) => c.CheckID);
    assert.deepEqual(await checkIds(), ['node-ok', 'svc-ok']);
    await deregister({ Node: 'gone', CheckID: 'node-ok' });
    assert.deepEqual(await checkIds(), ['svc-ok']);
    await deregister({ Node: 'gone', ServiceID: 'g1' });
    assert.deepEqual(await checkIds(), []);
    assert.deepEqual(json(await get('/v1/catalog/service/gone-svc')), []);
    assert.notEqual(json(await get('/v1/catalog/node/gone')), null);
    await deregister({ Node: 'gone' });
    assert.equal((await get('/v1/catalog/node/gone')).text.trim(), 'null');
    // Deregistering what does not exist still answers true.
    await deregister({ Node: 'gone' });
    await deregister({ Node: 'gone', ServiceID: 'nothing' });
  });

  it('answers unknown nodes with null and an empty node-services shape', async () => {
    const missing = await get('/v1/catalog/node/no-such-node');
    assert.equal(missing.status, 200);
    assert.equal(missing.text.trim(), 'null');
    assert.ok(Number(missing.headers['x-consul-index']) >= 1);
    assert.deepEqual(json(await get('/v1/catalog/node-services/no-such-node')), {
      Node: null,
      Services: null,
    });
    assert.deepEqual(json(await get('/v1/catalog/service/no-such-service')), []);
  });
});

describe('catalog register and deregister errors', () => {
  const cases: [string, string, unknown, number, string][] = [
    [
      'unknown top-level field',
      'register',
      { Node: 'x', Address: 'a', Bogus: 1 },
      400,
      'Request decode failed: json: unknown field "Bogus"',
    ],
    [
      'unknown service field',
      'register',
      { Node: 'x', Address: 'a', Service: { Service: 's', Name: 'n' } },
      400,
      'Request decode failed: json: unknown field "Name"',
    ],
    [
      'wrong type',
      'register',
      { Node: 'x', Address: 'a', Service: { Service: 's', Port: '80' } },
      400,
      'Request decode failed: json: cannot unmarshal string into Go struct field NodeService.Service.Port of type int',
    ],
    ['malformed JSON', 'register', '{"Node":', 400, 'Request decode failed: unexpected EOF'],
    ['empty body', 'register', '', 400, 'Request decode failed: EOF'],
    [
      'bad check duration',
      'register',
      { Node: 'x', Address: 'a', Check: { Name: 'c', Definition: { Interval: '10' } } },
      400,
      'Request decode failed: time: missing unit in duration "10"',
    ],
    ['missing node', 'register', { Address: 'a' }, 500, 'Must provide node'],
    [
      'missing address',
      'register',
      { Node: 'x' },
      500,
      'Must provide address if SkipNodeUpdate is not set',
    ],
    [
      'missing service name',
      'register',
      { Node: 'x', Address: 'a', Service: { ID: 'i' } },
      500,
      'Must provide service name (Service.Service) when service ID is provided',
    ],
    [
      'bad node ID',
      'register',
      { ID: 'nope', Node: 'x', Address: 'a' },
      500,
      'Bad node ID: uuid string is wrong length',
    ],
    [
      'check on an unknown service',
      'register',
      { Node: 'x', Address: 'a', Check: { Name: 'c', ServiceID: 'nope' } },
      500,
      "Unknown service ID 'nope' for check ID 'c'",
    ],
    [
      'another datacenter',
      'register',
      { Datacenter: 'dc9', Node: 'x', Address: 'a' },
      500,
      'No path to datacenter',
    ],
    [
      'deregister unknown field',
      'deregister',
      { Node: 'x', Service: 's' },
      400,
      'Request decode failed: json: unknown field "Service"',
    ],
    ['deregister without node', 'deregister', { ServiceID: 's' }, 500, 'Must provide node'],
    [
      'deregister in another datacenter',
      'deregister',
      { Datacenter: 'dc9', Node: 'x' },
      500,
      'No path to datacenter',
    ],
  ];
  for (const [what, verb, body, status, text] of cases) {
    it(`${verb}: ${what} → ${status}`, async () => {
      const result = await put(`/v1/catalog/${verb}`, body);
      assert.equal(result.status, status, result.text);
      assert.equal(result.text, text);
    });
  }

  it('writes nothing when a registration fails', async () => {
    await put('/v1/catalog/register', {
      Node: 'half',
      Address: 'a',
      Check: { Name: 'c', ServiceID: 'nope' },
    });
    assert.equal((await get('/v1/catalog/node/half')).text.trim(), 'null');
  });

  it('allows only PUT on the write endpoints', async () => {
    const result = await get('/v1/catalog/register');
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, 'OPTIONS,PUT');
    assert.equal((await t.request('PUT', '/v1/catalog/nodes')).headers.allow, 'OPTIONS,GET');
  });

  it('refuses empty names in read paths', async () => {
    for (const [path, text] of [
      ['/v1/catalog/service/', 'Missing service name'],
      ['/v1/catalog/node/', 'Missing node name'],
      ['/v1/catalog/node-services/', 'Missing node name'],
    ]) {
      const result = await get(path);
      assert.equal(result.status, 400, path);
      assert.equal(result.text, text, path);
    }
  });
});

describe('catalog listing parameters', () => {
  before(async () => {
    for (const [node, env, tags] of [
      ['api-1', 'prod', ['blue', 'v2']],
      ['api-2', 'staging', ['green', 'V2']],
      ['api-3', 'prod', ['blue']],
    ] as const) {
      await register({
        Node: node,
        Address: `10.1.0.${node.length}`,
        NodeMeta: { env, group: 'api' },
        Service: { ID: 'api', Service: 'api', Tags: tags, Port: 9000 },
      });
    }
  });

  const nodesOf = async (path: string): Promise<string[]> =>
    (json(await get(path)) as { Node: string }[]).map((item) => item.Node);

  it('keeps instances that carry every ?tag, case-insensitively', async () => {
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?tag=v2'), ['api-1', 'api-2']);
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?tag=blue&tag=v2'), ['api-1']);
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?tag=missing'), []);
  });

  it('keeps nodes that carry every ?node-meta pair', async () => {
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?node-meta=env:prod'), [
      'api-1',
      'api-3',
    ]);
    assert.deepEqual(
      await nodesOf('/v1/catalog/service/api?node-meta=env:prod&node-meta=group:api'),
      ['api-1', 'api-3'],
    );
    assert.deepEqual(await nodesOf('/v1/catalog/nodes?node-meta=env:staging'), ['api-2']);
    assert.deepEqual(await nodesOf('/v1/catalog/nodes?node-meta=env'), []);
    const services = json(await get('/v1/catalog/services?node-meta=env:staging'));
    assert.deepEqual(services, { api: ['V2', 'green'] });
  });

  it('applies ?filter with each endpoint’s selectors', async () => {
    assert.deepEqual(await nodesOf('/v1/catalog/nodes?filter=' + q('Meta.env == staging')), [
      'api-2',
    ]);
    assert.deepEqual(
      await nodesOf(
        '/v1/catalog/service/api?filter=' + q('"blue" in ServiceTags and NodeMeta.env == prod'),
      ),
      ['api-1', 'api-3'],
    );
    assert.deepEqual(
      json(await get('/v1/catalog/services?filter=' + q('ServiceTags contains green'))),
      {
        api: ['V2', 'green'],
      },
    );
    const node = json(await get('/v1/catalog/node/api-1?filter=' + q('Port == 1'))) as {
      Services: object;
    };
    assert.deepEqual(node.Services, {});
    const list = json(
      await get('/v1/catalog/node-services/api-1?filter=' + q('Service == api')),
    ) as {
      Services: unknown[];
    };
    assert.equal(list.Services.length, 1);
  });

  it('answers a bad ?filter with Consul’s 500', async () => {
    for (const path of [
      '/v1/catalog/nodes',
      '/v1/catalog/services',
      '/v1/catalog/service/api',
      '/v1/catalog/node/api-1',
      '/v1/catalog/node-services/api-1',
    ]) {
      const syntax = await get(`${path}?filter=${q('Node ==')}`);
      assert.equal(syntax.status, 500, path);
      assert.match(syntax.text, /^Failed to create boolean expression evaluator: /, path);
      const selector = await get(`${path}?filter=${q('Nope == 1')}`);
      assert.equal(selector.status, 500, path);
      assert.equal(
        selector.text,
        'Failed to create boolean expression evaluator: Selector "Nope" is not valid',
        path,
      );
    }
  });

  it('orders by estimated round trip from the ?near node, uncoordinated nodes last', async () => {
    assert.deepEqual(await nodesOf('/v1/catalog/service/api'), ['api-1', 'api-2', 'api-3']);
    // Without coordinates Consul leaves the order alone.
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?near=api-3'), [
      'api-1',
      'api-2',
      'api-3',
    ]);
    // On a line: the agent at 0 ms, api-1 at 1, api-2 at 2, api-3 at 4.
    await placeNodes(t, { [AGENT]: 0, 'api-1': 1, 'api-2': 2, 'api-3': 4 });
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?near=api-2'), [
      'api-2',
      'api-1',
      'api-3',
    ]);
    assert.deepEqual(await nodesOf('/v1/catalog/nodes?near=api-3&node-meta=group:api'), [
      'api-3',
      'api-2',
      'api-1',
    ]);
    assert.deepEqual(await nodesOf('/v1/catalog/service/api?near=_agent'), [
      'api-1',
      'api-2',
      'api-3',
    ]);
    const nodes = await nodesOf('/v1/catalog/nodes?near=_agent');
    assert.deepEqual(nodes.slice(0, 4), [AGENT, 'api-1', 'api-2', 'api-3']);
    assert.deepEqual(nodes.slice(4), [...nodes.slice(4)].sort());
    await register({
      Node: 'consul-2',
      Address: '10.1.9.2',
      Service: { Service: 'consul', Port: 8300 },
    });
    assert.deepEqual(await nodesOf('/v1/catalog/service/consul'), ['consul-2', AGENT]);
    assert.deepEqual(await nodesOf('/v1/catalog/service/consul?near=_agent'), [AGENT, 'consul-2']);
  });

  it('sends the blocking-query headers and honours ?stale, ?consistent and ?dc', async () => {
    const plain = await get('/v1/catalog/service/api');
    assert.ok(Number(plain.headers['x-consul-index']) > 1);
    assert.equal(plain.headers['x-consul-knownleader'], 'true');
    assert.equal(plain.headers['x-consul-lastcontact'], '0');
    assert.equal(plain.headers['x-consul-effective-consistency'], 'leader');
    const stale = await get('/v1/catalog/nodes?stale');
    assert.equal(stale.headers['x-consul-effective-consistency'], 'stale');
    const consistent = await get('/v1/catalog/services?consistent');
    assert.equal(consistent.headers['x-consul-effective-consistency'], 'consistent');
    const other = await get('/v1/catalog/nodes?dc=dc9');
    assert.equal(other.status, 500);
    assert.equal(other.text, 'No path to datacenter');
    assert.equal((await get('/v1/catalog/nodes?dc=dc1')).status, 200);
    assert.equal((await get('/v1/catalog/nodes?stale&consistent')).status, 400);
  });

  it('reports a per-service index: a write elsewhere leaves it alone', async () => {
    const before = Number((await get('/v1/catalog/service/api')).headers['x-consul-index']);
    await register({ Node: 'other', Address: '10.9.9.9', Service: { Service: 'unrelated' } });
    assert.equal(Number((await get('/v1/catalog/service/api')).headers['x-consul-index']), before);
    const services = Number((await get('/v1/catalog/services')).headers['x-consul-index']);
    assert.ok(services > before);
  });
});

function q(expression: string): string {
  return encodeURIComponent(expression);
}
