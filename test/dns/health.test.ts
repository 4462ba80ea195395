// Which instances DNS answers with (consul-api.md §10.2): no critical check, node checks and
// maintenance included; only_passing; weights; shuffling; duplicates; a_record_limit; TTLs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type * as dnsPacket from 'dns-packet';

import { ask, instance, startDnsAgent, type DnsTestAgent } from './support';

const EDNS = { bufsize: 4096 };

function addresses(reply: Awaited<ReturnType<typeof ask>>): string[] {
  return (reply.answers ?? []).map((answer) => String(answer.data)).sort();
}

describe('health filtering', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await startDnsAgent();
  });
  after(() => t.stop());

  test('instances with a critical check are left out; warning ones stay', async () => {
    await t.register(
      instance('h1', '10.1.0.1', { Service: 'api', Port: 1 }, [{ status: 'passing' }]),
    );
    await t.register(
      instance('h2', '10.1.0.2', { Service: 'api', Port: 1 }, [{ status: 'warning' }]),
    );
    await t.register(
      instance('h3', '10.1.0.3', { Service: 'api', Port: 1 }, [{ status: 'critical' }]),
    );
    assert.deepEqual(addresses(await ask(t.dnsPort, 'api.service.consul', 'A', EDNS)), [
      '10.1.0.1',
      '10.1.0.2',
    ]);
  });

  test('an instance leaves the answer when its check turns critical', async () => {
    await t.register(
      instance('h1', '10.1.0.1', { Service: 'api', Port: 1 }, [{ status: 'critical' }]),
    );
    assert.deepEqual(addresses(await ask(t.dnsPort, 'api.service.consul', 'A', EDNS)), [
      '10.1.0.2',
    ]);
  });

  test('a critical node-level check (serfHealth) removes every service on the node', async () => {
    await t.register(
      instance('n1', '10.2.0.1', { Service: 'cache', Port: 1 }, [{ status: 'passing' }]),
    );
    await t.register(
      instance('n2', '10.2.0.2', { Service: 'cache', Port: 1 }, [{ status: 'passing' }]),
    );
    await t.register({
      Node: 'n1',
      Address: '10.2.0.1',
      Checks: [{ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'critical' }],
    });
    assert.deepEqual(addresses(await ask(t.dnsPort, 'cache.service.consul', 'A', EDNS)), [
      '10.2.0.2',
    ]);
  });

  test('node maintenance removes the node’s services', async () => {
    await t.register({
      Node: 'n2',
      Address: '10.2.0.2',
      Checks: [{ CheckID: '_node_maintenance', Name: 'Node Maintenance Mode', Status: 'critical' }],
    });
    const reply = await ask(t.dnsPort, 'cache.service.consul', 'A', EDNS);
    assert.equal(reply.rcode, 'NXDOMAIN');
    assert.equal(reply.authorities?.[0].type, 'SOA');
  });

  test('SRV weight is Weights.Warning for an instance in warning, Weights.Passing otherwise', async () => {
    const weights = { Passing: 10, Warning: 2 };
    await t.register(
      instance('w1', '10.3.0.1', { Service: 'wt', Port: 1, Weights: weights }, [
        { status: 'passing' },
      ]),
    );
    await t.register(
      instance('w2', '10.3.0.2', { Service: 'wt', Port: 2, Weights: weights }, [
        { status: 'warning' },
      ]),
    );
    const reply = await ask(t.dnsPort, 'wt.service.consul', 'SRV', EDNS);
    const byPort = new Map(
      (reply.answers ?? []).map((a) => {
        const data = a.data as { port: number; weight: number };
        return [data.port, data.weight];
      }),
    );
    assert.deepEqual([...byPort.entries()].sort(), [
      [1, 10],
      [2, 2],
    ]);
  });

  test('answers are shuffled per query', async () => {
    for (let i = 1; i <= 6; i++) {
      await t.register(instance(`s${i}`, `10.4.0.${i}`, { Service: 'shuffled', Port: 1 }));
    }
    const orders = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const reply = await ask(t.dnsPort, 'shuffled.service.consul', 'A', EDNS);
      orders.add((reply.answers ?? []).map((a) => String(a.data)).join(','));
    }
    assert.ok(orders.size > 1, 'the same order 30 times');
  });

  test('duplicate A records (same address) are removed', async () => {
    await t.register(instance('dup', '10.5.0.1', { Service: 'twice', ID: 'twice-1', Port: 1 }));
    await t.register(instance('dup', '10.5.0.1', { Service: 'twice', ID: 'twice-2', Port: 2 }));
    assert.deepEqual(addresses(await ask(t.dnsPort, 'twice.service.consul', 'A', EDNS)), [
      '10.5.0.1',
    ]);
    const srv = await ask(t.dnsPort, 'twice.service.consul', 'SRV', EDNS);
    assert.equal(srv.answers?.length, 2, 'distinct ports stay distinct SRV records');
    assert.equal(srv.additionals?.filter((r) => r.type === 'A').length, 1, 'one glue record');
  });

  test('tags filter case-insensitively', async () => {
    await t.register(instance('tg1', '10.6.0.1', { Service: 'tagged', Tags: ['Blue'], Port: 1 }));
    await t.register(instance('tg2', '10.6.0.2', { Service: 'tagged', Tags: ['green'], Port: 1 }));
    assert.deepEqual(addresses(await ask(t.dnsPort, 'blue.tagged.service.consul', 'A', EDNS)), [
      '10.6.0.1',
    ]);
  });

  test('a service is found whatever the case it was registered with', async () => {
    await t.register(instance('mc', '10.7.0.1', { Service: 'MixedCase', Port: 1 }));
    assert.deepEqual(addresses(await ask(t.dnsPort, 'mixedcase.service.consul', 'A', EDNS)), [
      '10.7.0.1',
    ]);
  });

  test('a deregistered service is NXDOMAIN', async () => {
    await t.deregister('mc', 'MixedCase');
    assert.equal((await ask(t.dnsPort, 'mixedcase.service.consul', 'A', EDNS)).rcode, 'NXDOMAIN');
  });
});

