// /v1/coordinate over real HTTP on a dev agent, and ?near ordering by estimated round trip on
// the catalog and health listings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from './catalog-helpers';
import { coordinateAt, placeNodes } from './coordinate-helpers';
import { startTestAgent, type HttpResult, type TestAgent } from './harness';

const AGENT = 'coord-agent';

let t: TestAgent;
before(async () => {
  t = await startTestAgent(['-node', AGENT]);
  await waitForSelfRegistration(t);
  for (const node of ['n-far', 'n-mid', 'n-near', 'n-none']) {
    const result = await put('/v1/catalog/register', {
      Node: node,
      Address: '10.0.0.1',
      Service: { Service: 'web', Port: 80 },
      Check: { CheckID: `${node}-chk`, Name: 'c', ServiceID: 'web', Status: 'passing' },
    });
    assert.equal(result.status, 200, result.text);
  }
  // On a line from the agent (at the origin): near 1 ms, mid 3 ms, far 7 ms; n-none has none.
  await placeNodes(t, { [AGENT]: 0, 'n-near': 1, 'n-mid': 3, 'n-far': 7 });
});
after(async () => {
  await t.stop();
});

const put = (path: string, body: unknown): Promise<HttpResult> =>
  t.request('PUT', path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (path: string): Promise<HttpResult> => t.request('GET', path);
const json = <T>(result: HttpResult): T => JSON.parse(result.text) as T;

describe('/v1/coordinate', () => {
  it('lists this datacenter’s servers with their WAN coordinates', async () => {
    const result = await get('/v1/coordinate/datacenters');
    assert.equal(result.status, 200);
    assert.deepEqual(json(result), [
      {
        Datacenter: 'dc1',
        AreaID: 'wan',
        Coordinates: [
          {
            Node: AGENT,
            Segment: '',
            Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 10e-6 },
          },
        ],
      },
    ]);
  });

  it('lists the nodes’ LAN coordinates by node, with ?segment and ?filter', async () => {
    const all = json<{ Node: string; Segment: string; Coord: unknown }[]>(
      await get('/v1/coordinate/nodes'),
    );
    assert.deepEqual(
      all.map((entry) => entry.Node),
      [AGENT, 'n-far', 'n-mid', 'n-near'],
    );
    assert.deepEqual(all[3], { Node: 'n-near', Segment: '', Coord: coordinateAt(1) });
    assert.deepEqual(json(await get('/v1/coordinate/nodes?segment=other')), []);
    assert.equal(json<unknown[]>(await get('/v1/coordinate/nodes?segment=')).length, 4);
    const filter = encodeURIComponent('Node matches "^n-m"');
    assert.deepEqual(
      json<{ Node: string }[]>(await get(`/v1/coordinate/nodes?filter=${filter}`)).map(
        (e) => e.Node,
      ),
      ['n-mid'],
    );
  });

  it('answers one node’s coordinates, and 404 with no body for a node without one', async () => {
    const one = await get('/v1/coordinate/node/n-mid');
    assert.equal(one.status, 200);
    assert.deepEqual(json(one), [{ Node: 'n-mid', Segment: '', Coord: coordinateAt(3) }]);
    assert.ok(Number(one.headers['x-consul-index']) > 0);
    const none = await get('/v1/coordinate/node/n-none');
    assert.equal(none.status, 404);
    assert.equal(none.text, '');
  });

  it('wakes a blocking list when a coordinate changes, and drops updates for unknown nodes', async () => {
    const first = await get('/v1/coordinate/nodes');
    const index = Number(first.headers['x-consul-index']);
    const blocked = get(`/v1/coordinate/nodes?index=${index}&wait=30s`);
    assert.equal(
      (await put('/v1/coordinate/update', { Node: 'ghost', Coord: coordinateAt(2) })).status,
      200,
    );
    const moved = { Node: 'n-far', Segment: '', Coord: coordinateAt(8) };
    assert.equal((await put('/v1/coordinate/update', moved)).status, 200);
    const woke = await blocked;
    assert.ok(Number(woke.headers['x-consul-index']) > index);
    await placeNodes(t, { 'n-far': 8 });
    const nodes = json<{ Node: string }[]>(await get('/v1/coordinate/nodes')).map((e) => e.Node);
    assert.ok(!nodes.includes('ghost'), 'a node outside the catalog gets no coordinate');
    await placeNodes(t, { 'n-far': 7 });
  });

  it('refuses updates that do not decode, are not finite or have the wrong dimensionality', async () => {
    const three = await put('/v1/coordinate/update', {
      Node: 'n-mid',
      Coord: { Vec: [1, 2, 3], Error: 1, Adjustment: 0, Height: 0 },
    });
    assert.equal(three.status, 400);
    assert.equal(three.text, 'incompatible coordinate');
    const huge = await put(
      '/v1/coordinate/update',
      '{"Node":"n-mid","Coord":{"Vec":[1e400,0,0,0,0,0,0,0],"Error":1,"Adjustment":0,"Height":0}}',
    );
    assert.equal(huge.status, 400);
    assert.match(huge.text, /^Request decode failed: json: cannot unmarshal number 1e400/);
    const text = await put('/v1/coordinate/update', { Node: 'n-mid', Coord: { Error: 'x' } });
    assert.equal(text.status, 400);
    assert.match(text.text, /^Request decode failed: /);
    const missing = await put('/v1/coordinate/update', { Node: 'n-mid' });
    assert.equal(missing.status, 400);
    assert.equal(missing.text, 'invalid coordinate');
  });
});

