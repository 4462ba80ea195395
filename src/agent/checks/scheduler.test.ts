import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../raft';
import { ManualClock, type Clock } from './clock';
import type { CheckDefinition, CheckResult, CheckStatus } from './definition';
import type { AliasSource } from './alias-check';
import type { Probe } from './probe';
import { CheckScheduler, type CheckSchedulerOptions } from './scheduler';

const seeded = seededRandom;

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances the manual clock timer by timer, letting promise callbacks run in between. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await flush();
  while (true) {
    const next = clock.nextDueAt();
    if (next === undefined || next > target) break;
    clock.advanceTo(next);
    await flush();
  }
  clock.advanceTo(target);
  await flush();
}

interface ProbeLog {
  starts: Map<string, number[]>;
  concurrent: number;
  peak: number;
}

/** Probes that take `durationMs` of clock time and return what `result` says. */
function timedProbes(
  clock: Clock,
  durationMs: number,
  result: (id: string, run: number) => CheckResult = () => ({ status: 'passing', output: 'ok' }),
): { log: ProbeLog; factory: (def: CheckDefinition) => Probe } {
  const log: ProbeLog = { starts: new Map(), concurrent: 0, peak: 0 };
  const factory = (def: CheckDefinition): Probe => {
    return (signal) => {
      const starts = log.starts.get(def.id) ?? [];
      starts.push(clock.now());
      log.starts.set(def.id, starts);
      log.concurrent++;
      log.peak = Math.max(log.peak, log.concurrent);
      const run = starts.length;
      return new Promise((resolve) => {
        const timer = clock.setTimer(() => {
          log.concurrent--;
          resolve(result(def.id, run));
        }, durationMs);
        signal.addEventListener('abort', () => {
          timer.cancel();
          log.concurrent--;
          resolve({ status: 'critical', output: 'aborted' });
        });
      });
    };
  };
  return { log, factory };
}

function scheduler(clock: ManualClock, options: Partial<CheckSchedulerOptions> = {}) {
  return new CheckScheduler({ clock, random: seeded(7), ...options });
}

const http = (id: string, interval = 1000): CheckDefinition => ({
  id,
  name: id,
  http: 'http://127.0.0.1:1/',
  interval,
});

test('first runs are spread uniformly over the interval', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 10);
  const s = scheduler(clock, { probeFactory: factory, random: seeded(42) });
  for (let i = 0; i < 1000; i++) s.add(http(`c${i}`, 10_000));
  await advance(clock, 9_999);
  const firsts = [...log.starts.values()].map((starts) => starts[0]);
  assert.equal(firsts.length, 1000, 'every check ran once within its first interval');
  const buckets = new Array<number>(10).fill(0);
  for (const t of firsts) buckets[Math.floor(t / 1000)]++;
  for (const count of buckets) assert.ok(count > 60 && count < 140, `bucket ${count}`);
  await s.stop();
});

test('runs stay on the fixed grid over many intervals: no drift from run duration', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 300);
  const s = scheduler(clock, { probeFactory: factory });
  s.add(http('a', 1000));
  await advance(clock, 200_500);
  const starts = log.starts.get('a') ?? [];
  assert.ok(starts.length >= 200);
  for (let k = 1; k < starts.length; k++) assert.equal(starts[k] - starts[0], k * 1000);
  assert.equal(s.stats().lateness.max, 0);
  await s.stop();
});

test('a run never overlaps the previous run of the same check; skipped slots are counted', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 2500);
  const s = scheduler(clock, { probeFactory: factory, random: () => 0 });
  s.add(http('slow', 1000));
  await advance(clock, 9_500);
  assert.deepEqual(log.starts.get('slow'), [0, 3000, 6000, 9000]);
  assert.equal(log.peak, 1);
  assert.equal(s.stats().overlapsSkipped, 6);
  await s.stop();
});