describe('dns_config', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await startDnsAgent([
      '-hcl',
      [
        'dns_config {',
        '  only_passing = true',
        '  a_record_limit = 2',
        '  node_ttl = "10s"',
        '  service_ttl { "*" = "5s" "pay*" = "7s" "payments" = "9s" }',
        '  soa { refresh = 100 retry = 20 expire = 300 min_ttl = 4 }',
        '}',
      ].join('\n'),
    ]);
    for (let i = 1; i <= 3; i++) {
      await t.register(
        instance(`p${i}`, `10.8.0.${i}`, { Service: 'payments', Port: 1 }, [{ status: 'passing' }]),
      );
    }
    await t.register(
      instance('p4', '10.8.0.4', { Service: 'payments', Port: 1 }, [{ status: 'warning' }]),
    );
    await t.register(instance('p5', '10.8.0.5', { Service: 'payroll', Port: 1 }));
    await t.register(instance('p6', '10.8.0.6', { Service: 'other', Port: 1 }));
  });
  after(() => t.stop());

  test('only_passing leaves out warning instances too', async () => {
    const reply = await ask(t.dnsPort, 'payments.service.consul', 'SRV', EDNS);
    assert.equal(reply.answers?.length, 3);
    assert.ok(!(reply.additionals ?? []).some((r) => r.type === 'A' && r.data === '10.8.0.4'));
  });

  test('a_record_limit caps A answers but not SRV', async () => {
    assert.equal((await ask(t.dnsPort, 'payments.service.consul', 'A', EDNS)).answers?.length, 2);
    assert.equal((await ask(t.dnsPort, 'payments.service.consul', 'SRV', EDNS)).answers?.length, 3);
  });

  test('service_ttl: exact name, then longest prefix*, then *', async () => {
    const ttl = async (name: string): Promise<number | undefined> =>
      (await ask(t.dnsPort, name, 'A', EDNS)).answers?.[0].ttl;
    assert.equal(await ttl('payments.service.consul'), 9);
    assert.equal(await ttl('payroll.service.consul'), 7);
    assert.equal(await ttl('other.service.consul'), 5);
  });

  test('node_ttl applies to node records and SRV glue', async () => {
    assert.equal((await ask(t.dnsPort, 'p1.node.consul', 'A', EDNS)).answers?.[0].ttl, 10);
    const srv = await ask(t.dnsPort, 'other.service.consul', 'SRV', EDNS);
    assert.equal(srv.answers?.[0].ttl, 5);
    assert.equal(srv.additionals?.find((r) => r.type === 'A')?.ttl, 10);
  });

  test('dns_config.soa sets the SOA timers and its TTL', async () => {
    const reply = await ask(t.dnsPort, 'missing.service.consul', 'A', EDNS);
    const soa = reply.authorities?.[0];
    assert.equal(soa?.type, 'SOA');
    assert.equal(soa?.ttl, 4);
    const data = soa?.data as dnsPacket.SoaData;
    assert.deepEqual([data.refresh, data.retry, data.expire, data.minimum], [100, 20, 300, 4]);
  });
});
