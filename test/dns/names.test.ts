// Every name form of consul-api.md §10.1, through `dig` and Node's resolver, against a running
// agent whose catalog was filled through the HTTP API.
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';

import { waitForSelfRegistration } from '../http/catalog-helpers';
import { ask, dig, instance, startDnsAgent, type DnsTestAgent } from './support';

let t: DnsTestAgent;
let resolver: Resolver;

before(async () => {
  t = await startDnsAgent(['-alt-domain', 'alt.example']);
  await waitForSelfRegistration(t);
  const passing = [{ status: 'passing' }];
  await t.register(
    instance('db1', '10.0.0.1', { Service: 'redis', Tags: ['primary'], Port: 6379 }, passing, {
      rack: 'r1',
      'rfc1035-raw': 'plain value',
      'a=b': 'c',
    }),
  );
  await t.register(
    instance('db2', '10.0.0.2', { Service: 'redis', Tags: ['replica'], Port: 6380 }),
  );
  await t.register(instance('v6node', '2001:db8::10', { Service: 'ipv6svc', Port: 9000 }));
  await t.register(
    instance('web-host', '10.0.0.3', {
      Service: 'web',
      Address: '10.9.9.9',
      Port: 80,
      Tags: ['v1'],
    }),
  );
  await t.register(
    instance('ext-node', '10.0.0.4', { Service: 'external', Address: 'example.org', Port: 443 }),
  );
  await t.register({ Node: 'host.rack7', Address: '10.0.0.7' });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${t.dnsPort}`]);
});

after(() => t.stop());

describe('node lookups', () => {
  test('NODE.node.consul answers the node address, authoritative, without RA', async () => {
    const result = await dig(t.dnsPort, ['db1.node.consul', 'A']);
    assert.equal(result.status, 'NOERROR');
    assert.deepEqual(result.answer, [['db1.node.consul.', '0', 'IN', 'A', '10.0.0.1']]);
    assert.ok(result.flags.includes('aa'));
    assert.ok(!result.flags.includes('ra'));
  });

  test('names are case-insensitive and take the datacenter label', async () => {
    const result = await dig(t.dnsPort, ['DB1.Node.DC1.Consul', 'A']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['10.0.0.1'],
    );
  });

  test('a node name with dots is the joined labels', async () => {
    const result = await dig(t.dnsPort, ['host.rack7.node.consul', 'A']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['10.0.0.7'],
    );
  });

  test('the agent finds its own node', async () => {
    const result = await dig(t.dnsPort, ['agent-one.node.consul', 'A']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['127.0.0.1'],
    );
  });

  test('AAAA for an IPv4-only node is NODATA with the SOA', async () => {
    const result = await dig(t.dnsPort, ['db1.node.consul', 'AAAA']);
    assert.equal(result.status, 'NOERROR');
    assert.equal(result.answer.length, 0);
    assert.equal(result.authority[0][3], 'SOA');
  });

  test('AAAA answers an IPv6 node', async () => {
    const result = await dig(t.dnsPort, ['v6node.node.consul', 'AAAA']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['2001:db8::10'],
    );
  });

  test('TXT carries node meta, RFC 1464-escaped, rfc1035- keys as bare values', async () => {
    const result = await dig(t.dnsPort, ['db1.node.consul', 'TXT']);
    const texts = result.answer.map((r) => r.slice(4).join(' ')).sort();
    assert.deepEqual(texts, ['"a`=b=c"', '"plain value"', '"rack=r1"']);
  });

  test('A for a node with meta puts the meta TXT in ADDITIONAL', async () => {
    const result = await dig(t.dnsPort, ['db1.node.consul', 'A']);
    assert.equal(result.additional.filter((r) => r[3] === 'TXT').length, 3);
  });

  test('an unknown node is NXDOMAIN with the SOA in AUTHORITY', async () => {
    const result = await dig(t.dnsPort, ['nobody.node.consul', 'A']);
    assert.equal(result.status, 'NXDOMAIN');
    assert.equal(result.authority[0][3], 'SOA');
  });

  test('an unknown datacenter is NXDOMAIN', async () => {
    const result = await dig(t.dnsPort, ['db1.node.dc9.consul', 'A']);
    assert.equal(result.status, 'NXDOMAIN');
  });
});

