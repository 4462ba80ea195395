// Child process of crash.test.ts: appends self-verifying entries with persist() as fast as it
// can until it is killed, printing each acknowledged index and the term/vote saved with it.
// Usage: node crash-writer.js <dataDir>
import { writeSync } from 'node:fs';
import pino from 'pino';
import { SqliteStorage } from '../../src/raft/storage';
import { checkedEntry } from './entry-checksum';

/** Entries per term before the writer moves to a new term (and a new vote). */
const entriesPerTerm = 300;

async function main(dataDir: string): Promise<void> {
  const storage = await SqliteStorage.open(dataDir, { logger: pino({ level: 'silent' }) });
  const state = await storage.load();
  let last = state.entries.at(-1)?.index ?? 0;
  let term = (state.hardState?.term ?? 0) + 1;
  // Pipes to the parent are written synchronously on Linux, so a printed ack survives SIGKILL.
  writeSync(1, `ready ${last} ${term}\n`);
  let termStart = last;
  while (true) {
    if (last - termStart >= entriesPerTerm) {
      term += 1;
      termStart = last;
    }
    const votedFor = `node-${term % 5}`;
    // Several persists in one turn, so that kills also land inside shared group commits.
    const writes: Promise<void>[] = [];
    for (let w = 1 + Math.floor(Math.random() * 3); w > 0; w--) {
      const count = 1 + Math.floor(Math.random() * 16);
      const entries = Array.from({ length: count }, (_, i) => checkedEntry(last + 1 + i, term));
      last += count;
      const hardState = { term, votedFor, commit: 0 };
      const acked = last;
      writes.push(
        storage.persist({ entries, hardState }).then(() => {
          writeSync(1, `ack ${acked} ${term} ${votedFor}\n`);
        }),
      );
    }
    await Promise.all(writes);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
