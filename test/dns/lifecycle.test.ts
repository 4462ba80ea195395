// Where DNS listens and when it answers: every client address, -dns-port -1, shutdown, and
// stale reads (allow_stale / max_stale) judged from Raft's status without waiting on it.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';

import * as dnsPacket from 'dns-packet';

import { AclResolver } from '../../src/acl';
import { loadAgentConfig, parseAgentArgs, type AgentConfig } from '../../src/config';
import { DnsResolver, type DnsBackend } from '../../src/dns';
import type { RaftStatus } from '../../src/raft/types';
import { StateStore } from '../../src/state';
import { startTestAgent } from '../http/harness';
import { ask, queryPacket, udpExchange } from './support';

test('-dns-port -1 starts no DNS listener', async () => {
  const t = await startTestAgent(['-dns-port', '-1']);
  try {
    assert.deepEqual(t.agent.dnsAddresses, []);
  } finally {
    await t.stop();
  }
});

test('DNS binds every client address on one port, UDP and TCP, and lets go on shutdown', async () => {
  const t = await startTestAgent(['-dns-port', '0', '-client', '127.0.0.1 127.0.0.2']);
  const ports = t.agent.dnsAddresses.map((a) => Number(a.slice(a.lastIndexOf(':') + 1)));
  assert.deepEqual(
    t.agent.dnsAddresses.map((a) => a.slice(0, a.lastIndexOf(':'))),
    ['127.0.0.1', '127.0.0.2'],
  );
  assert.equal(ports[0], ports[1]);
  const port = ports[0];
  try {
    assert.equal((await ask(port, 'consul', 'SOA')).rcode, 'NOERROR');
    assert.equal((await ask(port, 'consul', 'SOA', { tcp: true })).rcode, 'NOERROR');
  } finally {
    await t.stop();
  }
  assert.equal(await udpExchange(port, queryPacket('consul', 'SOA'), 300), null);
  await assert.rejects(
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket.destroy()));
      socket.on('error', reject);
    }),
    { code: 'ECONNREFUSED' },
  );
});

function backend(
  status: Partial<RaftStatus>,
  dnsConfig: Partial<AgentConfig['dnsConfig']> = {},
): DnsBackend {
  const loaded = loadAgentConfig(parseAgentArgs(['-dev'])).config;
  const config = { ...loaded, dnsConfig: { ...loaded.dnsConfig, ...dnsConfig } };
  const raft = {
    status: (): RaftStatus =>
      ({ role: 'follower', leaderId: 'leader', lastContactMs: 10, ...status }) as RaftStatus,
  };
  const store = new StateStore();
  const acl = new AclResolver(store.acl, () => ({
    ...config.acl,
    datacenter: config.datacenter,
    nodeName: config.nodeName,
  }));
  return { config, store, raft, acl };
}

function rcodeOf(resolver: DnsResolver): string {
  const query = dnsPacket.decode(queryPacket('consul', 'SOA'));
  const response = resolver.resolve(query);
  assert.ok(response !== null && !(response instanceof Promise));
  const flags = response.flags ?? 0;
  return ['NOERROR', 'FORMERR', 'SERVFAIL'][flags & 0xf] ?? String(flags & 0xf);
}

test('a follower answers stale reads within max_stale', () => {
  assert.equal(rcodeOf(new DnsResolver(backend({}))), 'NOERROR');
});

test('a follower past max_stale, or with allow_stale off, answers SERVFAIL', () => {
  const stale = backend({ lastContactMs: 5000 }, { maxStaleMs: 1000 });
  assert.equal(rcodeOf(new DnsResolver(stale)), 'SERVFAIL');
  assert.equal(rcodeOf(new DnsResolver(backend({}, { allowStale: false }))), 'SERVFAIL');
  assert.equal(rcodeOf(new DnsResolver(backend({ leaderId: null }))), 'SERVFAIL');
});

test('the leader always answers from its store', () => {
  const leader = backend({ role: 'leader', lastContactMs: 0 }, { allowStale: false });
  assert.equal(rcodeOf(new DnsResolver(leader)), 'NOERROR');
});
