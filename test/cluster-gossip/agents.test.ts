// Real agent processes on 127.0.0.4x forming one datacenter through gossip: three servers with
// -bootstrap-expect=3 find each other through -retry-join and elect a leader; members, the
// catalog's serfHealth, user events and leave follow the pool; kill -9 is detected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

interface HealthCheck {
  Node: string;
  CheckID: string;
  Status: string;
  Output: string;
}

interface ListedEvent {
  ID: string;
  Name: string;
  Payload: string;
  LTime: number;
}

const ALIVE = 1;
const LEFT = 3;
const FAILED = 4;
const KEY = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';

const root = mkdtempSync(join(tmpdir(), 'gossip-agents-'));
const running: RunningAgent[] = [];
after(async () => {
  for (const agent of running) await agent.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A server on 127.0.0.<octet>, ephemeral ports, fast gossip and Raft timing. */
async function server(octet: number, seeds: string[], extra: string[] = []): Promise<RunningAgent> {
  const ip = `127.0.0.${octet}`;
  const agent = await startAgent(
    [
      '-server',
      '-bootstrap-expect=3',
      `-node=s${octet}`,
      `-bind=${ip}`,
      `-client=${ip}`,
      `-data-dir=${join(root, `s${octet}`)}`,
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
      'gossip_lan { probe_interval = "200ms" probe_timeout = "100ms" gossip_interval = "50ms" suspicion_mult = 2 }',
      '-hcl',
      'autopilot { server_stabilization_time = "1s" }',
      '-hcl',
      'sync_coordinate_interval_min = "500ms"',
      ...extra,
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

async function put(agent: RunningAgent, path: string, body: string): Promise<Response> {
  try {
    return await fetch(`${agent.baseUrl}${path}`, { method: 'PUT', body });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(
      `PUT ${agent.baseUrl}${path}: ${String(cause ?? error)}\n${agent.output().slice(-3000)}`,
    );
  }
}

async function getJson<T>(agent: RunningAgent, path: string): Promise<T> {
  const response = await fetch(`${agent.baseUrl}${path}`);
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

function statusOf(members: Member[], name: string): number | undefined {
  return members.find((member) => member.Name === name)?.Status;
}

describe('three servers form a datacenter through gossip', () => {
  let servers: RunningAgent[] = [];

  it('bootstrap once three servers see each other, with one leader and three voters', async () => {
    const first = await server(41, [], ['-encrypt', KEY]);
    const seed = lanAddress(first);
    servers = [
      first,
      await server(42, [seed], ['-encrypt', KEY]),
      await server(43, [seed], ['-encrypt', KEY]),
    ];
    for (const agent of servers) {
      await eventually('a leader', async () => {
        const leader = await getJson<string>(agent, '/v1/status/leader');
        return leader === '' ? undefined : leader;
      });
    }
    const peers = runCli(['operator', 'raft', 'list-peers', `-http-addr=${servers[1].address}`]);
    assert.equal(peers.status, 0, peers.stderr);
    const rows = peers.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 3, peers.stdout);
    assert.equal(rows.filter((row) => /\bleader\b/.test(row)).length, 1, peers.stdout);
    assert.ok(
      rows.every((row) => /\btrue\b/.test(row)),
      peers.stdout,
    );
    assert.match(first.output(), /Gossip Encryption: true/);
  });

  it('members lists all three alive on every server, and the WAN pool too', async () => {
    for (const agent of servers) {
      await eventually('three alive LAN members', async () => {
        const members = await getJson<Member[]>(agent, '/v1/agent/members');
        return members.length === 3 && members.every((m) => m.Status === ALIVE) ? true : undefined;
      });
    }
    // Servers flood-join each other into the WAN pool.
    await eventually('three WAN members', async () => {
      const wan = await getJson<Member[]>(servers[0], '/v1/agent/members?wan');
      const names = wan.map((member) => member.Name).sort();
      return names.join() === 's41.dc1,s42.dc1,s43.dc1' ? true : undefined;
    });
    const cli = runCli(['members', `-http-addr=${servers[0].address}`]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^Node\s+Address\s+Status\s+Type\s+Build\s+Protocol\s+DC/);
    for (const name of ['s41', 's42', 's43']) {
      assert.match(cli.stdout, new RegExp(`${name}\\s+127\\.0\\.0\\.\\d+:\\d+\\s+alive\\s+server`));
    }
  });

  it('writes through any server are read back from every other', async () => {
    for (const [i, agent] of servers.entries()) {
      const response = await put(agent, `/v1/kv/via/${i}`, `v${i}`);
      assert.equal(response.status, 200);
    }
    for (const agent of servers) {
      const keys = await getJson<string[]>(agent, '/v1/kv/via/?keys');
      assert.deepEqual(keys, ['via/0', 'via/1', 'via/2']);
    }
  });

  it('the leader registers every member with serfHealth passing', async () => {
    await eventually('three passing serfHealth checks', async () => {
      const checks = await getJson<HealthCheck[]>(servers[2], '/v1/health/state/any');
      const serf = checks.filter((check) => check.CheckID === 'serfHealth');
      return serf.length === 3 && serf.every((c) => c.Status === 'passing') ? true : undefined;
    });
  });

  it('each server learns its LAN coordinate from its probes and it reaches the catalog', async () => {
    interface Entry {
      Node: string;
      Coord: { Vec: number[]; Error: number };
    }
    // Error starts at 1.5 and only falls once the node measured round trips to its peers.
    const learned = await eventually('three learned coordinates', async () => {
      const entries = await getJson<Entry[]>(servers[1], '/v1/coordinate/nodes');
      const names = entries.filter((e) => e.Coord.Error < 1.5).map((e) => e.Node);
      return names.join() === 's41,s42,s43' ? entries : undefined;
    });
    assert.ok(learned.every((e) => e.Coord.Vec.length === 8));
    const rtt = runCli(['rtt', `-http-addr=${servers[0].address}`, 's42', 's43']);
    assert.equal(rtt.status, 0, rtt.stderr);
    const ms = /^Estimated s42 <-> s43 rtt: (\d+\.\d{3}) ms \(using LAN coordinates\)\n$/.exec(
      rtt.stdout,
    );
    assert.ok(ms !== null && Number(ms[1]) < 100, rtt.stdout);
    const dcs = await getJson<{ Datacenter: string; AreaID: string }[]>(
      servers[0],
      '/v1/coordinate/datacenters',
    );
    assert.deepEqual(
      dcs.map((dc) => [dc.Datacenter, dc.AreaID]),
      [['dc1', 'wan']],
    );
  });

  it('a user event fired on one server is listed by the others', async () => {
    const fired = runCli(['event', '-name=deploy', `-http-addr=${servers[0].address}`, 'v42']);
    assert.equal(fired.status, 0, fired.stderr);
    const id = /Event ID: (\S+)/.exec(fired.stdout)?.[1];
    assert.ok(id, fired.stdout);
    for (const agent of servers) {
      const event: ListedEvent = await eventually('the event', async () => {
        const events = await getJson<ListedEvent[]>(agent, '/v1/event/list?name=deploy');
        return events.find((candidate) => candidate.ID === id);
      });
      assert.equal(event.Name, 'deploy');
      assert.equal(Buffer.from(event.Payload, 'base64').toString(), 'v42');
      assert.ok(event.LTime > 0);
    }
  });

  it('the keyring lists the shared key on every member', () => {
    const listed = runCli(['keyring', '-list', `-http-addr=${servers[1].address}`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`dc1 \\(LAN\\):\\n  ${KEY.replace(/[+/]/g, '\\$&')} \\[3/3\\]`),
    );
  });

  it('a fourth server joins as a non-voter and autopilot promotes it', async () => {
    servers.push(await server(44, [lanAddress(servers[0])], ['-encrypt', KEY]));
    await eventually('four voters', async () => {
      const config = await getJson<{ Servers: { Node: string; Voter: boolean }[] }>(
        servers[0],
        '/v1/operator/raft/configuration',
      );
      return config.Servers.length === 4 && config.Servers.every((s) => s.Voter) ? true : undefined;
    });
  });

  it('a server that leaves is listed left, removed from Raft and deregistered', async () => {
    const leaving = servers[3];
    const left = runCli(['leave', `-http-addr=${leaving.address}`]);
    assert.equal(left.status, 0, left.stderr);
    assert.match(left.stdout, /Graceful leave complete/);
    assert.equal(await leaving.stop(), 0);
    await eventually('s44 left', async () => {
      const members = await getJson<Member[]>(servers[0], '/v1/agent/members');
      return statusOf(members, 's44') === LEFT ? true : undefined;
    });
    await eventually('s44 out of the catalog and of Raft', async () => {
      const nodes = await getJson<{ Node: string }[]>(servers[0], '/v1/catalog/nodes');
      const config = await getJson<{ Servers: { Node: string }[] }>(
        servers[0],
        '/v1/operator/raft/configuration',
      );
      const gone =
        !nodes.some((node) => node.Node === 's44') &&
        !config.Servers.some((entry) => entry.Node === 's44');
      return gone ? true : undefined;
    });
  });

  it('kill -9 of a server: the others list it failed and the catalog marks it critical', async () => {
    const victim = servers[2];
    await victim.stop('SIGKILL');
    await eventually('s43 failed', async () => {
      const members = await getJson<Member[]>(servers[0], '/v1/agent/members');
      return statusOf(members, 's43') === FAILED ? true : undefined;
    });
    await eventually('serfHealth critical for s43', async () => {
      const checks = await getJson<HealthCheck[]>(servers[0], '/v1/health/node/s43');
      const serf = checks.find((check) => check.CheckID === 'serfHealth');
      return serf?.Status === 'critical' && serf.Output === 'Agent not live or unreachable'
        ? true
        : undefined;
    });
    // Two of three voters remain: writes still commit.
    const response = await fetch(`${servers[1].baseUrl}/v1/kv/after-kill`, {
      method: 'PUT',
      body: 'ok',
    });
    assert.equal(response.status, 200);
  });
});
