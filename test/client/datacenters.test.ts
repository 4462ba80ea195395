// Two datacenters of real processes: dc1 with three servers and a client, dc2 with one server
// and a client, the servers joined over the WAN. Any agent answers HTTP (`?dc=`) and DNS
// (`.dc2.consul`) for either datacenter, and /v1/catalog/datacenters lists both.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { decodeReply, queryPacket, udpExchange } from '../dns/support';
import {
  call,
  cluster,
  dnsPort,
  eventually,
  json,
  lanAddress,
  wanAddress,
  type RunningAgent,
} from './support';

const agents = cluster('datacenters');
after(() => agents.stop());

interface HealthEntry {
  Node: { Node: string; Datacenter: string };
  Service: { Service: string; Port: number };
}

describe('two datacenters joined over the WAN', () => {
  let dc1Client: RunningAgent;
  let dc2Client: RunningAgent;
  let dc1Server: RunningAgent;

  before(async () => {
    const dc1 = ['-datacenter=dc1', '-bootstrap-expect=3', '-dns-port=0'];
    dc1Server = await agents.server(71, [], dc1);
    const seed = lanAddress(dc1Server);
    const wanSeed = wanAddress(dc1Server);
    await agents.server(72, [seed], dc1);
    await agents.server(73, [seed], dc1);
    const dc2Server = await agents.server(
      81,
      [],
      ['-datacenter=dc2', '-bootstrap', '-dns-port=-1', '-retry-join-wan', wanSeed],
    );
    dc1Client = await agents.client(74, [seed], 'web', ['-datacenter=dc1']);
    dc2Client = await agents.client(82, [lanAddress(dc2Server)], 'web', ['-datacenter=dc2']);
    for (const [agent, service] of [
      [dc1Client, 'service:web'],
      [dc2Client, 'service:web'],
    ] as const) {
      await eventually('the check pass accepted', async () => {
        const pass = await call(agent, `/v1/agent/check/pass/${service}`, { method: 'PUT' });
        return pass.status === 200 ? true : undefined;
      });
    }
  });

  it('list both datacenters, this one first, from any agent', async () => {
    for (const [agent, first] of [
      [dc1Client, 'dc1'],
      [dc2Client, 'dc2'],
      [dc1Server, 'dc1'],
    ] as const) {
      const listed = await eventually('both datacenters', async () => {
        const dcs = await json<string[]>(agent, '/v1/catalog/datacenters');
        return dcs.length === 2 ? dcs : undefined;
      });
      assert.equal(listed[0], first);
      assert.deepEqual([...listed].sort(), ['dc1', 'dc2']);
    }
  });

  it('list every datacenter’s servers with their WAN coordinates, from a client', async () => {
    const maps = await eventually('both datacenters in the coordinate map', async () => {
      const found = await json<
        { Datacenter: string; AreaID: string; Coordinates: { Node: string }[] }[]
      >(dc1Client, '/v1/coordinate/datacenters');
      return found.length === 2 ? found : undefined;
    });
    assert.deepEqual(
      maps.map((dc) => [dc.Datacenter, dc.AreaID]),
      [
        ['dc1', 'wan'],
        ['dc2', 'wan'],
      ],
    );
    // The server answering always holds its own WAN coordinate, named without `.dc1`.
    const dc1Nodes = maps[0].Coordinates.map((c) => c.Node);
    assert.ok(
      dc1Nodes.some((node) => ['s71', 's72', 's73'].includes(node)),
      JSON.stringify(dc1Nodes),
    );
  });

  it('answer ?dc= for the other datacenter through a client, reads and writes', async () => {
    const entries = await eventually('dc2 web passing, asked in dc1', async () => {
      const found = await json<HealthEntry[]>(dc1Client, '/v1/health/service/web?dc=dc2&passing');
      return found.length === 1 ? found : undefined;
    });
    assert.equal(entries[0].Node.Node, 'c82');
    assert.equal(entries[0].Node.Datacenter, 'dc2');
    const put = await call(dc1Client, '/v1/kv/where?dc=dc2', { method: 'PUT', body: 'dc2' });
    assert.equal(put.text, 'true');
    const local = await call(dc1Client, '/v1/kv/where');
    assert.equal(local.status, 404, 'the key went to dc2, not dc1');
    const remote = await call(dc2Client, '/v1/kv/where?raw');
    assert.equal(remote.text, 'dc2');
    const unknown = await call(dc1Client, '/v1/kv/where?dc=dc9');
    assert.equal(unknown.status, 500);
    assert.equal(unknown.text, 'No path to datacenter');
  });

  it('answer DNS names of the other datacenter from a client', async () => {
    const reply = await eventually('an answer for web.service.dc2.consul', async () => {
      const answer = await udpExchange(
        dnsPort(dc1Client),
        queryPacket('web.service.dc2.consul', 'SRV'),
        10_000,
      );
      if (answer === null) return undefined;
      const decoded = decodeReply(answer);
      return decoded.rcode === 'NOERROR' ? decoded : undefined;
    });
    assert.deepEqual(
      reply.answers.map((answer) => (answer.data as { port: number }).port),
      [8082],
    );
    const here = decodeReply(
      (await udpExchange(dnsPort(dc1Client), queryPacket('web.service.consul', 'SRV'), 10_000)) ??
        Buffer.alloc(0),
    );
    assert.deepEqual(
      here.answers.map((answer) => (answer.data as { port: number }).port),
      [8074],
    );
  });
});