test('in-flight runs are capped; due runs wait in order and start as others finish', async () => {
  const clock = new ManualClock(0);
  const resolvers: Array<() => void> = [];
  let concurrent = 0;
  let peak = 0;
  const starts: string[] = [];
  const factory =
    (def: CheckDefinition): Probe =>
    () => {
      starts.push(def.id);
      concurrent++;
      peak = Math.max(peak, concurrent);
      return new Promise((resolve) =>
        resolvers.push(() => {
          concurrent--;
          resolve({ status: 'passing', output: '' });
        }),
      );
    };
  const s = scheduler(clock, { probeFactory: factory, random: () => 0, maxConcurrent: 10 });
  for (let i = 0; i < 50; i++) s.add(http(`c${i}`, 60_000));
  await advance(clock, 1);
  assert.equal(s.stats().inFlight, 10);
  assert.equal(s.stats().queued, 40);
  assert.deepEqual(
    starts,
    Array.from({ length: 10 }, (_, i) => `c${i}`),
  );
  await advance(clock, 499);
  resolvers.splice(0, 5).forEach((r) => r());
  await flush();
  assert.equal(s.stats().inFlight, 10);
  assert.equal(s.stats().queued, 35);
  assert.deepEqual(starts.slice(10), ['c10', 'c11', 'c12', 'c13', 'c14']);
  // Waiting shows up as lateness: the five late starters waited 500ms.
  assert.equal(s.stats().lateness.max, 500);
  while (resolvers.length > 0) {
    resolvers.splice(0).forEach((r) => r());
    await flush();
  }
  assert.equal(starts.length, 50);
  assert.equal(peak, 10);
  assert.equal(s.stats().peakInFlight, 10);
  await s.stop();
});

test('a late timer shows as lateness, and slots missed by whole intervals are skipped', async () => {
  const inner = new ManualClock(0);
  const lag = 2_500;
  const laggy: Clock = {
    now: () => inner.now(),
    setTimer: (callback, delayMs) => inner.setTimer(callback, delayMs + lag),
  };
  const starts: number[] = [];
  const probe: Probe = async () => {
    starts.push(inner.now());
    return { status: 'passing', output: '' };
  };
  const s = new CheckScheduler({ clock: laggy, random: () => 0, probeFactory: () => probe });
  s.add(http('a', 1000));
  await advance(inner, 2_600);
  assert.deepEqual(starts, [2_500]);
  assert.equal(s.stats().lateness.p50, 2_500);
  assert.equal(s.stats().lateSlotsSkipped, 2);
  assert.equal(s.get('a')?.nextDueAt, 3_000, 'the grid keeps its phase');
  await s.stop();
});

test('listeners hear only changes of status or output', async () => {
  const clock = new ManualClock(0);
  const outputs = ['a', 'a', 'a', 'b', 'b'];
  const { factory } = timedProbes(clock, 10, (_id, run) => ({
    status: 'passing',
    output: outputs[Math.min(run, outputs.length) - 1],
  }));
  const s = scheduler(clock, { probeFactory: factory, random: () => 0 });
  const heard: string[] = [];
  s.onResult((id, status, output) => heard.push(`${id} ${status} ${output}`));
  s.add(http('x', 1000));
  await advance(clock, 5_500);
  assert.deepEqual(heard, ['x passing a', 'x passing b']);
  await s.stop();
});

test('criticalSince marks when a check became critical and clears when it recovers', async () => {
  const clock = new ManualClock(1_000);
  const statuses: CheckStatus[] = ['passing', 'critical', 'critical', 'passing'];
  const { factory } = timedProbes(clock, 0, (_id, run) => ({
    status: statuses[Math.min(run, statuses.length) - 1],
    output: `run ${run}`,
  }));
  const s = scheduler(clock, { probeFactory: factory, random: () => 0.5 });
  s.add(http('x', 1000));
  assert.equal(s.criticalSince('x'), 1_000, 'a new check starts critical');
  await advance(clock, 600); // run 1 at 1500
  assert.equal(s.get('x')?.status, 'passing');
  assert.equal(s.criticalSince('x'), undefined);
  await advance(clock, 1_000); // run 2 at 2500
  assert.equal(s.criticalSince('x'), 2_500);
  await advance(clock, 1_000); // run 3 at 3500: still critical, new output
  assert.equal(s.get('x')?.output, 'run 3');
  assert.equal(s.criticalSince('x'), 2_500);
  await advance(clock, 1_000);
  assert.equal(s.criticalSince('x'), undefined);
  await s.stop();
});

test('the initial status is respected until the first result', async () => {
  const clock = new ManualClock(0);
  const { factory } = timedProbes(clock, 0, () => ({ status: 'critical', output: 'down' }));
  const s = scheduler(clock, { probeFactory: factory, random: () => 0.5 });
  s.add({ ...http('x', 1000), status: 'passing' });
  assert.equal(s.get('x')?.status, 'passing');
  assert.equal(s.criticalSince('x'), undefined);
  await advance(clock, 499);
  assert.equal(s.get('x')?.status, 'passing');
  await advance(clock, 1);
  assert.equal(s.get('x')?.status, 'critical');
  await s.stop();
});

