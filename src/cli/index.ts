// The commands `consulate` dispatches to, each `(argv) => Promise<exit code>`. Each command's
// module is loaded only when it runs, so that `kv get` does not pay for Nest, Raft and SQLite.
import { VERSION } from './version';

export interface Command {
  synopsis: string;
  run(argv: readonly string[]): Promise<number>;
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  agent: {
    synopsis: 'Runs a Consulate agent',
    run: async (argv) => (await import('./agent')).runAgent(argv),
  },
  info: {
    synopsis: 'Provides debugging information for operators',
    run: async (argv) => (await import('./info')).runInfo(argv),
  },
  kv: {
    synopsis: 'Interact with the key-value store',
    run: async (argv) => (await import('./kv')).runKv(argv),
  },
  version: {
    synopsis: 'Prints the Consulate version',
    run: async () => {
      process.stdout.write(`Consulate v${VERSION}\n`);
      return 0;
    },
  },
};

export { VERSION };
