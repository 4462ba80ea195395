// The RPC methods a raft-server child process answers (tests and bench/raft-net call them).
import { defineMethod } from '../../src/rpc';

function record(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what} is not a map`);
  }
  return raw as Record<string, unknown>;
}

function num(m: Record<string, unknown>, key: string): number {
  const value = m[key];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`${key} is not a number`);
  return value;
}

function str(m: Record<string, unknown>, key: string): string {
  const value = m[key];
  if (typeof value !== 'string') throw new TypeError(`${key} is not a string`);
  return value;
}

function optionalStr(m: Record<string, unknown>, key: string): string | null {
  return m[key] === null || m[key] === undefined ? null : str(m, key);
}

export interface ProposeArgs {
  n: number;
  padding: number;
}

export const Propose = defineMethod(
  'Test.Propose',
  (raw): ProposeArgs => {
    const m = record(raw, 'args');
    return { n: num(m, 'n'), padding: num(m, 'padding') };
  },
  (raw) => {
    const m = record(raw, 'reply');
    return { index: num(m, 'index'), applied: num(m, 'applied') };
  },
);

export interface ServerStatus {
  id: string;
  role: string;
  leaderId: string | null;
  term: number;
  commitIndex: number;
  /** RecordingFsm.digest(): count and hash of every applied command. */
  digest: string;
  restoredAt: number;
}

export const Status = defineMethod(
  'Test.Status',
  () => null,
  (raw): ServerStatus => {
    const m = record(raw, 'reply');
    return {
      id: str(m, 'id'),
      role: str(m, 'role'),
      leaderId: optionalStr(m, 'leaderId'),
      term: num(m, 'term'),
      commitIndex: num(m, 'commitIndex'),
      digest: str(m, 'digest'),
      restoredAt: num(m, 'restoredAt'),
    };
  },
);

export interface LoadArgs {
  concurrency: number;
  durationMs: number;
  padding: number;
}

export interface LoadResult {
  proposals: number;
  elapsedMs: number;
  /** Commit latency of each proposal in microseconds. */
  latenciesUs: number[];
}

/** A closed loop of proposals run inside the leader: `concurrency` outstanding at all times. */
export const Load = defineMethod(
  'Bench.Load',
  (raw): LoadArgs => {
    const m = record(raw, 'args');
    return {
      concurrency: num(m, 'concurrency'),
      durationMs: num(m, 'durationMs'),
      padding: num(m, 'padding'),
    };
  },
  (raw): LoadResult => {
    const m = record(raw, 'reply');
    const latencies = m.latenciesUs;
    if (!Array.isArray(latencies) || !latencies.every((v) => typeof v === 'number')) {
      throw new TypeError('latenciesUs is not a list of numbers');
    }
    return {
      proposals: num(m, 'proposals'),
      elapsedMs: num(m, 'elapsedMs'),
      latenciesUs: latencies as number[],
    };
  },
);
