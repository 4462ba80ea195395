// Command-line options of the KV bench.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_AGENT_COMMAND } from './agent';
import { PEER_NAMES, type PeerName } from './workloads';

export interface BenchOptions {
  runs: number;
  only: PeerName[];
  agentCommand: string;
  warmupMs: number;
  durationMs: number;
  concurrency: number[];
  keys: number;
  valueBytes: number;
  fanout: number[];
  etcdFanout: number[];
  loadgenProcesses: number;
  dataRoot: string;
  etcdBinary: string;
  keep: boolean;
}

export const USAGE = `Usage: node dist/bench/kv/main.js [options]
  --runs N              run every cell N times and report medians (default 1)
  --only LIST           peers to run, from etcd,fastify,consulate (default all)
  --agent-cmd CMD       shell command starting the agent; placeholders {node} {dataDir}
                        {httpPort} {dnsPort} {serverPort} {serfLanPort} {serfWanPort}
                        (default: ${DEFAULT_AGENT_COMMAND})
  --warmup S            seconds of warm-up per cell (default 1)
  --duration S          measured seconds per cell (default 5)
  --concurrency LIST    concurrent clients per cell (default 1,16,64)
  --keys N              keys written before the reads (default 10000)
  --value-bytes N       value size (default 256)
  --fanout LIST         blocking queries per fan-out run on the agent (default 1000,10000)
  --etcd-fanout LIST    etcd watchers per fan-out run (default 1000,10000)
  --loadgen-procs N     load-generator processes (default 1; this machine has ${os.cpus().length} cores)
  --data-root DIR       where the temporary data dirs go (default ${os.tmpdir()})
  --etcd-bin PATH       etcd binary (default etcd)
  --keep                keep the data dirs and logs
`;

function positiveInts(flag: string, text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  for (const value of values) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag}: not a count: ${text}`);
  }
  return values.filter((v) => v > 0);
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${flag}: not seconds: ${text}`);
  return value * 1000;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '1' },
      only: { type: 'string', default: PEER_NAMES.join(',') },
      'agent-cmd': { type: 'string', default: DEFAULT_AGENT_COMMAND },
      warmup: { type: 'string', default: '1' },
      duration: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '1,16,64' },
      keys: { type: 'string', default: '10000' },
      'value-bytes': { type: 'string', default: '256' },
      fanout: { type: 'string', default: '1000,10000' },
      'etcd-fanout': { type: 'string', default: '1000,10000' },
      'loadgen-procs': { type: 'string', default: '1' },
      'data-root': { type: 'string', default: os.tmpdir() },
      'etcd-bin': { type: 'string', default: 'etcd' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const only = values.only.split(',').map((name) => name.trim());
  for (const name of only) {
    if (!(PEER_NAMES as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown peer ${name} (choose from ${PEER_NAMES.join(',')})`);
    }
  }
  const [runs] = positiveInts('--runs', values.runs);
  const [keys] = positiveInts('--keys', values.keys);
  const [valueBytes] = positiveInts('--value-bytes', values['value-bytes']);
  const [loadgenProcesses] = positiveInts('--loadgen-procs', values['loadgen-procs']);
  return {
    runs: runs ?? 1,
    only: PEER_NAMES.filter((name) => only.includes(name)),
    agentCommand: values['agent-cmd'],
    warmupMs: seconds('--warmup', values.warmup),
    durationMs: seconds('--duration', values.duration),
    concurrency: positiveInts('--concurrency', values.concurrency),
    keys: keys ?? 10000,
    valueBytes: valueBytes ?? 256,
    fanout: positiveInts('--fanout', values.fanout),
    etcdFanout: positiveInts('--etcd-fanout', values['etcd-fanout']),
    loadgenProcesses: loadgenProcesses ?? 1,
    dataRoot: values['data-root'],
    etcdBinary: values['etcd-bin'],
    keep: values.keep,
  };
}
