// Names outside the domain go to the recursors (consul-api.md §10.3): in order, next one on a
// timeout or error rcode, TCP when the UDP reply is truncated, SERVFAIL when all fail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ask, dig, startDnsAgent, type DnsTestAgent } from './support';
import { FakeUpstream, replyTo } from './upstream';

const TC = 1 << 9;

let good: FakeUpstream;
let silent: FakeUpstream;
let failing: FakeUpstream;
let truncating: FakeUpstream;

before(async () => {
  good = await FakeUpstream.start((query) => {
    const name = query.questions?.[0]?.name ?? '';
    if (name === 'nx.example') return replyTo(query, [], { rcode: 3 });
    if (name.endsWith('in-addr.arpa')) {
      return replyTo(query, [{ name, type: 'PTR', ttl: 60, data: 'upstream.example' }]);
    }
    return replyTo(query, [{ name, type: 'A', ttl: 60, data: '93.184.216.34' }]);
  });
  silent = await FakeUpstream.start(() => null);
  failing = await FakeUpstream.start((query) => replyTo(query, [], { rcode: 2 }));
  truncating = await FakeUpstream.start((query, transport) => {
    const name = query.questions?.[0]?.name ?? '';
    if (transport === 'udp') return replyTo(query, [], { flags: TC });
    const answers = Array.from({ length: 30 }, (_, i) => ({
      name,
      type: 'A' as const,
      ttl: 60,
      data: `192.0.2.${i + 1}`,
    }));
    return replyTo(query, answers);
  });
});

after(async () => {
  const started = [good, silent, failing, truncating].filter((u) => u !== undefined);
  await Promise.all(started.map((u) => u.close()));
});

function agentWith(recursors: FakeUpstream[], dnsConfig = ''): Promise<DnsTestAgent> {
  const flags = recursors.flatMap((u) => ['-recursor', u.address]);
  return startDnsAgent([
    ...flags,
    '-hcl',
    `dns_config { recursor_timeout = "300ms" ${dnsConfig} }`,
  ]);
}

describe('sequential recursors', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await agentWith([silent, good]);
  });
  after(() => t.stop());

  test('a recursor that times out is skipped for the next one', async () => {
    const before = silent.queries.length;
    const started = Date.now();
    const reply = await ask(t.dnsPort, 'example.com', 'A');
    assert.ok(Date.now() - started >= 250, 'waited for the first recursor');
    assert.equal(silent.queries.length, before + 1);
    assert.equal(reply.rcode, 'NOERROR');
    assert.deepEqual(
      reply.answers.map((a) => a.data),
      ['93.184.216.34'],
    );
    assert.equal(reply.flags.ra, true);
  });

  test('NXDOMAIN from a recursor is returned as it came', async () => {
    const reply = await ask(t.dnsPort, 'nx.example', 'A');
    assert.equal(reply.rcode, 'NXDOMAIN');
  });

  test('the reply carries the client query ID', async () => {
    const reply = await ask(t.dnsPort, 'id.example', 'A');
    assert.equal(reply.answers.length, 1);
    assert.ok(reply.id > 0);
  });

  test('answers from the domain have RA set once recursors exist', async () => {
    const reply = await ask(t.dnsPort, 'consul', 'SOA');
    assert.equal(reply.flags.ra, true);
    assert.equal(reply.flags.aa, true);
  });

  test('PTR of an address the catalog does not know is forwarded', async () => {
    const reply = await ask(t.dnsPort, '9.2.0.192.in-addr.arpa', 'PTR');
    assert.deepEqual(
      reply.answers.map((a) => a.data),
      ['upstream.example'],
    );
  });

  test('dig through the agent resolves an outside name', async () => {
    const result = await dig(t.dnsPort, ['www.example.net', 'A']);
    assert.equal(result.status, 'NOERROR');
    assert.equal(result.answer[0][4], '93.184.216.34');
    assert.ok(result.flags.includes('ra'));
  });
});

describe('failing recursors', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await agentWith([failing, silent]);
  });
  after(() => t.stop());

  test('SERVFAIL when every recursor errs or times out', async () => {
    const reply = await ask(t.dnsPort, 'example.com', 'A');
    assert.equal(reply.rcode, 'SERVFAIL');
    assert.equal(reply.flags.ra, true);
  });
});

describe('truncated upstream replies', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await agentWith([truncating]);
  });
  after(() => t.stop());

  test('a TC reply is retried over TCP when the client can take the whole answer', async () => {
    const before = truncating.queries.length;
    const reply = await ask(t.dnsPort, 'many.example', 'A', { bufsize: 4096 });
    assert.equal(reply.answers.length, 30);
    assert.equal(reply.flags.tc, false);
    assert.deepEqual(
      truncating.queries.slice(before).map((q) => q.transport),
      ['udp', 'tcp'],
    );
  });

  test('a plain UDP client gets the truncated reply, then all of it over TCP', async () => {
    const udp = await ask(t.dnsPort, 'many.example', 'A');
    assert.equal(udp.flags.tc, true);
    const tcp = await ask(t.dnsPort, 'many.example', 'A', { tcp: true });
    assert.equal(tcp.answers.length, 30);
  });
});

describe('random recursor strategy', () => {
  let t: DnsTestAgent;
  let other: FakeUpstream;
  before(async () => {
    other = await FakeUpstream.start((query) =>
      replyTo(query, [
        { name: query.questions?.[0]?.name ?? '', type: 'A', ttl: 1, data: '192.0.2.200' },
      ]),
    );
    t = await agentWith([good, other], 'recursor_strategy = "random"');
  });
  after(async () => {
    await t.stop();
    await other.close();
  });

  test('queries spread over the recursors', async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      seen.add((await ask(t.dnsPort, `r${i}.example`, 'A')).answers[0]?.data);
    }
    assert.deepEqual([...seen].sort(), ['192.0.2.200', '93.184.216.34']);
  });
});
