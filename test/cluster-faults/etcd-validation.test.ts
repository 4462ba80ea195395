// The harness validated against a system known to be linearizable: a three-member etcd 3.4
// cluster (Debian's etcd-server) in network namespaces, under the same faults as Consulate.
// The checker must pass on its linearizable reads, and must catch its serializable reads from
// a cut-off member (which etcd documents as possibly stale).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';

import { EtcdCluster } from './etcd';
import { NetLab } from './netlab';
import { runScenario } from './scenario';
import { verifyHistory } from './verify';
import type { RecordedEntry } from './workload';

let lab: NetLab;
let etcd: EtcdCluster;

before(async () => {
  lab = await NetLab.create(3);
  etcd = new EtcdCluster(lab);
  await etcd.start();
});

after(async () => {
  await etcd?.stop();
  await lab?.destroy();
});

describe('the fault harness against etcd', () => {
  it('finds etcd linearizable under kill -9, SIGSTOP and partitions', async () => {
    const seed = Number(process.env.FAULT_SEED ?? 2000);
    const result = await runScenario(etcd, lab, {
      seed,
      steps: [
        { fault: 'kill-leader', holdMs: 500 },
        { fault: 'pause-leader', holdMs: 1500 },
        { fault: 'isolate-leader', holdMs: 1500 },
        { fault: 'isolate-follower', holdMs: 1500 },
        { fault: 'bridge-leader', holdMs: 1500 },
        { fault: 'mute-leader', holdMs: 1500 },
      ],
      readModes: ['consistent', 'default'],
      defaultReadsLinearizable: true,
      staleSlackMs: null,
      keyPrefix: 'faults',
    });
    assert.ok(result.verdict.ok, result.report());
    assert.ok(result.counts.ok > 100, result.report());
  });

  it('catches a serializable read from a member cut off from the others', async () => {
    const signal = (): AbortSignal => AbortSignal.timeout(10_000);
    const history: RecordedEntry[] = [];
    const record = async (
      server: number,
      op: RecordedEntry['op'],
      action: () => Promise<RecordedEntry['outcome']>,
      mode?: RecordedEntry['mode'],
    ): Promise<void> => {
      const call = performance.now();
      const outcome = await action();
      const ret = performance.now();
      const entry: RecordedEntry = { client: server, key: 'cut', op, outcome, call, ret, server };
      if (mode !== undefined) entry.mode = mode;
      history.push(entry);
    };
    const leader = await etcd.leader();
    const cutOff = (leader + 1) % etcd.size;
    await record(leader, { kind: 'put', value: 'one' }, async () => {
      await etcd.put(leader, 'cut', 'one', signal());
      return { kind: 'ok' };
    });
    await record(
      cutOff,
      { kind: 'get' },
      async () => ({
        kind: 'read',
        value: (await etcd.get(cutOff, 'cut', 'consistent', signal())).value,
      }),
      'consistent',
    );
    await lab.isolate(cutOff);
    try {
      await record(leader, { kind: 'put', value: 'two' }, async () => {
        await etcd.put(leader, 'cut', 'two', signal());
        return { kind: 'ok' };
      });
      // A serializable read, taken for a linearizable one.
      await record(
        cutOff,
        { kind: 'get' },
        async () => ({
          kind: 'read',
          value: (await etcd.get(cutOff, 'cut', 'stale', signal())).value,
        }),
        'consistent',
      );
    } finally {
      await lab.healAll();
    }
    assert.deepEqual(
      history.map((e) => (e.outcome.kind === 'read' ? e.outcome.value : e.outcome.kind)),
      ['ok', 'one', 'ok', 'one'],
    );
    const verdict = verifyHistory(history, {
      seed: 0,
      origin: history[0].call,
      defaultReadsLinearizable: true,
      staleSlackMs: null,
    });
    assert.equal(verdict.ok, false, verdict.report);
    assert.match(verdict.report, /NOT LINEARIZABLE/);
  });
});
