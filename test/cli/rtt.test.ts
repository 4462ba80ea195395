// `consulate rtt` against a real agent process: LAN estimates between two nodes or from the
// agent's own node, WAN estimates between servers, and Consul's errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EPHEMERAL_PORTS, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

let agent: RunningAgent;
const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address } });

const at = (ms: number): Record<string, unknown> => ({
  Vec: [ms / 1000, 0, 0, 0, 0, 0, 0, 0],
  Error: 0.2,
  Adjustment: 0,
  Height: 10e-6,
});

async function put(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${agent.baseUrl}${path}`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

before(async () => {
  agent = await startAgent(['-dev', '-node', 'rtt-agent', ...EPHEMERAL_PORTS]);
  for (const node of ['n1', 'n2']) {
    await put('/v1/catalog/register', { Node: node, Address: '10.0.0.1' });
  }
  // The agent registers itself shortly after it starts; its coordinate needs that.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const nodes = (await (await fetch(`${agent.baseUrl}/v1/catalog/nodes`)).json()) as {
      Node: string;
    }[];
    if (nodes.some((n) => n.Node === 'rtt-agent')) break;
    if (Date.now() > deadline) throw new Error('the agent never registered itself');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await put('/v1/coordinate/update', { Node: 'rtt-agent', Coord: at(0) });
  await put('/v1/coordinate/update', { Node: 'n1', Coord: at(1) });
  await put('/v1/coordinate/update', { Node: 'n2', Coord: at(3.5) });
  for (;;) {
    const entries = (await (await fetch(`${agent.baseUrl}/v1/coordinate/nodes`)).json()) as {
      Node: string;
    }[];
    if (entries.length === 3) break;
    if (Date.now() > deadline) throw new Error('coordinates were never stored');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  await agent.stop('SIGTERM');
});

test('rtt estimates the round trip between two nodes from their LAN coordinates', () => {
  // 2.5 ms apart, plus both heights (10 µs each).
  const r = cli(['rtt', 'n1', 'n2']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Estimated n1 <-> n2 rtt: 2.520 ms (using LAN coordinates)\n');
});

test('rtt with one node measures from the agent’s own node', () => {
  const r = cli(['rtt', 'n2']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Estimated n2 <-> rtt-agent rtt: 3.520 ms (using LAN coordinates)\n');
});

test('rtt -wan uses the servers’ WAN coordinates, named node.datacenter', () => {
  const r = cli(['rtt', '-wan', 'rtt-agent.dc1']);
  assert.equal(r.status, 0, r.stderr);
  // A lone server's WAN coordinate is the origin with the minimum height: 2 × 10 µs.
  assert.equal(
    r.stdout,
    'Estimated rtt-agent.dc1 <-> rtt-agent.dc1 rtt: 0.020 ms (using WAN coordinates)\n',
  );
  const bad = cli(['rtt', '-wan', 'rtt-agent']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Node names must be specified as <node name>\.<datacenter>/);
});

test('rtt names a node without a coordinate, and wants one or two nodes', () => {
  const missing = cli(['rtt', 'n1', 'ghost']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Could not find a coordinate for node "ghost"/);
  const none = cli(['rtt']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /One or two node names must be specified/);
});
