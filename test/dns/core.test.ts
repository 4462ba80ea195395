// The pure pieces of the DNS core, without sockets: name parsing, address forms, compression.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import fc from 'fast-check';

import { encodeResponse } from '../../src/dns';
import { ipBytes, ipFromHex, ipFromReverse } from '../../src/dns/address';
import { parseQuery, splitDomain } from '../../src/dns/names';

test('splitDomain picks the domain the question used, case-insensitively', () => {
  const domains = ['consul.', 'alt.example.'];
  assert.deepEqual(splitDomain('Web.Service.CONSUL.', domains), {
    domain: 'consul.',
    labels: ['web', 'service'],
  });
  assert.deepEqual(splitDomain('x.node.alt.example', domains), {
    domain: 'alt.example.',
    labels: ['x', 'node'],
  });
  assert.equal(splitDomain('example.com', domains), null);
  assert.equal(splitDomain('notconsul', domains), null);
});

test('parseQuery reads the kind right to left and the datacenter after it', () => {
  assert.deepEqual(parseQuery(['a', 'b', 'node', 'dc2'], false), {
    kind: 'node',
    node: 'a.b',
    datacenter: 'dc2',
  });
  assert.deepEqual(parseQuery(['v1', 'web', 'service', 'dc1', 'dc'], false), {
    kind: 'service',
    service: 'web',
    tag: 'v1',
    datacenter: 'dc1',
  });
  assert.deepEqual(parseQuery(['_web', '_tcp'], true), {
    kind: 'service',
    service: 'web',
    tag: null,
    datacenter: null,
  });
  assert.deepEqual(parseQuery(['_web', '_tcp'], false), { kind: 'invalid' });
  assert.deepEqual(parseQuery(['web', 'connect'], false), { kind: 'unsupported' });
  assert.deepEqual(parseQuery(['service'], false), { kind: 'invalid' });
  assert.deepEqual(parseQuery(['web', 'service', 'a', 'b', 'c'], false), { kind: 'invalid' });
});

test('address forms: literals, hex labels and reverse names', () => {
  assert.equal(ipBytes('10.0.0.5')?.toString('hex'), '0a000005');
  assert.equal(ipBytes('2001:db8::10')?.toString('hex'), '20010db8000000000000000000000010');
  assert.equal(ipBytes('::ffff:1.2.3.4')?.toString('hex'), '00000000000000000000ffff01020304');
  assert.equal(ipBytes('example.org'), null);
  assert.equal(ipFromHex('0A000005')?.toString('hex'), '0a000005');
  assert.equal(ipFromHex('0a0005'), null);
  assert.equal(ipFromHex('0a00000g'), null);
  assert.equal(ipFromReverse(['5', '0', '0', '10'], 'in-addr')?.toString('hex'), '0a000005');
  assert.equal(ipFromReverse(['5', '0', '300', '10'], 'in-addr'), null);
  const nibbles = '20010db8000000000000000000000010'.split('').reverse();
  assert.equal(ipFromReverse(nibbles, 'ip6')?.toString('hex'), '20010db8000000000000000000000010');
});

const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
const record: fc.Arbitrary<Answer> = fc.oneof(
  fc
    .record({ name, ip: fc.ipV4() })
    .map(({ name, ip }) => ({ name, type: 'A' as const, ttl: 0, data: ip })),
  fc
    .record({ name, target: name })
    .map(({ name, target }) => ({ name, type: 'CNAME' as const, ttl: 5, data: target })),
  fc
    .record({ name, target: name })
    .map(({ name, target }) => ({ name, type: 'PTR' as const, ttl: 5, data: target })),
  fc
    .record({ name, target: name })
    .map(({ name, target }) => ({ name, type: 'NS' as const, ttl: 5, data: target })),
  fc.record({ name, target: name, port: fc.nat(65535) }).map(({ name, target, port }) => ({
    name,
    type: 'SRV' as const,
    ttl: 1,
    data: { priority: 1, weight: 1, port, target },
  })),
  fc.record({ name, mname: name, rname: name }).map(({ name, mname, rname }) => ({
    name,
    type: 'SOA' as const,
    ttl: 0,
    data: { mname, rname, serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 },
  })),
  fc.record({ name, text: fc.string({ maxLength: 40 }) }).map(({ name, text }) => ({
    name,
    type: 'TXT' as const,
    ttl: 0,
    data: [Buffer.from(text)],
  })),
);

/** The query a response answers: one question, as a client would send it. */
function queryFor(name: string, type: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type }] });
}

test('encodeResponse writes what dns-packet reads back, never longer than dns-packet writes', () => {
  fc.assert(
    fc.property(
      name,
      fc.array(record, { maxLength: 20 }),
      fc.array(record, { maxLength: 10 }),
      fc.boolean(),
      (question, answers, extras, compress) => {
        const packet = {
          id: 7,
          type: 'response' as const,
          flags: 0x0400,
          questions: [{ name: question, type: 'A' as const }],
          answers,
          additionals: extras,
        };
        const plain = dnsPacket.encode(packet);
        const ours = encodeResponse(packet, queryFor(question, 'A'), compress);
        if (compress) assert.ok(ours.length <= plain.length);
        else assert.equal(ours.length, plain.length);
        const strip = (p: dnsPacket.DecodedPacket): unknown => ({
          flags: p.flags,
          questions: p.questions,
          answers: p.answers,
          additionals: p.additionals,
        });
        assert.deepEqual(strip(dnsPacket.decode(ours)), strip(dnsPacket.decode(plain)));
      },
    ),
    { numRuns: 300 },
  );
});

test('SRV targets are left uncompressed (RFC 2782), owner names point at the question', () => {
  const packet: dnsPacket.Packet = {
    type: 'response',
    questions: [{ name: 'web.service.consul', type: 'SRV' }],
    answers: [
      {
        name: 'web.service.consul',
        type: 'SRV',
        ttl: 0,
        data: { port: 1, target: 'a.node.dc1.consul' },
      },
    ],
  };
  const encoded = encodeResponse(packet, queryFor('web.service.consul', 'SRV'), true);
  assert.ok(
    encoded.includes(Buffer.from('\u0001a\u0004node\u0003dc1\u0006consul\u0000', 'latin1')),
  );
  assert.ok(
    encoded.includes(Buffer.from([0xc0, 12, 0, 33])),
    'owner name is a pointer to offset 12',
  );
});

test('the question is echoed byte for byte, case included', () => {
  const query = queryFor('WeB.Service.CONSUL', 'A');
  const encoded = encodeResponse({ type: 'response', answers: [] }, query, true);
  assert.deepEqual(encoded.subarray(12), query.subarray(12));
});
