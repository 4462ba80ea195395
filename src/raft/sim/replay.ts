// Replays one simulator run: node dist/src/raft/sim/replay.js --seed 1234 --nodes 5 --steps 4000
import { replayCommand, runSimulation, type SimulationOptions } from './simulation';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${process.argv[at + 1]}`);
  return value;
}

const options: SimulationOptions = {
  seed: flag('seed', 1),
  nodes: flag('nodes', 3),
  steps: flag('steps', 3000),
};
const seeds = flag('seeds', 1);
for (let seed = options.seed; seed < options.seed + seeds; seed++) {
  const run = { ...options, seed };
  try {
    const result = runSimulation(run);
    console.log(`ok ${replayCommand(run)} ${JSON.stringify(result)}`);
  } catch (err) {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
    break;
  }
}
