// Response sizes (consul-api.md §10.4): UDP without EDNS → at most udp_answer_limit answers and
// 512 bytes, no TC unless enable_truncate; EDNS buffer honoured and OPT echoed; TCP gets all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ask, dig, instance, startDnsAgent, type DnsTestAgent } from './support';

const INSTANCES = 40;

async function registerMany(t: DnsTestAgent, service: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const node = `${service}-node-with-a-long-name-${String(i).padStart(3, '0')}`;
    await t.register(
      instance(
        node,
        `10.${Math.floor(i / 250)}.${i % 250}.9`,
        { Service: service, Port: 8000 + i },
        [],
        { zone: `zone-${i}` },
      ),
    );
  }
}

function srvTargets(reply: Awaited<ReturnType<typeof ask>>): string[] {
  return reply.answers.map((a) => (a.data as { target: string }).target).sort();
}

describe('default limits', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await startDnsAgent();
    await registerMany(t, 'big', INSTANCES);
  });
  after(() => t.stop());

  test('UDP without EDNS returns 3 answers, no TC bit, within 512 bytes', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A');
    assert.equal(reply.answers.length, 3);
    assert.equal(reply.flags.tc, false);
    assert.ok(reply.size <= 512);
    assert.equal(reply.opt, null);
  });

  test('SRV without EDNS keeps ADDITIONAL in step with the answers it kept', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'SRV');
    assert.ok(reply.answers.length >= 1 && reply.answers.length <= 3);
    assert.ok(reply.size <= 512);
    const glued = [...new Set(reply.additionals.map((r) => r.name))].sort();
    assert.deepEqual(glued, srvTargets(reply));
  });

  test('EDNS with a large buffer gets every answer and the OPT echoed', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A', { bufsize: 4096 });
    assert.equal(reply.answers.length, INSTANCES);
    assert.equal(reply.opt?.udpPayloadSize, 4096);
  });

  test('EDNS with a small buffer trims by bytes, not by count', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'SRV', { bufsize: 1200 });
    assert.ok(
      reply.answers.length > 3 && reply.answers.length < INSTANCES,
      `${reply.answers.length}`,
    );
    assert.ok(reply.size <= 1200);
    assert.equal(reply.flags.tc, false);
    const glued = [...new Set(reply.additionals.map((r) => r.name))].sort();
    assert.deepEqual(glued, srvTargets(reply));
  });

  test('TCP returns every record', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'SRV', { tcp: true });
    assert.equal(reply.answers.length, INSTANCES);
    assert.equal(reply.additionals.filter((r) => r.type === 'A').length, INSTANCES);
    assert.ok(reply.size > 512);
  });

  test('names are compressed', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A', { bufsize: 4096 });
    // 40 uncompressed owner names alone would take 40 × 20 bytes.
    assert.ok(reply.size < 12 + 24 + INSTANCES * (2 + 10 + 4) + 11 + 1, `${reply.size} bytes`);
  });

  describe('with dig', () => {
    test('+noedns gets 3 answers', async () => {
      const result = await dig(t.dnsPort, ['+noedns', 'big.service.consul', 'A']);
      assert.equal(result.answer.length, 3);
      assert.ok(!result.flags.includes('tc'));
    });

    test('+bufsize=4096 gets all answers', async () => {
      const result = await dig(t.dnsPort, ['+bufsize=4096', 'big.service.consul', 'A']);
      assert.equal(result.answer.length, INSTANCES);
    });

    test('+tcp gets all SRV answers with their glue', async () => {
      const result = await dig(t.dnsPort, ['+tcp', 'big.service.consul', 'SRV']);
      assert.equal(result.answer.length, INSTANCES);
      assert.equal(result.additional.filter((r) => r[3] === 'A').length, INSTANCES);
    });
  });
});

describe('dns_config size settings', () => {
  let t: DnsTestAgent;
  before(async () => {
    t = await startDnsAgent([
      '-hcl',
      'dns_config { enable_truncate = true udp_answer_limit = 5 disable_compression = true }',
    ]);
    await registerMany(t, 'big', 12);
  });
  after(() => t.stop());

  test('enable_truncate sets TC on a trimmed UDP answer', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A');
    assert.equal(reply.flags.tc, true);
    assert.equal(reply.answers.length, 5, 'udp_answer_limit');
  });

  test('TC stays off when nothing was trimmed', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A', { tcp: true });
    assert.equal(reply.flags.tc, false);
    assert.equal(reply.answers.length, 12);
  });

  test('disable_compression writes every name whole', async () => {
    const reply = await ask(t.dnsPort, 'big.service.consul', 'A', { bufsize: 4096 });
    const name = Buffer.byteLength('big.service.consul') + 2;
    assert.equal(reply.size, 12 + name + 4 + 12 * (name + 10 + 4) + 11);
  });

  test('dig sees the tc flag with +noedns +ignore', async () => {
    const result = await dig(t.dnsPort, ['+noedns', '+ignore', 'big.service.consul', 'A']);
    assert.ok(result.flags.includes('tc'));
  });
});