describe('?near', () => {
  const nodesOf = async (path: string): Promise<string[]> => {
    const body = json<({ Node: string } | { Node: { Node: string } })[]>(await get(path));
    return body.map((item) => (typeof item.Node === 'string' ? item.Node : item.Node.Node));
  };

  it('orders catalog and health listings by estimated round trip, uncoordinated nodes last', async () => {
    const webNear = ['n-near', 'n-mid', 'n-far', 'n-none'];
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=_agent'), webNear);
    assert.deepEqual(await nodesOf('/v1/health/service/web?near=_agent'), webNear);
    assert.deepEqual(await nodesOf('/v1/health/checks/web?near=_agent'), webNear);
    // From n-far (7 ms): mid is 4 ms away, near 6, the agent 7.
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=n-far'), [
      'n-far',
      'n-mid',
      'n-near',
      'n-none',
    ]);
    assert.deepEqual(await nodesOf('/v1/catalog/nodes?near=n-far'), [
      'n-far',
      'n-mid',
      'n-near',
      AGENT,
      'n-none',
    ]);
    // From n-mid (3 ms): near is 2 ms away, the agent 3, far 4.
    assert.deepEqual(await nodesOf('/v1/health/state/passing?near=n-mid'), [
      'n-mid',
      'n-near',
      AGENT,
      'n-far',
      'n-none',
    ]);
  });

  it('leaves the order alone when the near node has no coordinate', async () => {
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=n-none'), [
      'n-far',
      'n-mid',
      'n-near',
      'n-none',
    ]);
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=nobody'), [
      'n-far',
      'n-mid',
      'n-near',
      'n-none',
    ]);
  });

  it('follows moved coordinates, and forgets a deregistered node’s', async () => {
    await placeNodes(t, { 'n-far': 0.5 });
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=_agent'), [
      'n-far',
      'n-near',
      'n-mid',
      'n-none',
    ]);
    await placeNodes(t, { 'n-far': 7 });
    const result = await put('/v1/catalog/deregister', { Node: 'n-near' });
    assert.equal(result.status, 200, result.text);
    assert.equal((await get('/v1/coordinate/node/n-near')).status, 404);
    assert.deepEqual(await nodesOf('/v1/catalog/service/web?near=_agent'), [
      'n-mid',
      'n-far',
      'n-none',
    ]);
  });
});

describe('the agent’s own coordinate', () => {
  it('is sent every sync_coordinate_interval_min and stored through Raft', async () => {
    const fast = await startTestAgent([
      '-node',
      'syncing',
      '-hcl',
      'sync_coordinate_interval_min = "100ms"',
    ]);
    try {
      await waitForSelfRegistration(fast);
      const deadline = Date.now() + 10_000;
      let own: { Node: string; Coord: { Vec: number[]; Error: number } }[] = [];
      while (own.length === 0) {
        if (Date.now() > deadline) throw new Error('the agent never stored its own coordinate');
        await new Promise((resolve) => setTimeout(resolve, 50));
        const result = await fast.request('GET', '/v1/coordinate/node/syncing');
        if (result.status === 200) own = JSON.parse(result.text) as typeof own;
      }
      // Alone in its pool it has measured nothing: serf's starting coordinate.
      assert.deepEqual(own[0].Coord, {
        Vec: [0, 0, 0, 0, 0, 0, 0, 0],
        Error: 1.5,
        Adjustment: 0,
        Height: 10e-6,
      });
    } finally {
      await fast.stop();
    }
  });

  it('with disable_coordinates, every coordinate endpoint answers 401 and self has no Coord', async () => {
    const off = await startTestAgent(['-node', 'no-coords', '-hcl', 'disable_coordinates = true']);
    try {
      for (const [method, path] of [
        ['GET', '/v1/coordinate/datacenters'],
        ['GET', '/v1/coordinate/nodes'],
        ['GET', '/v1/coordinate/node/no-coords'],
        ['PUT', '/v1/coordinate/update'],
      ]) {
        const result = await off.request(method, path, {
          body:
            method === 'PUT' ? JSON.stringify({ Node: 'x', Coord: coordinateAt(1) }) : undefined,
        });
        assert.equal(result.status, 401, path);
        assert.equal(result.text, 'Coordinate support disabled', path);
      }
      const self = JSON.parse((await off.request('GET', '/v1/agent/self')).text) as {
        Coord: unknown;
      };
      assert.equal(self.Coord, null);
    } finally {
      await off.stop();
    }
  });
});
