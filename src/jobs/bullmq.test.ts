// The BullMQ queue against the Redis running on this machine (127.0.0.1:6379), each test under a
// prefix of its own, removed afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';

import { Redis } from 'ioredis';
import pino from 'pino';

import { BullMqJobQueue } from './bullmq';
import { RedisUnavailableError } from './redis';

const REDIS = 'redis://127.0.0.1:6379/0';
const quiet = pino({ level: 'silent' });
const prefixes: string[] = [];

async function queueForTest(): Promise<BullMqJobQueue> {
  const prefix = `consulate-test-${randomUUID()}`;
  prefixes.push(prefix);
  return BullMqJobQueue.connect({
    redis: REDIS,
    prefix,
    scope: 'unit',
    logger: quiet,
    backoffMs: 20,
  });
}

after(async () => {
  const redis = new Redis(REDIS);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('BullMqJobQueue', () => {
  it('runs a job with its payload on Redis and settles finished', async () => {
    const queue = await queueForTest();
    const seen: string[] = [];
    queue.register<{ word: string }>('echo', async (payload) => {
      seen.push(payload.word);
    });
    await queue.enqueue('echo', { word: 'hi' }).finished;
    assert.deepEqual(seen, ['hi']);
    await queue.close();
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const queue = await queueForTest();
    const attempts: number[] = [];
    queue.register<number>('flaky', async (_n, job) => {
      attempts.push(job.attempt);
      if (job.attempt < 3) throw new Error(`attempt ${job.attempt} fails`);
    });
    await queue.enqueue('flaky', 1).finished;
    assert.deepEqual(attempts, [1, 2, 3]);
    await queue.close();
  });

  it('joins a job that is still waiting for its key', async () => {
    const queue = await queueForTest();
    const first = queue.enqueue('later', 1, { key: 'k' });
    const second = queue.enqueue('later', 2, { key: 'k' });
    assert.deepEqual(await first.accepted, { id: first.id, deduplicated: false });
    const joined = await second.accepted;
    assert.equal(joined.deduplicated, true);
    assert.equal(joined.id, first.id);
    const seen: number[] = [];
    queue.register<number>('later', async (n) => {
      seen.push(n);
    });
    await first.finished;
    await queue.idle();
    assert.deepEqual(seen, [1]);
    await queue.close();
  });

  it('keeps a job enqueued before close for the next process that registers its name', async () => {
    const producer = await queueForTest();
    const prefix = prefixes[prefixes.length - 1];
    await producer.enqueue('durable', 'kept').accepted;
    await producer.close();
    const consumer = await BullMqJobQueue.connect({
      redis: REDIS,
      prefix,
      scope: 'unit',
      logger: quiet,
    });
    const ran = new Promise<string>((resolve) =>
      consumer.register<string>('durable', async (payload) => resolve(payload)),
    );
    assert.equal(await ran, 'kept');
    await consumer.close();
  });

  it('refuses to start when Redis does not answer, naming the address', async () => {
    await assert.rejects(
      BullMqJobQueue.connect({
        redis: 'redis://127.0.0.1:1/0',
        prefix: 'x',
        scope: 'unit',
        logger: quiet,
      }),
      (err: unknown) =>
        err instanceof RedisUnavailableError &&
        /jobs\.redis: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/.test(
          err.message,
        ),
    );
  });
});
