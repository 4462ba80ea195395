import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InProcessJobQueue } from './in-process';
import { JobQueueClosedError } from './queue';

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('InProcessJobQueue', () => {
  it('runs a job with its payload and settles finished', async () => {
    const queue = new InProcessJobQueue();
    const seen: string[] = [];
    queue.register<{ word: string }>('echo', async (payload) => {
      seen.push(payload.word);
    });
    await queue.enqueue('echo', { word: 'hi' }).finished;
    assert.deepEqual(seen, ['hi']);
  });

  it('joins a job that is still waiting for its key, keeping the newest payload', async () => {
    const queue = new InProcessJobQueue();
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    queue.register<number>('work', async (n) => {
      seen.push(n);
      if (n === 0) await gate;
    });
    const first = queue.enqueue('work', 0, { key: 'k' });
    await tick();
    const second = queue.enqueue('work', 1, { key: 'k' });
    const third = queue.enqueue('work', 2, { key: 'k' });
    assert.equal(second.deduplicated, false);
    assert.equal(third.deduplicated, true);
    assert.equal(third.id, second.id);
    release();
    await Promise.all([first.finished, second.finished, third.finished]);
    assert.deepEqual(seen, [0, 2]);
  });

  it('never runs two jobs of one key at once, but runs other keys side by side', async () => {
    const queue = new InProcessJobQueue();
    let running = 0;
    let most = 0;
    const perKey = new Map<string, number>();
    queue.register<string>(
      'work',
      async (key) => {
        running += 1;
        most = Math.max(most, running);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        assert.equal(perKey.get(key), 1, `key ${key} ran twice at once`);
        await tick(10);
        perKey.set(key, (perKey.get(key) ?? 0) - 1);
        running -= 1;
      },
      { concurrency: 4 },
    );
    const jobs = [];
    for (let i = 0; i < 12; i += 1) {
      const key = `k${i % 3}`;
      jobs.push(queue.enqueue('work', key, { key }).finished);
      await tick(1);
    }
    await Promise.all(jobs);
    assert.equal(most, 3);
  });

  it('rejects finished with the handler error, and keeps running later jobs', async () => {
    const queue = new InProcessJobQueue();
    queue.register<boolean>('maybe', async (fail) => {
      if (fail) throw new Error('boom');
    });
    await assert.rejects(queue.enqueue('maybe', true).finished, /boom/);
    await queue.enqueue('maybe', false).finished;
  });

  it('waits for a handler registered after the enqueue', async () => {
    const queue = new InProcessJobQueue();
    const job = queue.enqueue('late', 7);
    let got = 0;
    queue.register<number>('late', async (n) => {
      got = n;
    });
    await job.finished;
    assert.equal(got, 7);
  });

  it('idle() resolves once nothing waits or runs; close() drops waiting jobs', async () => {
    const queue = new InProcessJobQueue();
    queue.register<number>('slow', () => tick(20));
    const a = queue.enqueue('slow', 1);
    const b = queue.enqueue('slow', 2);
    await tick();
    await queue.close();
    await a.finished;
    await assert.rejects(b.finished, JobQueueClosedError);
    await assert.rejects(queue.enqueue('slow', 3).finished, JobQueueClosedError);
    await queue.idle();
  });
});
