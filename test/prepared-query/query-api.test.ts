// /v1/query over real HTTP against a real dev agent: create/read/update/delete and Consul's
// refusals, execute with each filter, templates with regexp captures, explain, blocking list,
// and queries deleted with the session they were bound to.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type HttpResult, type TestAgent } from '../http/harness';

let t: TestAgent;

before(async () => {
  t = await startTestAgent([], (config) => ({ ...config, prettyJson: false }));
  // web on three nodes: n1 passing (tags primary, v1), n2 warning (tags secondary, v1), n3
  // critical; db on n1; node meta rack=a on n1 and n3, rack=b on n2.
  await register('n1', '10.0.0.1', { rack: 'a' }, 'web', ['primary', 'V1'], 'passing', {
    version: '1',
  });
  await register('n2', '10.0.0.2', { rack: 'b' }, 'web', ['secondary', 'v1'], 'warning', {
    version: '2',
  });
  await register('n3', '10.0.0.3', { rack: 'a' }, 'web', ['primary'], 'critical', {});
  await register('n1', '10.0.0.1', { rack: 'a' }, 'db', [], 'passing', {});
});
after(async () => {
  await t.stop();
});

async function register(
  node: string,
  address: string,
  meta: Record<string, string>,
  service: string,
  tags: string[],
  status: string,
  serviceMeta: Record<string, string>,
): Promise<void> {
  const body = {
    Node: node,
    Address: address,
    NodeMeta: meta,
    Service: { ID: service, Service: service, Tags: tags, Port: 80, Meta: serviceMeta },
    Check: { CheckID: `${service}-check`, Name: 'c', ServiceID: service, Status: status },
  };
  const result = await t.request('PUT', '/v1/catalog/register', { body: JSON.stringify(body) });
  assert.equal(result.status, 200, result.text);
}

function send(method: string, path: string, body?: unknown): Promise<HttpResult> {
  return t.request(method, path, body === undefined ? {} : { body: JSON.stringify(body) });
}

async function create(definition: Record<string, unknown>): Promise<string> {
  const result = await send('POST', '/v1/query', definition);
  assert.equal(result.status, 200, result.text);
  return (JSON.parse(result.text) as { ID: string }).ID;
}

interface Execution {
  Service: string;
  Nodes: { Node: { Node: string }; Service: { Service: string; Tags: string[] } }[];
  DNS: { TTL: string };
  Datacenter: string;
  Failovers: number;
}

async function execute(idOrName: string, query = ''): Promise<Execution> {
  const result = await send('GET', `/v1/query/${idOrName}/execute${query}`);
  assert.equal(result.status, 200, result.text);
  return JSON.parse(result.text) as Execution;
}

const nodesOf = (answer: Execution): string[] => answer.Nodes.map((n) => n.Node.Node).sort();

async function remove(id: string): Promise<void> {
  assert.equal((await send('DELETE', `/v1/query/${id}`)).status, 200);
}

