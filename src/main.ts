// `consulate <command> [args]`: dispatches to one file per command in src/cli. Commands parse
// their own Go-style flags (src/config/flags.ts), as Consul's do.
import { COMMANDS } from './cli';

function usage(): string {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((name) => name.length)) + 4;
  const lines = names.map((name) => `    ${name.padEnd(width)}${COMMANDS[name].synopsis}`);
  return `Usage: consulate [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '-help' || name === '--help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '-v' || name === '-version' || name === '--version') {
    return COMMANDS.version.run([]);
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`Unknown command: ${name}\n\n${usage()}`);
    return 127;
  }
  return command.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Listeners and timers are closed by then; exit anyway so a stray handle cannot hang the CLI.
      setImmediate(() => process.exit(code));
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