test('thresholds apply to probe results inside the scheduler', async () => {
  const clock = new ManualClock(0);
  const statuses: CheckStatus[] = ['passing', 'critical', 'critical', 'critical'];
  const { factory } = timedProbes(clock, 0, (_id, run) => ({
    status: statuses[Math.min(run, statuses.length) - 1],
    output: '',
  }));
  const s = scheduler(clock, { probeFactory: factory, random: () => 0 });
  s.add({ ...http('x', 1000), failuresBeforeWarning: 1, failuresBeforeCritical: 3 });
  const seen: string[] = [];
  s.onResult((_id, status) => seen.push(status));
  await advance(clock, 3_500);
  assert.deepEqual(seen, ['passing', 'warning', 'critical']);
  await s.stop();
});

test('re-adding an unchanged definition keeps status, counters and schedule', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 0);
  const s = scheduler(clock, { probeFactory: factory, random: () => 0.25 });
  s.add(http('x', 4000));
  await advance(clock, 1_500);
  assert.equal(s.get('x')?.status, 'passing');
  const due = s.get('x')?.nextDueAt;
  s.add({ ...http('x', 4000), notes: 'renamed', name: 'other name', status: 'critical' });
  assert.equal(s.get('x')?.status, 'passing');
  assert.equal(s.get('x')?.nextDueAt, due);
  assert.equal(s.get('x')?.definition.notes, 'renamed');
  await advance(clock, 4_000);
  assert.deepEqual(log.starts.get('x'), [1000, 5000]);
  await s.stop();
});

test('changing how a check runs restarts its schedule but keeps its status', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 0);
  const s = scheduler(clock, { probeFactory: factory, random: () => 0.5 });
  s.add(http('x', 2000));
  await advance(clock, 1_100);
  assert.equal(s.get('x')?.status, 'passing');
  s.add({ ...http('x', 10_000), timeout: 3000 });
  assert.equal(s.get('x')?.status, 'passing');
  assert.equal(s.get('x')?.nextDueAt, 1_100 + 5_000);
  await advance(clock, 10_000);
  assert.deepEqual(log.starts.get('x'), [1000, 6100]);
  await s.stop();
});

test('removing a check cancels its run in flight and drops the result', async () => {
  const clock = new ManualClock(0);
  const { log, factory } = timedProbes(clock, 5000);
  const s = scheduler(clock, { probeFactory: factory, random: () => 0 });
  const heard: string[] = [];
  s.onResult((id) => heard.push(id));
  s.add(http('x', 10_000));
  await advance(clock, 10);
  assert.equal(s.get('x')?.running, true);
  assert.equal(s.remove('x'), true);
  await flush();
  assert.equal(log.concurrent, 0);
  assert.equal(s.stats().inFlight, 0);
  await advance(clock, 30_000);
  assert.deepEqual(heard, []);
  assert.equal(log.starts.get('x')?.length, 1);
  assert.equal(s.remove('x'), false);
  assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  await s.stop();
});

test('a TTL check turns critical when not updated within its TTL', async () => {
  const clock = new ManualClock(0);
  const s = scheduler(clock);
  const heard: string[] = [];
  s.onResult((_id, status, output) => heard.push(`${status}: ${output}`));
  s.add({ id: 't', name: 't', ttl: 5000, status: 'passing' });
  await advance(clock, 4_999);
  assert.equal(s.get('t')?.status, 'passing');
  await advance(clock, 1);
  assert.equal(s.get('t')?.status, 'critical');
  assert.equal(s.get('t')?.output, 'TTL expired');
  assert.equal(s.criticalSince('t'), 5_000);
  assert.equal(s.get('t')?.nextDueAt, undefined);
  assert.deepEqual(heard, ['critical: TTL expired']);
  await s.stop();
});

test('a TTL update sets the status and restarts the TTL', async () => {
  const clock = new ManualClock(0);
  const s = scheduler(clock);
  s.add({ id: 't', name: 't', ttl: 5000 });
  await advance(clock, 3_000);
  assert.equal(s.updateTtl('t', 'passing', 'all good'), 'all good');
  assert.equal(s.get('t')?.status, 'passing');
  assert.equal(s.criticalSince('t'), undefined);
  await advance(clock, 4_999);
  assert.equal(s.get('t')?.status, 'passing');
  s.updateTtl('t', 'warning', 'meh');
  await advance(clock, 4_999);
  assert.equal(s.get('t')?.status, 'warning');
  await advance(clock, 1);
  assert.equal(s.get('t')?.status, 'critical');
  assert.equal(s.get('t')?.output, 'TTL expired (last output before timeout follows): meh');
  s.updateTtl('t', 'passing', '');
  assert.equal(s.get('t')?.status, 'passing');
  await advance(clock, 5_000);
  assert.equal(s.get('t')?.output, 'TTL expired');
  await s.stop();
});

