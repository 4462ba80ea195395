import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
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

  it('reads ranges across rows and splits a large persist into bounded rows', async () => {
    await withTemp(async (t) => {
      await t.storage.persist({ entries: entries(1, 3, 1) });
      await t.storage.persist({ entries: entries(4, 9, 1) });
      const big = entries(10, 700, 2).map((e) => ({ ...e, data: Buffer.alloc(1000, e.index) }));
      await t.storage.persist({ entries: big });
      assert.deepEqual(indexes(await t.storage.log.range(2, 12)), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual(indexes(await t.storage.log.range(500, 502)), [500, 501]);
      assert.deepEqual(await t.storage.log.range(5, 5), []);
      await t.storage.close();
      const rows = rowsOf(t.dataDir);
      assert.ok(rows.length > 3, `${rows.length} rows for 700 KB of entries`);
      const state = await (await t.reopen()).load();
      assert.deepEqual(indexes(state.entries), indexes(entries(1, 700, 1)));
      assert.ok(Buffer.from(state.entries[600].data).equals(Buffer.alloc(1000, 601)));
    });
  });

  it('cuts through rows on truncate and compaction, keeping the entries on either side', async () => {
    await withTemp(async (t) => {
      for (let lo = 1; lo <= 40; lo += 10)
        await t.storage.persist({ entries: entries(lo, lo + 9, 1) });
      await t.storage.log.truncateSuffix(35);
      await t.storage.compact(14);
      await t.storage.persist({ entries: entries(30, 31, 2) });
      await t.storage.close();
      assert.deepEqual(rowsOf(t.dataDir), [
        [15, 20],
        [21, 29],
        [30, 31],
      ]);
      const state = await (await t.reopen()).load();
      assert.deepEqual(indexes(state.entries), indexes(entries(15, 31, 1)));
      assert.deepEqual(
        state.entries.map(checkedEntryProblem),
        state.entries.map(() => null),
      );
      assert.equal(await t.storage.log.firstIndex(), 15);
      assert.equal(await t.storage.log.lastIndex(), 31);
    });
  });

  for (const [damage, harm, problem] of [
    ['a gap', deleteRow, /gap in raft log: want index 6, found 8/],
    ['a flipped byte', flipByte, /torn raft log row at index 6: checksum mismatch/],
    ['a bad entry type', rewriteType, /torn raft log row at index 6: type = 99/],
    ['a text payload', textPayload, /torn raft log row at index 6: entries is string/],
  ] as const) {
    it(`stops loading at ${damage} and logs it`, async () => {
      const { logger, lines } = capturingLogger();
      await withTemp(logger, async (t) => {
        await t.storage.persist({ entries: entries(1, 5, 1) });
        await t.storage.persist({ entries: entries(6, 7, 1) });
        await t.storage.persist({ entries: entries(8, 10, 1) });
        await t.storage.close();
        const db = new Database(raftDb(t.dataDir));
        harm(db);
        db.close();
        const state = await (await t.reopen()).load();
        assert.deepEqual(indexes(state.entries), [1, 2, 3, 4, 5]);
        assert.ok(lines().some((l) => l.level === 50 && problem.test(String(l.msg))));
      });
    });
  }
});

const raftDb = (dataDir: string): string => join(dataDir, 'raft', 'raft.db');

/** [first_index, last_index] of every row of raft_log_runs, in order (storage closed: raft.db is locked exclusively). */
function rowsOf(dataDir: string): [number, number][] {
  const db = new Database(raftDb(dataDir), { readonly: true });
  try {
    return db
      .prepare<[], [number, number]>(
        'SELECT first_index, last_index FROM raft_log_runs ORDER BY first_index',
      )
      .raw()
      .all();
  } finally {
    db.close();
  }
}

function deleteRow(db: Database.Database): void {
  db.exec('DELETE FROM raft_log_runs WHERE first_index = 6');
}

function textPayload(db: Database.Database): void {
  db.exec("UPDATE raft_log_runs SET entries = 'x' WHERE first_index = 6");
}

/** Storage damage: one bit of the row's blob flips, its checksum stays. */
function flipByte(db: Database.Database): void {
  rewriteRow(db, (blob) => {
    blob[40] ^= 0x01;
    return false;
  });
}

/** A writer bug rather than damage: a well-checksummed row holding an unknown entry type. */
function rewriteType(db: Database.Database): void {
  rewriteRow(db, (blob) => {
    blob[1 + 8 + 8] = 99;
    return true;
  });
}

/** Edits row 6's blob in place; `edit` says whether to recompute the checksum. */
function rewriteRow(db: Database.Database, edit: (blob: Buffer) => boolean): void {
  const select = db.prepare<[], Buffer>('SELECT entries FROM raft_log_runs WHERE first_index = 6');
  const blob = select.pluck().get();
  assert.ok(blob !== undefined);
  const rechecksum = edit(blob);
  db.prepare(
    'UPDATE raft_log_runs SET entries = ?, checksum = coalesce(?, checksum) WHERE first_index = 6',
  ).run(blob, rechecksum ? crc32(blob) : null);
}
