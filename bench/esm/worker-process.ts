// One ESM worker for bench/esm, in its own process: the real EsmWorker (startEsm without the
// coordinator), answering `reset` and `stats` on stdin so the bench can read what it ran.
import { createInterface } from 'node:readline';

import pino from 'pino';

import { startEsm } from '../../src/esm';

async function main(): Promise<void> {
  const [agentUrl, redis, prefix, concurrency] = process.argv.slice(2);
  const esm = await startEsm({
    agentUrl,
    redis,
    prefix,
    externalNodeMeta: { 'external-node': 'true' },
    probe: { intervalMs: 10_000, timeoutMs: 2000, pingType: 'tcp', port: 7 },
    retryMs: 1000,
    coordinate: false,
    concurrency: Number(concurrency),
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  const worker = esm.worker;
  if (worker === null) throw new Error('no worker');
  process.stdout.write('ready\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'reset') worker.resetStats();
    if (line === 'stats') {
      const stats = worker.stats();
      process.stdout.write(`${JSON.stringify({ runs: stats.runs, lateness: stats.lateness })}\n`);
    }
  });
  process.stdin.on('end', () => {
    void esm.stop().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