test('TTL output is truncated to outputMaxSize the way Consul does it', async () => {
  const clock = new ManualClock(0);
  const s = scheduler(clock);
  s.add({ id: 't', name: 't', ttl: 5000, outputMaxSize: 8 });
  assert.equal(
    s.updateTtl('t', 'passing', '0123456789abc'),
    '01234567 ... (captured 8 of 13 bytes)',
  );
  await s.stop();
});

test('TTL updates to other checks fail with Consul text', async () => {
  const clock = new ManualClock(0);
  const { factory } = timedProbes(clock, 0);
  const s = scheduler(clock, { probeFactory: factory });
  s.add(http('h'));
  assert.throws(() => s.updateTtl('h', 'passing', ''), {
    message: 'CheckID "h" does not have associated TTL',
  });
  assert.throws(() => s.updateTtl('nope', 'passing', ''), {
    message: 'CheckID "nope" does not have associated TTL',
  });
  await s.stop();
});

/** An aliased target whose health the test sets. */
class Target {
  result: CheckResult = { status: 'passing', output: 'All checks passing.' };
  private listeners = new Set<() => void>();
  subscribers = 0;
  set(result: CheckResult): void {
    this.result = result;
    for (const l of this.listeners) l();
  }
  source(): AliasSource {
    return {
      read: () => this.result,
      subscribe: (onChange) => {
        this.listeners.add(onChange);
        this.subscribers = this.listeners.size;
        return () => {
          this.listeners.delete(onChange);
          this.subscribers = this.listeners.size;
        };
      },
    };
  }
}

test('an alias check mirrors its target from the start and on every change', async () => {
  const clock = new ManualClock(0);
  const target = new Target();
  const s = scheduler(clock, { aliasSource: () => target.source() });
  s.add({ id: 'a', name: 'a', aliasService: 'web' });
  assert.equal(s.get('a')?.status, 'passing');
  assert.equal(s.get('a')?.output, 'All checks passing.');
  target.set({ status: 'critical', output: 'Aliased check "web" failing: down' });
  assert.equal(s.get('a')?.status, 'critical');
  assert.equal(s.criticalSince('a'), 0);
  target.set({ status: 'warning', output: 'slow' });
  assert.equal(s.get('a')?.status, 'warning');
  s.remove('a');
  assert.equal(target.subscribers, 0, 'removal unsubscribes');
  await s.stop();
});

test('malformed definitions are refused with Consul text, short intervals raised', () => {
  const s = scheduler(new ManualClock(0), {
    probeFactory: () => async () => ({ status: 'passing', output: '' }),
  });
  assert.throws(() => s.add({ id: 'x', name: 'x', http: 'http://h/' }), {
    message:
      'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks',
  });
  assert.throws(() => s.add({ id: 'y', name: 'y', ttl: 1000, interval: 1000 }), {
    message: 'Invalid check: Interval and TTL cannot both be specified',
  });
  s.add({ id: 'z', name: 'z', tcp: 'h:1', interval: 10 });
  assert.equal(s.get('z')?.definition.interval, 1000);
  assert.equal(s.size, 1);
});

test('alias checks cannot be added without a source', () => {
  const s = scheduler(new ManualClock(0));
  assert.throws(() => s.add({ id: 'a', name: 'a', aliasService: 'web' }), /alias source/);
});

test('a listener that throws does not stop the others', async () => {
  const clock = new ManualClock(0);
  const errors: string[] = [];
  const s = scheduler(clock, { onListenerError: (_err, id) => errors.push(id) });
  const heard: string[] = [];
  s.onResult(() => {
    throw new Error('boom');
  });
  s.onResult((id) => heard.push(id));
  s.add({ id: 't', name: 't', ttl: 1000 });
  s.updateTtl('t', 'passing', 'ok');
  assert.deepEqual(errors, ['t']);
  assert.deepEqual(heard, ['t']);
  await s.stop();
});

test('stop cancels everything and leaves no timer', async () => {
  const clock = new ManualClock(0);
  const { factory } = timedProbes(clock, 5000);
  const s = scheduler(clock, { probeFactory: factory, random: () => 0 });
  for (let i = 0; i < 20; i++) s.add(http(`c${i}`, 10_000));
  s.add({ id: 't', name: 't', ttl: 1000 });
  await advance(clock, 10);
  await s.stop();
  assert.equal(s.size, 0);
  assert.equal(s.stats().inFlight, 0);
  assert.equal(clock.pendingTimers(), 0);
  assert.throws(() => s.add(http('late')), /stopped/);
});
