// Consulate agents and real serf agents (built from Debian's hashicorp/serf sources) in one
// encrypted LAN pool on 127.0.0.6x: each side lists the other with the right status, a killed
// serf agent is seen failed by Consulate and a killed Consulate agent by serf, a Consulate event
// reaches serf's event handler, and a peer with another key is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';
import { SerfAgent } from '../gossip/serf/serf-agent';

const KEY = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const OTHER_KEY = 'HR3FGpYpXmJ0MFKwEmW3ZvQ1+LBZNFjexIbWzaFTMjc=';
const ALIVE = 1;
const FAILED = 4;

interface Member {
  Name: string;
  Status: number;
}

const root = mkdtempSync(join(tmpdir(), 'mixed-pool-'));
const agents: RunningAgent[] = [];
const serfs: SerfAgent[] = [];
after(async () => {
  for (const agent of agents) await agent.stop('SIGKILL');
  for (const serf of serfs) await serf.cleanup();
  rmSync(root, { recursive: true, force: true });
});

async function server(octet: number, seeds: string[]): Promise<RunningAgent> {
  const ip = `127.0.0.${octet}`;
  const agent = await startAgent(
    [
      '-server',
      '-bootstrap-expect=3',
      `-node=c${octet}`,
      `-bind=${ip}`,
      `-client=${ip}`,
      `-data-dir=${join(root, `c${octet}`)}`,
      '-http-port=0',
      '-dns-port=-1',
      '-server-port=0',
      '-serf-lan-port=7946',
      '-serf-wan-port=0',
      '-grpc-port=-1',
      '-grpc-tls-port=-1',
      '-retry-interval=1s',
      `-encrypt=${KEY}`,
      ...seeds.flatMap((seed) => ['-retry-join', seed]),
      '-hcl',
      'performance { raft_multiplier = 1 }',
    ],
    60_000,
  );
  agents.push(agent);
  return agent;
}

async function members(agent: RunningAgent): Promise<Member[]> {
  const response = await fetch(`${agent.baseUrl}/v1/agent/members`);
  assert.equal(response.status, 200);
  return (await response.json()) as Member[];
}

async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Consulate and serf agents in one encrypted pool', () => {
  it('three Consulate servers and two serf agents list all five alive', async () => {
    await server(61, []);
    await server(62, ['127.0.0.61']);
    await server(63, ['127.0.0.61']);
    serfs.push(
      SerfAgent.start({ name: 'serf64', ip: '127.0.0.64', key: KEY, join: ['127.0.0.61'] }),
    );
    serfs.push(
      SerfAgent.start({ name: 'serf65', ip: '127.0.0.65', key: KEY, join: ['127.0.0.62'] }),
    );
    const names = ['c61', 'c62', 'c63', 'serf64', 'serf65'];
    await eventually('five alive members on every Consulate agent', async () => {
      for (const agent of agents) {
        const listed = await members(agent);
        if (!names.every((name) => listed.some((m) => m.Name === name && m.Status === ALIVE))) {
          return false;
        }
      }
      return true;
    });
    await eventually('five alive members on every serf agent', async () => {
      for (const serf of serfs) {
        const listed = await serf.members();
        if (listed === null) return false;
        if (!names.every((name) => listed.some((m) => m.name === name && m.status === 'alive'))) {
          return false;
        }
      }
      return true;
    });
    const cli = runCli(['members', `-http-addr=${agents[0].address}`]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /serf64\s+127\.0\.0\.64:7946\s+alive\s+client/);
  });

  it("a Consulate event reaches the serf agents' event handlers", async () => {
    const fired = runCli(['event', '-name=deploy', `-http-addr=${agents[1].address}`, 'v2']);
    assert.equal(fired.status, 0, fired.stderr);
    await eventually('the event at both serf agents', async () =>
      serfs.every((serf) =>
        serf.userEvents().some((line) => line.startsWith('consul:event:deploy ')),
      ),
    );
  });

  it('kill -9 of a serf agent is seen by Consulate, and of a Consulate agent by serf', async () => {
    await serfs[1].kill9();
    await eventually('serf65 failed in Consulate', async () =>
      (await members(agents[0])).some((m) => m.Name === 'serf65' && m.Status === FAILED),
    );
    await agents[2].stop('SIGKILL');
    await eventually(
      'c63 failed in serf',
      async () => (await serfs[0].statusOf('c63')) === 'failed',
    );
  });

  it('a serf agent with another key cannot join', async () => {
    const stranger = SerfAgent.start({
      name: 'serf66',
      ip: '127.0.0.66',
      key: OTHER_KEY,
      join: ['127.0.0.61'],
    });
    serfs.push(stranger);
    // serf gives up at start when its -join fails: the pool refused it.
    await eventually('serf66 refused', async () => !stranger.isRunning());
    assert.match(stranger.output, /Failed to join|No installed keys could decrypt|decrypt/i);
    assert.ok(!(await members(agents[0])).some((m) => m.Name === 'serf66'));
  });
});
