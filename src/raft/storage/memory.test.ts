import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryType, type LogEntry } from '../types';
import { MemoryStorage } from './memory';

function entry(index: number, term: number): LogEntry {
  return { index, term, type: EntryType.Command, data: new Uint8Array([index, term]) };
}

const membership = { servers: [{ id: 'a', address: 'a:1', voter: true }] };

describe('MemoryStorage', () => {
  it('persist replaces the suffix from the first new entry and keeps hard state and membership', async () => {
    const storage = new MemoryStorage();
    await storage.persist({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    await storage.persist({
      entries: [entry(2, 2)],
      hardState: { term: 2, votedFor: 'a', commit: 1 },
      membership,
    });
    const state = await storage.load();
    assert.deepEqual(
      state.entries.map((e) => [e.index, e.term]),
      [
        [1, 1],
        [2, 2],
      ],
    );
    assert.deepEqual(state.hardState, { term: 2, votedFor: 'a', commit: 1 });
    assert.deepEqual(state.membership, membership);
  });

  it('load returns only entries after the newest snapshot; compact drops the prefix', async () => {
    const storage = new MemoryStorage();
    await storage.persist({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) });
    await storage.snapshots.save({ index: 3, term: 1, membership }, new Uint8Array([9]));
    assert.deepEqual(
      (await storage.load()).entries.map((e) => e.index),
      [4, 5],
    );
    await storage.compact(2);
    assert.equal(await storage.log.firstIndex(), 3);
    assert.deepEqual(
      (await storage.log.range(1, 10)).map((e) => e.index),
      [3, 4, 5],
    );
  });

  it('keeps the two newest snapshots and serves chunks of them', async () => {
    const storage = new MemoryStorage();
    for (const index of [1, 2, 3]) {
      await storage.snapshots.save(
        { index, term: 1, membership },
        new Uint8Array([index, 0, 0, 0]),
      );
    }
    assert.equal((await storage.snapshots.latest())?.meta.index, 3);
    assert.deepEqual(await storage.snapshots.readChunk(2, 0, 2), new Uint8Array([2, 0]));
    await assert.rejects(storage.snapshots.readChunk(1, 0, 2), /no snapshot at index 1/);
  });

  it('a sink resumes where it stopped and refuses a gap', async () => {
    const storage = new MemoryStorage();
    const meta = { index: 7, term: 2, membership, size: 4 };
    const sink = await storage.snapshots.openSink(meta);
    await sink.write(0, new Uint8Array([1, 2]));
    const resumed = await storage.snapshots.openSink(meta);
    assert.equal(resumed.received, 2);
    await assert.rejects(resumed.write(3, new Uint8Array([4])), /expected 2/);
    await resumed.write(2, new Uint8Array([3, 4]));
    assert.equal((await resumed.finish()).index, 7);
    assert.deepEqual((await storage.snapshots.latest())?.data, new Uint8Array([1, 2, 3, 4]));
  });
});
