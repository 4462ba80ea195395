// One datacenter of real processes: three servers (127.0.0.5x) and two client agents
// (127.0.0.6x) that join the LAN pool. Services and checks on the clients reach the catalog, the
// whole API and DNS answer through a client (the npm `consul` client among the callers), a
// blocking query held through a client wakes on a change, a client survives the death of the
// server it talks to, and its DNS keeps answering from its last good answers while no server
// does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { decodeReply, queryPacket, udpExchange } from '../dns/support';
import { call, cluster, dnsPort, eventually, json, lanAddress, type RunningAgent } from './support';

const agents = cluster('client-agents');
after(() => agents.stop());

const server = (octet: number, seeds: string[]): Promise<RunningAgent> =>
  agents.server(octet, seeds, ['-bootstrap-expect=3', '-dns-port=-1']);
// Clients send their LAN coordinate every 500 ms (Consul's default is 15 s or more).
const client = (octet: number, seeds: string[], service: string): Promise<RunningAgent> =>
  agents.client(octet, seeds, service, ['-hcl', 'sync_coordinate_interval_min = "500ms"']);

interface HealthEntry {
  Node: { Node: string };
  Service: { ID: string; Service: string; Port: number };
  Checks: { CheckID: string; Status: string }[];
}

describe('client agents in a datacenter of three servers', () => {
  let servers: RunningAgent[] = [];
  let clients: RunningAgent[] = [];

  before(async () => {
    const first = await server(51, []);
    const seed = lanAddress(first);
    servers = [first, await server(52, [seed]), await server(53, [seed])];
    clients = [await client(61, [seed], 'web'), await client(62, [seed], 'api')];
    await eventually('a leader seen through a client', async () => {
      const leader = await json<string>(clients[0], '/v1/status/leader');
      return leader === '' ? undefined : leader;
    });
  });

  it('start as clients: not servers, with the servers of the datacenter known', async () => {
    for (const agent of clients) {
      assert.match(agent.output(), /Server: false/);
      const self = await json<{ Config: { Server: boolean }; Stats: { consul: object } }>(
        agent,
        '/v1/agent/self',
      );
      assert.equal(self.Config.Server, false);
      await eventually('three known servers', async () => {
        const again = await json<{ Stats: { consul: { known_servers: string } } }>(
          agent,
          '/v1/agent/self',
        );
        return again.Stats.consul.known_servers === '3' ? true : undefined;
      });
    }
  });

  it("register the clients' services in the catalog, seen from servers and clients", async () => {
    for (const agent of [servers[0], clients[1]]) {
      await eventually('web and api in the catalog', async () => {
        const services = await json<Record<string, string[]>>(agent, '/v1/catalog/services');
        return 'web' in services && 'api' in services ? true : undefined;
      });
    }
    const web = await json<{ Node: string; ServicePort: number }[]>(
      servers[1],
      '/v1/catalog/service/web',
    );
    assert.deepEqual(
      web.map((entry) => [entry.Node, entry.ServicePort]),
      [['c61', 8061]],
    );
    // The leader registered each client's node with its serfHealth check.
    await eventually('serfHealth of c62 passing', async () => {
      const checks = await json<{ CheckID: string; Status: string }[]>(
        servers[2],
        '/v1/health/node/c62',
      );
      return checks.some((c) => c.CheckID === 'serfHealth' && c.Status === 'passing')
        ? true
        : undefined;
    });
  });

  it('send their LAN coordinates, learned from gossip probes, to the servers', async () => {
    const learned = await eventually('both clients’ coordinates in the catalog', async () => {
      const entries = await json<{ Node: string; Coord: { Vec: number[]; Error: number } }[]>(
        servers[0],
        '/v1/coordinate/nodes',
      );
      const clientsOnly = entries.filter((e) => e.Node.startsWith('c'));
      // Error starts at 1.5 and falls once the client measured round trips to its peers.
      return clientsOnly.length === 2 && clientsOnly.every((e) => e.Coord.Error < 1.5)
        ? clientsOnly
        : undefined;
    });
    assert.deepEqual(
      learned.map((e) => [e.Node, e.Coord.Vec.length]),
      [
        ['c61', 8],
        ['c62', 8],
      ],
    );
    // The same through a client, which carries the read to a server.
    const viaClient = await json<{ Node: string }[]>(clients[1], '/v1/coordinate/node/c61');
    assert.equal(viaClient[0].Node, 'c61');
  });

  it("drive health from a client's checks, and wake a blocking query held through a client", async () => {
    const path = '/v1/health/service/web?passing=1';
    const first = await call(clients[1], path);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(JSON.parse(first.text), []);
    const index = first.headers.get('x-consul-index');
    assert.ok(index !== null && Number(index) > 0, 'X-Consul-Index through a client');
    const blocked = call(clients[1], `${path}&index=${index}&wait=60s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pass = await call(clients[0], '/v1/agent/check/pass/service:web', { method: 'PUT' });
    assert.equal(pass.status, 200, pass.text);
    const woke = await blocked;
    assert.equal(woke.status, 200, woke.text);
    const entries = JSON.parse(woke.text) as HealthEntry[];
    assert.deepEqual(
      entries.map((entry) => entry.Node.Node),
      ['c61'],
      'the passing instance, as soon as the check passed',
    );
    assert.ok(Number(woke.headers.get('x-consul-index')) > Number(index));
  });

  it('serve the npm consul client through a client agent: kv, txn, catalog, health, sessions, events', async () => {
    const consul = new Consul({
      host: '127.0.0.1',
      port: Number(clients[0].address.split(':')[1]),
    });
    await consul.kv.set('client/config', 'v1');
    const got = (await consul.kv.get('client/config')) as { Value: string };
    assert.equal(got.Value, 'v1');
    const keys = (await consul.kv.keys('client/')) as string[];
    assert.deepEqual(keys, ['client/config']);
    const session = (await consul.session.create({ name: 'through-client', ttl: '30s' })) as {
      ID: string;
    };
    assert.equal(
      await consul.kv.set({ key: 'client/lock', value: 'me', acquire: session.ID }),
      true,
    );
    const info = (await consul.session.info(session.ID)) as { Name: string };
    assert.equal(info.Name, 'through-client');
    const nodes = (await consul.catalog.node.list()) as { Node: string }[];
    assert.deepEqual(
      nodes.map((node) => node.Node),
      ['c61', 'c62', 's51', 's52', 's53'],
    );
    const state = (await consul.health.state('any')) as { Node: string }[];
    assert.ok(state.some((check) => check.Node === 'c62'));
    const fired = (await consul.event.fire('deploy', 'v2')) as { ID: string };
    assert.ok(fired.ID.length > 0);
    const leader = (await consul.status.leader()) as string;
    const peers = (await consul.status.peers()) as string[];
    assert.ok(peers.includes(leader));
    // Writes land on the servers: a server reads what the client wrote.
    const onServer = await json<{ Value: string }[]>(servers[2], '/v1/kv/client/config');
    assert.equal(Buffer.from(onServer[0].Value, 'base64').toString(), 'v1');
    const txn = await call(clients[1], '/v1/txn', {
      method: 'PUT',
      body: JSON.stringify([{ KV: { Verb: 'get', Key: 'client/config' } }]),
    });
    assert.equal(txn.status, 200, txn.text);
    await consul.session.destroy(session.ID);
  });

  it('answer DNS for the datacenter from a client agent', async () => {
    const pass = await call(clients[1], '/v1/agent/check/pass/service:api', { method: 'PUT' });
    assert.equal(pass.status, 200, pass.text);
    await eventually('api passing', async () => {
      const passing = await json<HealthEntry[]>(clients[0], '/v1/health/service/api?passing=1');
      return passing.length === 1 ? true : undefined;
    });
    const reply = await udpExchange(
      dnsPort(clients[1]),
      queryPacket('api.service.consul', 'SRV'),
      10_000,
    );
    assert.ok(reply !== null, 'an answer');
    const decoded = decodeReply(reply);
    assert.equal(decoded.rcode, 'NOERROR');
    assert.deepEqual(
      decoded.answers.map((answer) => (answer.data as { port: number }).port),
      [8062],
    );
  });

  it('serve ?stale within ?max_stale only: a server cut off from the others refuses older reads', async () => {
    // A follower: it has heard from a leader, so its staleness is known (a former leader's is not).
    const roles = await Promise.all(
      servers.map((agent) =>
        json<{ Stats: { consul: { leader: string } } }>(agent, '/v1/agent/self'),
      ),
    );
    const alone = servers[roles.findIndex((self) => self.Stats.consul.leader !== 'true')];
    const others = servers.filter((agent) => agent !== alone);
    const put = await call(alone, '/v1/kv/stale-probe', { method: 'PUT', body: 'v' });
    assert.equal(put.text, 'true');
    const bad = await call(alone, '/v1/kv/stale-probe?stale&max_stale=soon');
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'Invalid max_stale value');
    for (const agent of others) agent.child.kill('SIGSTOP');
    try {
      await eventually('s51 past 1.5s without a leader', async () => {
        const answer = await call(alone, '/v1/kv/stale-probe?stale');
        return Number(answer.headers.get('x-consul-lastcontact')) > 1500 ||
          answer.headers.get('x-consul-knownleader') === 'false'
          ? true
          : undefined;
      });
      const stale = await call(alone, '/v1/kv/stale-probe?stale');
      assert.equal(stale.status, 200, stale.text);
      assert.equal(stale.headers.get('x-consul-effective-consistency'), 'stale');
      // Within max_stale it would have been answered here; past it, only a leader may answer.
      const bounded = await call(alone, '/v1/kv/stale-probe?stale&max_stale=1s');
      assert.equal(bounded.status, 500, bounded.text);
      assert.equal(bounded.text, 'No cluster leader');
      const generous = await call(alone, '/v1/kv/stale-probe?stale&max_stale=1h');
      assert.equal(generous.status, 200, generous.text);
    } finally {
      for (const agent of others) agent.child.kill('SIGCONT');
    }
    await eventually('a leader again', async () => {
      const answer = await call(alone, '/v1/kv/stale-probe');
      return answer.status === 200 ? true : undefined;
    });
  });

  it('keep answering when the server a client talks to is killed', async () => {
    await servers[0].stop('SIGKILL');
    // Writes need the two survivors to agree on a leader (the victim may have led).
    const put = await eventually('a write after the kill', async () => {
      const answer = await call(clients[0], '/v1/kv/client/after-kill', {
        method: 'PUT',
        body: 'yes',
      });
      return answer.status === 200 ? answer : undefined;
    });
    assert.equal(put.text, 'true');
    // With a second server gone, each client has lost the server it used (there were three):
    // every request is still answered, by the last one.
    await servers[1].stop('SIGKILL');
    for (let i = 0; i < 5; i++) {
      for (const agent of clients) {
        const answer = await call(agent, '/v1/kv/client/after-kill?stale');
        assert.equal(answer.status, 200, answer.text);
      }
    }
  });

  it('keep answering DNS from the last good answers while no server answers', async () => {
    const port = dnsPort(clients[1]);
    const fresh = await udpExchange(port, queryPacket('api.service.consul', 'A'), 10_000);
    assert.ok(fresh !== null);
    assert.equal(decodeReply(fresh).answers.length, 1);
    servers[2].child.kill('SIGSTOP');
    try {
      const stale = await udpExchange(port, queryPacket('api.service.consul', 'A'), 20_000);
      assert.ok(stale !== null, 'an answer while the servers are stopped');
      const decoded = decodeReply(stale);
      assert.equal(decoded.rcode, 'NOERROR');
      assert.deepEqual(decoded.answers, decodeReply(fresh).answers);
      // A question never answered before has nothing to fall back on.
      const unknown = await udpExchange(port, queryPacket('web.service.consul', 'TXT'), 20_000);
      assert.ok(unknown !== null);
      assert.equal(decodeReply(unknown).rcode, 'SERVFAIL');
      assert.match(clients[1].output(), /serving the last good answers/);
    } finally {
      servers[2].child.kill('SIGCONT');
    }
  });
});

describe('the agent cache on a client agent', () => {
  let servers: RunningAgent[] = [];
  let agent: RunningAgent;
  const cache = cluster('client-cache');
  after(() => cache.stop());

  before(async () => {
    const first = await cache.server(56, [], ['-bootstrap', '-dns-port=-1']);
    servers = [first];
    agent = await cache.client(66, [lanAddress(first)], 'cached-web');
    await eventually('the service in the catalog', async () => {
      const found = await json<unknown[]>(agent, '/v1/catalog/service/cached-web');
      return found.length === 1 ? true : undefined;
    });
  });

  it('answers ?cached from the cache, kept current in the background', async () => {
    const path = '/v1/health/service/cached-web?cached';
    const first = await call(agent, path);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('x-cache'), 'MISS');
    const second = await call(agent, path);
    assert.equal(second.headers.get('x-cache'), 'HIT');
    assert.equal(second.headers.get('age'), '0');
    assert.equal(second.text, first.text);
    // A change reaches the cached answer without the caller asking for a fresh one.
    const pass = await call(agent, '/v1/agent/check/pass/service:cached-web', { method: 'PUT' });
    assert.equal(pass.status, 200, pass.text);
    await eventually('the cached answer passing', async () => {
      const answer = await call(agent, path);
      assert.equal(answer.headers.get('x-cache'), 'HIT');
      const entries = JSON.parse(answer.text) as { Checks: { Status: string }[] }[];
      return entries[0].Checks.every((check) => check.Status === 'passing') ? true : undefined;
    });
    const fresh = await call(agent, path, { headers: { 'cache-control': 'max-age=0' } });
    assert.equal(fresh.headers.get('x-cache'), 'MISS');
    const conflicting = await call(agent, `${path}&consistent`);
    assert.equal(conflicting.status, 400);
    assert.equal(
      conflicting.text,
      'Cannot specify ?cached with ?consistent, conflicting semantics.',
    );
    // Endpoints Consul does not cache ignore the parameter.
    const kv = await call(agent, '/v1/kv/none?cached');
    assert.equal(kv.headers.get('x-cache'), null);
  });

  it('serves a stale answer within stale-if-error once no server answers', async () => {
    const path = '/v1/catalog/service/cached-web?cached';
    const first = await call(agent, path);
    assert.equal(first.status, 200, first.text);
    await servers[0].stop('SIGKILL');
    const stale = await call(agent, path, {
      headers: { 'cache-control': 'max-age=0, stale-if-error=3600' },
    });
    assert.equal(stale.status, 200, stale.text);
    assert.equal(stale.headers.get('x-cache'), 'HIT');
    assert.equal(stale.text, first.text);
    const strict = await call(agent, path, { headers: { 'cache-control': 'max-age=0' } });
    assert.equal(strict.status, 500);
  });
});
