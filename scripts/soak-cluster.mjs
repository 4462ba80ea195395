#!/usr/bin/env node
// Long fault schedules against a Consulate (or etcd) cluster in network namespaces: rounds of
// seeded random faults (kill -9, SIGSTOP, isolations, bridges, one-way cuts, 2|3 splits on five
// servers, a follower restarted past compaction) under the same workload and checks as the CI
// suite (test/cluster-faults). Prints each round's verdict; on a failure, the seed, the faults,
// the offending key's history and the servers' last log lines, and exits 1.
// Usage (root, after `npm run build`):
//   node scripts/soak-cluster.mjs [--servers 3|5] [--rounds 20] [--steps 6] [--seed 1]
//                                 [--hold-ms 3000] [--target consulate|etcd] [--formation gossip|seeded]
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = join(new URL('..', import.meta.url).pathname, 'dist', 'test', 'cluster-faults');
const { NetLab } = require(join(dist, 'netlab.js'));
const { ConsulateCluster } = require(join(dist, 'consulate.js'));
const { EtcdCluster } = require(join(dist, 'etcd.js'));
const { runScenario } = require(join(dist, 'scenario.js'));
const { seededRandom } = require(join(dist, 'workload.js'));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

const servers = Number(option('servers', '3'));
const rounds = Number(option('rounds', '20'));
const stepsPerRound = Number(option('steps', '6'));
const firstSeed = Number(option('seed', '1'));
const holdMs = Number(option('hold-ms', '3000'));
const target = option('target', 'consulate');
const formation = option('formation', 'gossip');

const faults = [
  'kill-leader',
  'pause-leader',
  'isolate-leader',
  'isolate-follower',
  'bridge-leader',
  'mute-leader',
  ...(servers >= 5 ? ['split-minority-leader'] : []),
  ...(target === 'consulate' ? ['kill-follower-compact'] : []),
];

const lab = await NetLab.create(servers);
const cluster =
  target === 'etcd'
    ? new EtcdCluster(lab)
    : new ConsulateCluster(lab, {
        formation,
        raftMultiplier: 1,
        snapshotThreshold: 64,
        trailingLogs: 16,
      });
let failed = false;
const stopAll = async () => {
  await cluster.stop();
  await lab.destroy();
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
try {
  await cluster.start();
  for (let round = 0; round < rounds && !failed; round++) {
    const seed = firstSeed + round;
    const random = seededRandom(seed);
    const steps = Array.from({ length: stepsPerRound }, () => ({
      fault: faults[Math.floor(random() * faults.length)],
      holdMs,
    }));
    const started = Date.now();
    const result = await runScenario(cluster, lab, {
      seed,
      steps,
      readModes: target === 'etcd' ? ['consistent', 'default'] : ['consistent', 'default', 'stale'],
      // A deposed leader may answer default reads with old data (see test/cluster-faults).
      defaultReadsLinearizable: target === 'etcd' || steps.every((s) => s.fault.startsWith('kill')),
      staleSlackMs: target === 'etcd' ? null : Infinity,
      keyPrefix: `soak${seed}`,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      `round ${round + 1}/${rounds} seed ${seed} [${steps.map((s) => s.fault).join(', ')}] ` +
        `${seconds} s: ${result.verdict.ok ? 'ok' : 'FAILED'} — ${result.verdict.summary}`,
    );
    for (const event of result.events) console.log(`  ${event}`);
    if (!result.verdict.ok) {
      console.log(result.report());
      failed = true;
    }
  }
} finally {
  await stopAll();
}
process.exit(failed ? 1 : 0);