describe('service lookups', () => {
  test('NAME.service.consul answers every healthy instance', async () => {
    const result = await dig(t.dnsPort, ['redis.service.consul', 'A']);
    assert.deepEqual(result.answer.map((r) => r[4]).sort(), ['10.0.0.1', '10.0.0.2']);
    assert.ok(result.answer.every((r) => r[0] === 'redis.service.consul.'));
  });

  test('TAG.NAME.service.consul keeps the tagged instances only', async () => {
    const result = await dig(t.dnsPort, ['primary.redis.service.consul', 'A']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['10.0.0.1'],
    );
  });

  test('NAME.service.DC.dc.consul is the explicit-datacenter form', async () => {
    const result = await dig(t.dnsPort, ['redis.service.dc1.dc.consul', 'A']);
    assert.equal(result.answer.length, 2);
  });

  test('an unknown tag or service is NXDOMAIN', async () => {
    assert.equal((await dig(t.dnsPort, ['nope.redis.service.consul', 'A'])).status, 'NXDOMAIN');
    assert.equal((await dig(t.dnsPort, ['nope.service.consul', 'A'])).status, 'NXDOMAIN');
  });

  test('SRV targets the node with its A record and meta TXT in ADDITIONAL', async () => {
    const result = await dig(t.dnsPort, ['primary.redis.service.consul', 'SRV']);
    assert.deepEqual(result.answer, [
      ['primary.redis.service.consul.', '0', 'IN', 'SRV', '1', '1', '6379', 'db1.node.dc1.consul.'],
    ]);
    const glue = result.additional.filter((r) => r[3] === 'A');
    assert.deepEqual(glue, [['db1.node.dc1.consul.', '0', 'IN', 'A', '10.0.0.1']]);
    assert.ok(result.additional.some((r) => r[3] === 'TXT' && r[4] === '"rack=r1"'));
  });

  test('RFC 2782 _NAME._TAG.service and _NAME._tcp (no tag filter) forms', async () => {
    const tagged = await dig(t.dnsPort, ['_redis._replica.service.consul', 'SRV']);
    assert.deepEqual(
      tagged.answer.map((r) => r[6]),
      ['6380'],
    );
    const all = await dig(t.dnsPort, ['_redis._tcp.service.consul', 'SRV']);
    assert.deepEqual(all.answer.map((r) => r[6]).sort(), ['6379', '6380']);
  });

  test('the .service label is optional for RFC 2782 SRV questions', async () => {
    const result = await dig(t.dnsPort, ['_redis._tcp.consul', 'SRV']);
    assert.equal(result.answer.length, 2);
  });

  test('a service with its own IP gets the <hex>.addr target and its A in ADDITIONAL', async () => {
    const result = await dig(t.dnsPort, ['web.service.consul', 'SRV']);
    assert.equal(result.answer[0][7], '0a090909.addr.dc1.consul.');
    assert.deepEqual(
      result.additional.filter((r) => r[3] === 'A'),
      [['0a090909.addr.dc1.consul.', '0', 'IN', 'A', '10.9.9.9']],
    );
    const a = await dig(t.dnsPort, ['web.service.consul', 'A']);
    assert.deepEqual(
      a.answer.map((r) => r[4]),
      ['10.9.9.9'],
    );
  });

  test('a hostname service address is a CNAME, and the SRV target', async () => {
    const a = await dig(t.dnsPort, ['external.service.consul', 'A']);
    assert.deepEqual(a.answer[0].slice(3), ['CNAME', 'example.org.']);
    const srv = await dig(t.dnsPort, ['external.service.consul', 'SRV']);
    assert.equal(srv.answer[0][7], 'example.org.');
  });

  test('a type a service has no records of is NODATA with the SOA', async () => {
    const result = await dig(t.dnsPort, ['redis.service.consul', 'MX']);
    assert.equal(result.status, 'NOERROR');
    assert.equal(result.answer.length, 0);
    assert.equal(result.authority[0][3], 'SOA');
  });

  test('connect, ingress and virtual forms, and an unknown query, are NXDOMAIN', async () => {
    for (const name of [
      'redis.connect.consul',
      'redis.ingress.consul',
      'redis.virtual.consul',
      'q.query.consul',
    ]) {
      assert.equal((await dig(t.dnsPort, [name, 'A'])).status, 'NXDOMAIN', name);
    }
  });

  test('an unparsable name in the domain is NXDOMAIN', async () => {
    assert.equal((await dig(t.dnsPort, ['what.consul', 'A'])).status, 'NXDOMAIN');
  });
});

