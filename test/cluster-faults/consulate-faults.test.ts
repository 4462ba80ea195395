// Three `consulate agent -server -bootstrap-expect=3 -retry-join …` processes, each in its own
// network namespace, forming a cluster through gossip, then under kill -9, SIGSTOP and
// partitions while six clients (two per server) put, get, CAS and delete: every history must be
// linearizable (writes with ?consistent reads, and default reads while no deposed leader can
// answer), no acknowledged write may be lost, and ?stale reads must return a state the key held
// before they returned.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ConsulateCluster } from './consulate';
import { NetLab } from './netlab';
import type { Step } from './nemesis';
import { runScenario, type ScenarioOptions } from './scenario';
import { waitUntil } from './target';

// X-Consul-LastContact measures contact with the leader, not the age of the data: a follower
// that restarts or comes back from a partition hears heartbeats again at once, while its log
// catches up (through a snapshot, after a stalled TCP connection's back-off) for seconds. Consul's
// hashicorp/raft does the same, and no ?max_stale bounds a plain ?stale read, so what a stale
// read must show is a state the key really held before the read returned: never a write that was
// not committed, never a value nobody wrote.
const STALE_SLACK_MS = Infinity;

// Default-mode reads are linearizable while no deposed leader can answer (kill -9). Under a
// pause or a partition they are held to what a stale read promises: Consul documents that an
// old leader may serve them in the window before it steps down. Here that window is wide — the
// leader checks its quorum once per election timeout, over the previous one, so it may lead up
// to two timeouts after losing it, while the others elect a new leader after one or two (the
// isolate-leader probe shows it: a default read of the old value after the new leader
// acknowledged a write); hashicorp/raft's lease (half the election timeout) keeps it shut.

let lab: NetLab;
let cluster: ConsulateCluster;
let run = 0;

before(async () => {
  lab = await NetLab.create(3);
  // Formed as an operator would: -server -bootstrap-expect=3 -retry-join=<the other two>.
  cluster = new ConsulateCluster(lab, {
    formation: 'gossip',
    raftMultiplier: 1,
    snapshotThreshold: 64,
    trailingLogs: 16,
  });
  await cluster.start();
});

after(async () => {
  await cluster?.stop();
  await lab?.destroy();
});

async function checkUnder(steps: Step[], options: Partial<ScenarioOptions> = {}): Promise<void> {
  const seed = Number(process.env.FAULT_SEED ?? 1000) + run;
  const result = await runScenario(cluster, lab, {
    seed,
    steps,
    readModes: ['consistent', 'default', 'stale'],
    defaultReadsLinearizable: true,
    staleSlackMs: STALE_SLACK_MS,
    keyPrefix: `run${run++}`,
    ...options,
  });
  assert.ok(result.verdict.ok, result.report());
  const written = result.counts.ok;
  assert.ok(written > 50, `only ${written} requests answered:\n${result.report()}`);
}

describe('a Consulate cluster under faults', () => {
  it('three agents form one cluster: one leader, every server reports three voters', async () => {
    const leader = await cluster.leader();
    assert.ok(leader >= 0);
    for (let server = 0; server < cluster.size; server++) {
      const configuration = await waitUntil(
        `s${server + 1} to list three voters`,
        async () => {
          const servers = await cluster.raftConfiguration(server);
          return servers.filter(([, voter]) => voter).length === 3 ? servers : null;
        },
        30_000,
      );
      assert.equal(configuration.length, 3);
    }
  });

  it('kill -9 of the leader: another server leads and serves writes, the killed one restarts and catches up', async () => {
    await checkUnder([{ fault: 'kill-leader', holdMs: 500 }]);
  });

  it('kill -9 of a follower until the others compacted their logs past it: it catches up through InstallSnapshot', async () => {
    await checkUnder([{ fault: 'kill-follower-compact', holdMs: 0 }]);
  });

  it('SIGSTOP of the leader: it steps down on SIGCONT and a consistent read queued to it is not stale', async () => {
    const signal = (): AbortSignal => AbortSignal.timeout(15_000);
    await cluster.settled();
    const old = await cluster.leader();
    await cluster.put(old, 'pause/k', 'before', signal());
    cluster.pause(old);
    // Sent while it is frozen: the request waits in its socket until SIGCONT.
    const queued = cluster.get(old, 'pause/k', 'consistent', signal()).then(
      (read) => read.value,
      (error: unknown) => `failed: ${String(error)}`,
    );
    const next = await cluster.leader();
    assert.notEqual(next, old);
    await cluster.put(next, 'pause/k', 'after', signal());
    cluster.resume(old);
    const seen = await queued;
    assert.notEqual(seen, 'before', 'the deposed leader answered a consistent read with old data');
    const itself = `${cluster.members[old].ip}:8300`;
    await waitUntil(
      'the resumed server to stop naming itself leader',
      async () => {
        const named = await cluster.leaderSeenBy(old);
        return named !== null && named !== itself;
      },
      10_000,
    );
    await checkUnder([{ fault: 'pause-leader', holdMs: 2000 }], {
      defaultReadsLinearizable: false,
    });
  });

  it('partitions (the leader isolated, a follower isolated, the leader cut from one follower, the leader muted), each healed', async () => {
    await checkUnder(
      [
        { fault: 'isolate-leader', holdMs: 2000 },
        { fault: 'isolate-follower', holdMs: 2000 },
        { fault: 'bridge-leader', holdMs: 2000 },
        { fault: 'mute-leader', holdMs: 2000 },
      ],
      { defaultReadsLinearizable: false },
    );
  });
});
