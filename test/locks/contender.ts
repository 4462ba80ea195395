// A lock contender process for the safety test: takes the lock through the SDK, records
// `acquire <id>` in the shared history (appends are atomic and ordered), holds it briefly,
// records `release <id>` and lets go; again and again until killed.
import { appendFileSync } from 'node:fs';

import { Consul } from '../../clients/typescript/src';

async function main(): Promise<void> {
  const [address, key, history, id] = process.argv.slice(2);
  const consul = new Consul({ address });
  for (;;) {
    const lock = consul.lock(key, {
      sessionTtl: '2s',
      lockDelay: '300ms',
      retryMs: 100,
      waitMs: 2000,
      value: id,
    });
    if (!(await lock.acquire())) continue;
    appendFileSync(history, `acquire ${id} ${Date.now()}\n`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    appendFileSync(history, `release ${id} ${Date.now()}\n`);
    await lock.release();
    // Leave others a turn before contending again.
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
