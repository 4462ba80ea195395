import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { checkedEntryProblem } from './entry-checksum';
import { capturingLogger, entries, indexes, membership, withTemp } from './helpers';

describe('SqliteStorage log and stable store', () => {
  it('returns persisted entries, hard state and membership after a reopen', async () => {
    await withTemp(async (t) => {
      const hardState = { term: 3, votedFor: 'a', commit: 4 };
      await t.storage.persist({ entries: entries(1, 5, 3), hardState, membership });
      const state = await (await t.reopen()).load();
      assert.deepEqual(indexes(state.entries), [1, 2, 3, 4, 5]);
      assert.deepEqual(state.entries.map(checkedEntryProblem), [null, null, null, null, null]);
      assert.deepEqual(state.hardState, hardState);
      assert.deepEqual(state.membership, membership);
      assert.equal(state.snapshot, null);
    });
  });

  it('replaces the conflicting suffix when a persist overlaps stored entries', async () => {
    await withTemp(async (t) => {
      await t.storage.persist({ entries: entries(1, 10, 1) });
      await t.storage.persist({ entries: entries(6, 7, 2) });
      const log = await t.storage.log.range(1, 100);
      assert.deepEqual(indexes(log), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(
        log.map((e) => e.term),
        [1, 1, 1, 1, 1, 2, 2],
      );
      assert.equal(await t.storage.log.lastIndex(), 7);
    });
  });

  it('truncates a suffix, deletes a prefix and reports the bounds', async () => {
    await withTemp(async (t) => {
      await t.storage.log.append(entries(1, 20, 1));
      await t.storage.log.truncateSuffix(16);
      await t.storage.log.deletePrefix(5);
      assert.equal(await t.storage.log.firstIndex(), 6);
      assert.equal(await t.storage.log.lastIndex(), 15);
      assert.deepEqual(indexes(await t.storage.log.range(4, 9)), [6, 7, 8]);
      await t.storage.log.truncateSuffix(1);
      assert.equal(await t.storage.log.firstIndex(), 0);
      assert.equal(await t.storage.log.lastIndex(), 0);
    });
  });

  it('loads only the entries after the snapshot once the log is compacted under it', async () => {
    await withTemp(async (t) => {
      await t.storage.persist({ entries: entries(1, 30, 2) });
      await t.storage.snapshots.save({ index: 20, term: 2, membership }, Buffer.from('fsm@20'));
      await t.storage.compact(20);
      const state = await (await t.reopen()).load();
      assert.deepEqual(state.snapshot, { index: 20, term: 2, membership, size: 6 });
      assert.deepEqual(indexes(state.entries), [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    });
  });

  it('refuses a persist that would leave a gap, without failing others of its group', async () => {
    await withTemp(async (t) => {
      await t.storage.persist({ entries: entries(1, 3, 1) });
      const gap = t.storage.persist({ entries: entries(5, 6, 1) });
      const fine = t.storage.persist({ entries: entries(4, 4, 1) });
      await assert.rejects(gap, /entries\[0\]\.index = 5 leaves a gap after last 3/);
      await fine;
      assert.equal(await t.storage.log.lastIndex(), 4);
    });
  });

  it('commits every persist made in one turn in one transaction', async () => {
    await withTemp(async (t) => {
      const before = t.storage.stats();
      const writes = Array.from({ length: 50 }, (_, i) =>
        t.storage.persist({
          entries: entries(i + 1, i + 1, 1),
          hardState: { term: 1, votedFor: 'a', commit: i },
        }),
      );
      await Promise.all(writes);
      const after = t.storage.stats();
      assert.equal(after.commits - before.commits, 1);
      assert.equal(after.writes - before.writes, 50);
      assert.equal(await t.storage.log.lastIndex(), 50);
      assert.deepEqual((await t.storage.load()).hardState, { term: 1, votedFor: 'a', commit: 49 });
    });
  });

  it('commits persists awaited one after another in separate transactions', async () => {
    await withTemp(async (t) => {
      const before = t.storage.stats().commits;
      for (let i = 1; i <= 3; i++) await t.storage.persist({ entries: entries(i, i, 1) });
      assert.equal(t.storage.stats().commits - before, 3);
    });
  });

  for (const [damage, sql, problem] of [
    ['a gap', 'DELETE FROM raft_log WHERE idx = 6', /gap in raft log: want index 6, found 7/],
    ['a torn row', 'UPDATE raft_log SET type = 99 WHERE idx = 6', /torn raft log row at index 6/],
    ['a text payload', "UPDATE raft_log SET data = 'x' WHERE idx = 6", /index 6: data is string/],
  ] as const) {
    it(`stops loading at ${damage} and logs it`, async () => {
      const { logger, lines } = capturingLogger();
      await withTemp(logger, async (t) => {
        await t.storage.persist({ entries: entries(1, 10, 1) });
        await t.storage.close();
        const db = new Database(join(t.dataDir, 'raft', 'raft.db'));
        db.exec(sql);
        db.close();
        const state = await (await t.reopen()).load();
        assert.deepEqual(indexes(state.entries), [1, 2, 3, 4, 5]);
        assert.ok(lines().some((l) => l.level === 50 && problem.test(String(l.msg))));
      });
    });
  }
});