describe('addr, reverse, SOA and NS', () => {
  test('8 hex digits under .addr answer an A record', async () => {
    const result = await dig(t.dnsPort, ['0a000005.addr.dc1.consul', 'A']);
    assert.deepEqual(result.answer, [['0a000005.addr.dc1.consul.', '0', 'IN', 'A', '10.0.0.5']]);
  });

  test('32 hex digits under .addr answer an AAAA record', async () => {
    const result = await dig(t.dnsPort, ['20010db8000000000000000000000010.addr.consul', 'AAAA']);
    assert.deepEqual(
      result.answer.map((r) => r[4]),
      ['2001:db8::10'],
    );
  });

  test('other .addr labels are NXDOMAIN', async () => {
    assert.equal((await dig(t.dnsPort, ['0a00.addr.consul', 'A'])).status, 'NXDOMAIN');
    assert.equal((await dig(t.dnsPort, ['zzzzzzzz.addr.consul', 'A'])).status, 'NXDOMAIN');
  });

  test('PTR of a node address names the node', async () => {
    const result = await dig(t.dnsPort, ['-x', '10.0.0.1']);
    assert.deepEqual(result.answer, [
      ['1.0.0.10.in-addr.arpa.', '0', 'IN', 'PTR', 'db1.node.dc1.consul.'],
    ]);
  });

  test('PTR of an IPv6 node address names the node', async () => {
    const result = await dig(t.dnsPort, ['-x', '2001:db8::10']);
    assert.equal(result.answer[0][4], 'v6node.node.dc1.consul.');
  });

  test('PTR of a service address names the service', async () => {
    const result = await dig(t.dnsPort, ['-x', '10.9.9.9']);
    assert.equal(result.answer[0][4], 'web.service.dc1.consul.');
  });

  test('PTR of an unknown address without recursors is REFUSED', async () => {
    assert.equal((await dig(t.dnsPort, ['-x', '10.200.0.1'])).status, 'REFUSED');
  });

  test('a name outside the domain without recursors is REFUSED', async () => {
    assert.equal((await dig(t.dnsPort, ['example.com', 'A'])).status, 'REFUSED');
  });

  test('SOA for the domain, with this server as NS in AUTHORITY and its glue', async () => {
    const result = await dig(t.dnsPort, ['consul', 'SOA']);
    const [soa] = result.answer;
    assert.deepEqual(soa.slice(0, 6), [
      'consul.',
      '0',
      'IN',
      'SOA',
      'ns.consul.',
      'hostmaster.consul.',
    ]);
    assert.ok(Math.abs(Number(soa[6]) - Date.now() / 1000) < 60, 'serial is the unix time');
    assert.deepEqual(soa.slice(7), ['3600', '600', '86400', '0']);
    assert.deepEqual(result.authority, [
      ['consul.', '0', 'IN', 'NS', 'agent-one.node.dc1.consul.'],
    ]);
    assert.deepEqual(result.additional, [
      ['agent-one.node.dc1.consul.', '0', 'IN', 'A', '127.0.0.1'],
    ]);
  });

  test('NS for the domain names this server with A glue', async () => {
    const result = await dig(t.dnsPort, ['consul', 'NS']);
    assert.deepEqual(result.answer, [['consul.', '0', 'IN', 'NS', 'agent-one.node.dc1.consul.']]);
    assert.equal(result.additional[0][4], '127.0.0.1');
  });

  test('the alt domain answers with the domain the question used', async () => {
    const a = await dig(t.dnsPort, ['primary.redis.service.alt.example', 'SRV']);
    assert.equal(a.answer[0][0], 'primary.redis.service.alt.example.');
    assert.equal(a.answer[0][7], 'db1.node.dc1.alt.example.');
    const miss = await dig(t.dnsPort, ['nope.service.alt.example', 'A']);
    assert.equal(miss.authority[0][0], 'alt.example.');
  });
});

describe('wire-level answers', () => {
  test('AXFR is NOTIMP', async () => {
    const reply = await ask(t.dnsPort, 'consul', 'AXFR', { tcp: true });
    assert.equal(reply.rcode, 'NOTIMP');
  });

  test('the question is echoed as asked, case included', async () => {
    const reply = await ask(t.dnsPort, 'ReDis.SERVICE.consul', 'A');
    assert.equal(reply.questions?.[0].name, 'ReDis.SERVICE.consul');
    assert.equal(reply.answers?.[0].name, 'ReDis.SERVICE.consul');
  });
});

describe("Node's dns.promises.Resolver", () => {
  test('resolve4 returns the healthy instances', async () => {
    assert.deepEqual((await resolver.resolve4('redis.service.consul')).sort(), [
      '10.0.0.1',
      '10.0.0.2',
    ]);
  });

  test('resolveSrv returns port and target', async () => {
    assert.deepEqual(await resolver.resolveSrv('_redis._primary.service.consul'), [
      { name: 'db1.node.dc1.consul', port: 6379, priority: 1, weight: 1 },
    ]);
  });

  test('resolveTxt returns node meta', async () => {
    const texts = (await resolver.resolveTxt('db1.node.consul')).map((chunks) => chunks.join(''));
    assert.ok(texts.includes('rack=r1'));
  });

  test('reverse names the node', async () => {
    assert.deepEqual(await resolver.reverse('10.0.0.2'), ['db2.node.dc1.consul']);
  });

  test('resolve6 answers an IPv6 service instance', async () => {
    assert.deepEqual(await resolver.resolve6('ipv6svc.service.consul'), ['2001:db8::10']);
  });

  test('an unknown service rejects with ENOTFOUND', async () => {
    await assert.rejects(resolver.resolve4('missing.service.consul'), { code: 'ENOTFOUND' });
  });
});
