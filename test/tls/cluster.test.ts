// Three servers whose RPC and Raft run over TLS (verify_incoming, verify_outgoing,
// verify_server_hostname) with certificates `consulate tls` made: they find each other, elect a
// leader and replicate writes; a plain-text RPC is refused; a fourth server whose certificate
// is for server.dc2.consul joins the pool but the others refuse to talk Raft to it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ConnPool, RpcTls } from '../../src/rpc';
import { StatusLeader } from '../../src/server';
import { startAgent, type RunningAgent } from '../agent/spawn-agent';
import { consulateTls, makePki, waitForOutput, type Pki } from './support';

const root = mkdtempSync(join(tmpdir(), 'consulate-tls-cluster-'));
const running: RunningAgent[] = [];
const pools: ConnPool[] = [];
let pki: Pki;

before(() => {
  pki = makePki(root, 3);
  // A server certificate for another datacenter, signed by the same CA.
  consulateTls(root, ['cert', 'create', '-server', '-dc', 'dc2']);
});

after(async () => {
  for (const pool of pools) pool.close();
  for (const agent of running) await agent.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function tlsConfig(cert: string, key: string): string {
  return `tls {
  defaults {
    ca_file = "${pki.ca}"
    cert_file = "${cert}"
    key_file = "${key}"
  }
  internal_rpc {
    verify_incoming = true
    verify_outgoing = true
    verify_server_hostname = true
  }
}
`;
}

async function server(
  octet: number,
  cert: string,
  key: string,
  seeds: string[],
  role: 'server' | 'client' = 'server',
): Promise<RunningAgent> {
  const ip = `127.0.0.${octet}`;
  const config = join(root, `s${octet}.hcl`);
  writeFileSync(config, tlsConfig(cert, key));
  const agent = await startAgent(
    [
      ...(role === 'server' ? ['-server', '-bootstrap-expect=3'] : []),
      `-node=${role === 'server' ? 's' : 'c'}${octet}`,
      `-bind=${ip}`,
      `-client=${ip}`,
      `-data-dir=${join(root, `s${octet}`)}`,
      '-config-file',
      config,
      '-http-port=0',
      '-dns-port=-1',
      '-server-port=0',
      '-serf-lan-port=0',
      '-serf-wan-port=0',
      '-grpc-port=-1',
      '-grpc-tls-port=-1',
      '-retry-interval=1s',
      ...seeds.flatMap((address) => ['-retry-join', address]),
      '-hcl',
      'performance { raft_multiplier = 1 }',
      '-hcl',
      'autopilot { server_stabilization_time = "1s" }',
    ],
    60_000,
  );
  running.push(agent);
  return agent;
}

function lanAddress(agent: RunningAgent): string {
  const match = /Cluster Addr: (\S+) \(LAN: (\d+)/.exec(agent.output());
  assert.ok(match, agent.output());
  return `${match[1]}:${match[2]}`;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

async function leaderOf(agent: RunningAgent): Promise<string | undefined> {
  const response = await fetch(`${agent.baseUrl}/v1/status/leader`);
  const leader = (await response.json()) as string;
  return leader === '' ? undefined : leader;
}

/** A client of the server port with the given certificate (or none: plain text). */
function pool(cert?: { cert: string; key: string }): ConnPool {
  const tls =
    cert === undefined
      ? undefined
      : new RpcTls({
          ca: [readFileSync(pki.ca, 'utf8')],
          cert: readFileSync(cert.cert, 'utf8'),
          key: readFileSync(cert.key, 'utf8'),
          verifyIncoming: false,
          verifyOutgoing: true,
          verifyServerHostname: true,
          datacenter: 'dc1',
          domain: 'consul',
          minVersion: 'TLSv1.2',
          ciphers: null,
        });
  const created = new ConnPool({ tls, connectTimeoutMs: 10_000 });
  pools.push(created);
  return created;
}

describe('servers with TLS on RPC and Raft', () => {
  const servers: RunningAgent[] = [];

  it('three servers with verify_incoming/outgoing/server_hostname form a cluster and replicate writes', async () => {
    servers.push(await server(41, pki.serverCert(0), pki.serverKey(0), []));
    const seed = lanAddress(servers[0]);
    servers.push(await server(42, pki.serverCert(1), pki.serverKey(1), [seed]));
    servers.push(await server(43, pki.serverCert(2), pki.serverKey(2), [seed]));
    const leader = await eventually('one leader known to all three', async () => {
      const leaders = await Promise.all(servers.map(leaderOf));
      return leaders.every((l) => l !== undefined && l === leaders[0]) ? leaders[0] : undefined;
    });
    assert.match(leader, /^127\.0\.0\.4[123]:\d+$/);
    // A write through one server (forwarded to the leader over TLS), read consistently elsewhere.
    for (const [i, agent] of servers.entries()) {
      const put = await fetch(`${agent.baseUrl}/v1/kv/tls/${i}`, { method: 'PUT', body: `v${i}` });
      assert.equal(await put.text(), 'true');
    }
    for (const agent of servers) {
      const got = await fetch(`${agent.baseUrl}/v1/kv/tls/2?raw&consistent`);
      assert.equal(await got.text(), 'v2');
    }
  });

  it('a server refuses plain-text RPC and answers RPC over TLS with a certificate from the CA', async () => {
    const address = await leaderOf(servers[0]);
    assert.ok(address !== undefined);
    await assert.rejects(pool().call(address, StatusLeader, {}), /rpc connection/);
    const reply = await pool({ cert: pki.clientCert, key: pki.clientKey }).call(
      address,
      StatusLeader,
      {},
    );
    assert.equal(reply.leader, address);
    await waitForOutput(
      () => running.map((agent) => agent.output()).join('\n'),
      /in plain text from .* refused: verify_incoming requires TLS/,
    );
  });

  it('a client agent with a client certificate carries requests to the servers through TLS', async () => {
    const client = await server(
      45,
      pki.clientCert,
      pki.clientKey,
      [lanAddress(servers[0])],
      'client',
    );
    const put = await eventually('a write through the client agent', async () => {
      const response = await fetch(`${client.baseUrl}/v1/kv/tls/client`, {
        method: 'PUT',
        body: 'via-client',
      });
      const text = await response.text();
      return response.status === 200 ? text : undefined;
    });
    assert.equal(put.trim(), 'true');
    const got = await fetch(`${servers[2].baseUrl}/v1/kv/tls/client?raw&consistent`);
    assert.equal(await got.text(), 'via-client');
  });

  it('a server whose certificate is for server.dc2.consul is refused by the others', async () => {
    const wrong = await server(
      44,
      join(root, 'dc2-server-consul-0.pem'),
      join(root, 'dc2-server-consul-0-key.pem'),
      [lanAddress(servers[0])],
    );
    // The leader adds it to Raft and dials it: the handshake fails on the name.
    await waitForOutput(
      () => servers.map((agent) => agent.output() + agent.errors()).join('\n'),
      /raft: peer 127\.0\.0\.44:\d+ unreachable \(.*server\.dc1\.consul.*\)/,
      60_000,
    );
    // Dialing it with verify_server_hostname fails for the same reason.
    assert.match(wrong.output(), /Cluster Addr: 127\.0\.0\.44/);
    const address = await eventually('the wrong server in the Raft configuration', async () => {
      const response = await fetch(`${servers[0].baseUrl}/v1/operator/raft/configuration`);
      const config = (await response.json()) as { Servers: { Node: string; Address: string }[] };
      return config.Servers.find((s) => s.Node === 's44')?.Address;
    });
    await assert.rejects(
      pool({ cert: pki.clientCert, key: pki.clientKey }).call(address, StatusLeader, {}),
      /server\.dc1\.consul/,
    );
    // The three keep serving writes.
    const put = await fetch(`${servers[1].baseUrl}/v1/kv/tls/after`, { method: 'PUT', body: 'x' });
    assert.equal(await put.text(), 'true');
  });
});