describe('prepared query CRUD', () => {
  it('creates, reads, updates and deletes a query', async () => {
    const id = await create({ Name: 'crud', Service: { Service: 'web' }, DNS: { TTL: '10s' } });
    const read = await send('GET', `/v1/query/${id}`);
    assert.equal(read.status, 200);
    assert.ok(Number(read.headers['x-consul-index']) > 0);
    const [query] = JSON.parse(read.text) as Record<string, unknown>[];
    assert.equal(query.ID, id);
    assert.equal(query.Name, 'crud');
    assert.deepEqual(query.DNS, { TTL: '10s' });
    assert.deepEqual(query.Template, { Type: '', Regexp: '', RemoveEmptyTags: false });
    const service = query.Service as Record<string, unknown>;
    assert.equal(service.Service, 'web');
    assert.deepEqual(service.Failover, { NearestN: 0, Datacenters: null });
    assert.equal(service.OnlyPassing, false);
    assert.equal(typeof query.CreateIndex, 'number');

    // What GET answered can be sent back with changes (ID and indexes included).
    const update = await send('PUT', `/v1/query/${id}`, {
      ...query,
      Service: { ...service, Service: 'db' },
    });
    assert.equal(update.status, 200, update.text);
    assert.equal(update.text, '');
    const [updated] = JSON.parse((await send('GET', `/v1/query/${id}`)).text) as {
      Service: { Service: string };
      CreateIndex: number;
      ModifyIndex: number;
    }[];
    assert.equal(updated.Service.Service, 'db');
    assert.equal(updated.CreateIndex, query.CreateIndex);
    assert.ok(updated.ModifyIndex > (query.ModifyIndex as number));

    await remove(id);
    const gone = await send('GET', `/v1/query/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.text, 'Query not found');
  });

  it('lists every query ([] when none match) and blocks until one changes', async () => {
    const first = await send('GET', '/v1/query');
    assert.equal(first.status, 200);
    const index = Number(first.headers['x-consul-index']);
    const blocked = send('GET', `/v1/query?index=${index}&wait=10s`);
    const id = await create({ Name: 'listed', Service: { Service: 'web' } });
    const woken = await blocked;
    assert.ok(Number(woken.headers['x-consul-index']) > index);
    const names = (JSON.parse(woken.text) as { Name: string }[]).map((q) => q.Name);
    assert.ok(names.includes('listed'));
    await remove(id);
  });

  it('refuses definitions with Consul texts and codes', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ Service: { Service: 'web' } }, 500, 'Invalid prepared query: Must be bound to a session'],
      [{ Name: 'x' }, 500, 'Invalid prepared query: Must provide a Service name to query'],
      [
        { Name: 'x', Service: { Service: 'web', Failover: { NearestN: -1 } } },
        500,
        "Invalid prepared query: Bad NearestN '-1', must be >= 0",
      ],
      [
        {
          Name: 'x',
          Service: {
            Service: 'web',
            Failover: { Datacenters: ['dc2'], Targets: [{ Datacenter: 'dc3' }] },
          },
        },
        500,
        'Invalid prepared query: Targets cannot be populated with NearestN or Datacenters',
      ],
      [
        { Name: 'x', Service: { Service: 'web' }, DNS: { TTL: 'soon' } },
        500,
        `Invalid prepared query: Bad DNS TTL 'soon': time: invalid duration "soon"`,
      ],
      [
        { Name: 'x', Token: '<hidden>', Service: { Service: 'web' } },
        500,
        "Invalid prepared query: Bad Token '<hidden>', it looks like a query definition with a redacted token was submitted",
      ],
      [
        { Name: 'x', Service: { Service: 'web', Failover: { Targets: [{ Peer: 'p1' }] } } },
        500,
        "Invalid prepared query: Bad failover target Peer 'p1'",
      ],
      [
        { Name: 'x', Service: { Service: 'web', NodeMeta: { 'a b': '1' } } },
        500,
        "Invalid prepared query: Couldn't load metadata pair ('a b', '1'): Key contains invalid characters",
      ],
      [
        { ID: 'abc', Name: 'x', Service: { Service: 'web' } },
        500,
        'ID must be empty when creating a new prepared query',
      ],
      [
        { Name: 'x', Service: { Service: 'web', Peer: 'p' } },
        500,
        "Invalid prepared query: Bad Peer 'p'",
      ],
      [
        { Name: 'x', Session: 'f0a5f1a6-0000-4000-8000-000000000000', Service: { Service: 'web' } },
        500,
        'invalid session "f0a5f1a6-0000-4000-8000-000000000000"',
      ],
      [
        { Name: 'x', Template: { Type: 'other' }, Service: { Service: 'web' } },
        500,
        "failed compiling template: Bad Template.Type 'other'",
      ],
      [
        {
          Name: 'x',
          Template: { Type: 'name_prefix_match', Regexp: '(' },
          Service: { Service: 'w' },
        },
        500,
        'failed compiling template: Bad Regexp: error parsing regexp: missing closing ): `(`',
      ],
      [
        { Name: 'x', Service: { Service: 'web', Bogus: 1 } },
        400,
        'Request decode failed: json: unknown field "Bogus"',
      ],
    ];
    for (const [definition, status, text] of cases) {
      const result = await send('POST', '/v1/query', definition);
      assert.equal(result.status, status, `${JSON.stringify(definition)}: ${result.text}`);
      assert.ok(result.text.startsWith(text), `${JSON.stringify(definition)}: ${result.text}`);
    }
  });

  it('keeps names unique (case-insensitively) and refuses a name that is another ID', async () => {
    const id = await create({ Name: 'Unique', Service: { Service: 'web' } });
    const again = await send('POST', '/v1/query', { Name: 'unique', Service: { Service: 'db' } });
    assert.equal(again.status, 500);
    assert.equal(again.text, "name 'unique' aliases an existing query name");
    const alias = await send('POST', '/v1/query', { Name: id, Service: { Service: 'db' } });
    assert.equal(alias.text, `name '${id}' aliases an existing query ID`);
    const template = {
      Name: '',
      Template: { Type: 'name_prefix_match' },
      Service: { Service: 'x' },
    };
    const catchAll = await create(template);
    const second = await send('POST', '/v1/query', template);
    assert.equal(second.text, 'a query template with an empty name already exists');
    await remove(catchAll);
    await remove(id);
  });

  it('refuses updates and deletes of a query that does not exist', async () => {
    const missing = 'e7b1c6a2-1111-4222-8333-444455556666';
    const update = await send('PUT', `/v1/query/${missing}`, {
      Name: 'q',
      Service: { Service: 'web' },
    });
    assert.equal(update.status, 500);
    assert.equal(update.text, `Cannot modify non-existent prepared query: '${missing}'`);
    const remove = await send('DELETE', `/v1/query/${missing}`);
    assert.equal(remove.text, `Cannot modify non-existent prepared query: '${missing}'`);
    const execute = await send('GET', `/v1/query/nothing-here/execute`);
    assert.equal(execute.status, 404);
    assert.equal(execute.text, 'Query not found');
    const post = await send('POST', `/v1/query/${missing}/execute`);
    assert.equal(post.status, 405);
    const put = await send('PUT', `/v1/query/${missing}/execute`, {});
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'OPTIONS,GET');
  });
});

describe('prepared query execute', () => {
  it('returns healthy instances (warning kept, critical dropped) with the DNS TTL', async () => {
    const id = await create({ Name: 'healthy', Service: { Service: 'web' }, DNS: { TTL: '7s' } });
    const answer = await execute(id);
    assert.deepEqual(nodesOf(answer), ['n1', 'n2']);
    assert.equal(answer.Service, 'web');
    assert.deepEqual(answer.DNS, { TTL: '7s' });
    assert.equal(answer.Datacenter, t.agent.config.datacenter);
    assert.equal(answer.Failovers, 0);
    assert.deepEqual(nodesOf(await execute('healthy')), ['n1', 'n2'], 'by name');
    await remove(id);
  });

  it('OnlyPassing drops warning instances; IgnoreCheckIDs ignores a failing check', async () => {
    const passing = await create({
      Name: 'passing',
      Service: { Service: 'web', OnlyPassing: true },
    });
    assert.deepEqual(nodesOf(await execute(passing)), ['n1']);
    const ignoring = await create({
      Name: 'ignoring',
      Service: { Service: 'web', IgnoreCheckIDs: ['web-check'] },
    });
    assert.deepEqual(nodesOf(await execute(ignoring)), ['n1', 'n2', 'n3']);
    await remove(passing);
    await remove(ignoring);
  });

  it('filters by tags (case-insensitive, ! forbids), node meta and service meta', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ Tags: ['v1'] }, ['n1', 'n2']],
      [{ Tags: ['PRIMARY'] }, ['n1']],
      [{ Tags: ['!primary'] }, ['n2']],
      [{ Tags: ['v1', '!Secondary'] }, ['n1']],
      [{ NodeMeta: { rack: 'b' } }, ['n2']],
      [{ ServiceMeta: { version: '1' } }, ['n1']],
      [{ NodeMeta: { rack: 'a' }, IgnoreCheckIDs: ['web-check'] }, ['n1', 'n3']],
    ];
    for (const [filters, expected] of cases) {
      const id = await create({ Name: 'filtered', Service: { Service: 'web', ...filters } });
      assert.deepEqual(nodesOf(await execute(id)), expected, JSON.stringify(filters));
      await remove(id);
    }
  });

  it('puts the ?near node (or the query Near) first and applies ?limit', async () => {
    const id = await create({ Name: 'near', Service: { Service: 'web', Near: 'n2' } });
    for (let i = 0; i < 5; i++) {
      assert.equal((await execute(id)).Nodes[0].Node.Node, 'n2');
      assert.equal((await execute(id, '?near=n1')).Nodes[0].Node.Node, 'n1');
    }
    assert.equal((await execute(id, '?limit=1')).Nodes.length, 1);
    // `_ip`: the node whose address is the client's (X-Forwarded-For first).
    for (let i = 0; i < 5; i++) {
      const viaIp = await t.request('GET', `/v1/query/${id}/execute?near=_ip`, {
        headers: { 'x-forwarded-for': '10.0.0.1' },
      });
      assert.equal((JSON.parse(viaIp.text) as Execution).Nodes[0].Node.Node, 'n1');
    }
    const bad = await send('GET', `/v1/query/${id}/execute?limit=x`);
    assert.equal(bad.status, 500);
    assert.equal(bad.text, 'Bad limit: strconv.Atoi: parsing "x": invalid syntax');
    await remove(id);
  });

  it('answers an empty Nodes list, with no failover, when nothing is healthy', async () => {
    const id = await create({
      Name: 'nothing',
      Service: { Service: 'web', Tags: ['absent'], Failover: { Datacenters: ['dc2'] } },
    });
    const answer = await execute(id);
    assert.deepEqual(answer.Nodes, []);
    // No other datacenter is known to this agent: none was tried.
    assert.equal(answer.Failovers, 0);
    assert.equal(answer.Datacenter, t.agent.config.datacenter);
    await remove(id);
  });
});

describe('prepared query templates', () => {
  it('renders name.full, name.prefix, name.suffix and regexp captures', async () => {
    const id = await create({
      Name: 'geo-',
      Template: { Type: 'name_prefix_match', Regexp: '^geo-([a-z]+)-(.*)$' },
      Service: { Service: '${match(1)}', Tags: ['${match(2)}', '${name.suffix}'] },
    });
    const explain = await send('GET', '/v1/query/geo-web-primary/explain');
    assert.equal(explain.status, 200, explain.text);
    const rendered = (
      JSON.parse(explain.text) as { Query: { Service: { Service: string; Tags: string[] } } }
    ).Query;
    assert.equal(rendered.Service.Service, 'web');
    assert.deepEqual(rendered.Service.Tags, ['primary', 'web-primary']);
    const answer = await execute('geo-web-primary');
    assert.equal(answer.Service, 'web');
    assert.deepEqual(nodesOf(answer), []);
    const db = await create({
      Name: 'geo-db',
      Template: { Type: 'name_prefix_match', Regexp: '^geo-db-(.*)$', RemoveEmptyTags: true },
      Service: { Service: '${name.prefix}', Tags: ['${match(1)}'] },
    });
    // The longest template prefix wins; the empty capture is removed from the tags.
    const dbAnswer = await execute('geo-db-');
    assert.equal(dbAnswer.Service, 'geo-db');
    const dbExplain = JSON.parse((await send('GET', '/v1/query/geo-db-/explain')).text) as {
      Query: { Service: { Tags: string[] | null } };
    };
    assert.equal(dbExplain.Query.Service.Tags, null);
    // A template is not executed by its ID.
    const byId = await send('GET', `/v1/query/${id}/execute`);
    assert.equal(byId.status, 500);
    assert.equal(byId.text, 'prepared query templates can only be resolved up by name, not by ID');
    await remove(db);
    await remove(id);
  });

  it('finds instances through a template named after the service', async () => {
    const id = await create({
      Name: '',
      Template: { Type: 'name_prefix_match' },
      Service: { Service: '${name.full}', OnlyPassing: true },
    });
    assert.deepEqual(nodesOf(await execute('web')), ['n1']);
    assert.deepEqual(nodesOf(await execute('db')), ['n1']);
    const unknown = await send('GET', '/v1/query/web/explain');
    assert.equal(
      (JSON.parse(unknown.text) as { Query: { Service: { Service: string } } }).Query.Service
        .Service,
      'web',
    );
    await remove(id);
  });

  it('refuses a template whose interpolation names an unknown variable', async () => {
    const result = await send('POST', '/v1/query', {
      Name: 't-',
      Template: { Type: 'name_prefix_match' },
      Service: { Service: '${nope}' },
    });
    assert.equal(result.status, 500);
    assert.match(
      result.text,
      /^failed compiling template: Bad evaluation for '\$\{nope\}' in Service\.Service: unknown variable accessed: nope$/,
    );
  });
});

describe('prepared queries bound to a session', () => {
  it('are deleted when the session is destroyed', async () => {
    const session = await send('PUT', '/v1/session/create', { Node: 'n1', Checks: [] });
    assert.equal(session.status, 200, session.text);
    const sessionId = (JSON.parse(session.text) as { ID: string }).ID;
    const id = await create({ Session: sessionId, Service: { Service: 'web' } });
    assert.equal((await send('GET', `/v1/query/${id}`)).status, 200);
    assert.equal((await send('PUT', `/v1/session/destroy/${sessionId}`)).status, 200);
    assert.equal((await send('GET', `/v1/query/${id}`)).status, 404);
  });
});
