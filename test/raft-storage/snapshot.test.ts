import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturingLogger, membership, withTemp } from './helpers';

const snapshotDir = (dataDir: string): string => join(dataDir, 'raft', 'snapshots');

describe('SqliteStorage snapshots', () => {
  it('returns the newest saved snapshot and keeps only the two newest files', async () => {
    await withTemp(async (t) => {
      const datas = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
      for (const [i, data] of datas.entries()) {
        await t.storage.snapshots.save({ index: 10 * (i + 1), term: 1, membership }, data);
      }
      const latest = await (await t.reopen()).snapshots.latest();
      assert.deepEqual(latest?.meta, { index: 30, term: 1, membership, size: 3000 });
      assert.ok(latest !== null && Buffer.from(latest.data).equals(datas[2]));
      const files = (await readdir(snapshotDir(t.dataDir))).sort();
      assert.deepEqual(files, [
        'snapshot-0000000000000020-0000000000000001.snap',
        'snapshot-0000000000000030-0000000000000001.snap',
      ]);
    });
  });

  it('serves chunks of a stored snapshot up to its size', async () => {
    await withTemp(async (t) => {
      const data = randomBytes(5000);
      await t.storage.snapshots.save({ index: 7, term: 2, membership }, data);
      const chunk = await t.storage.snapshots.readChunk(7, 4096, 4096);
      assert.ok(Buffer.from(chunk).equals(data.subarray(4096)));
      await assert.rejects(
        t.storage.snapshots.readChunk(8, 0, 10),
        /no stored snapshot with index 8/,
      );
    });
  });

  it('refuses a snapshot whose data has a flipped byte and falls back to the older one', async () => {
    const { logger, lines } = capturingLogger();
    await withTemp(logger, async (t) => {
      const older = randomBytes(4000);
      await t.storage.snapshots.save({ index: 10, term: 1, membership }, older);
      await t.storage.snapshots.save({ index: 20, term: 1, membership }, randomBytes(4000));
      const newest = join(
        snapshotDir(t.dataDir),
        'snapshot-0000000000000020-0000000000000001.snap',
      );
      const bytes = await readFile(newest);
      bytes[1234] ^= 0x01;
      await writeFile(newest, bytes);

      const latest = await t.storage.snapshots.latest();
      assert.equal(latest?.meta.index, 10);
      assert.ok(latest !== null && Buffer.from(latest.data).equals(older));
      const refusal = lines().find((l) => l.file === newest);
      assert.ok(refusal !== undefined && refusal.level === 50);
      assert.match(String(refusal.reason), /sha256 mismatch/);
    });
  });

  it('refuses a snapshot cut short and returns null when none verifies', async () => {
    const { logger, lines } = capturingLogger();
    await withTemp(logger, async (t) => {
      await t.storage.snapshots.save({ index: 10, term: 1, membership }, randomBytes(4000));
      const file = join(snapshotDir(t.dataDir), 'snapshot-0000000000000010-0000000000000001.snap');
      await writeFile(file, (await readFile(file)).subarray(0, 3000));
      assert.equal(await t.storage.snapshots.latest(), null);
      assert.match(String(lines().find((l) => l.file === file)?.reason), /trailer/);
    });
  });

  it('receives a snapshot in chunks, accepting a retransmitted chunk once', async () => {
    await withTemp(async (t) => {
      const data = randomBytes(10_000);
      const meta = { index: 50, term: 3, membership, size: data.length };
      const sink = await t.storage.snapshots.openSink(meta);
      await sink.write(0, data.subarray(0, 4000));
      await sink.write(0, data.subarray(0, 4000));
      await sink.write(3000, data.subarray(3000, 8000));
      await assert.rejects(sink.write(9000, data.subarray(9000)), /skips ahead of received 8000/);
      await assert.rejects(sink.finish(), /received 8000 of 10000 bytes/);
      await sink.write(8000, data.subarray(8000));
      assert.deepEqual(await sink.finish(), meta);
      const latest = await t.storage.snapshots.latest();
      assert.deepEqual(latest?.meta, meta);
      assert.ok(latest !== null && Buffer.from(latest.data).equals(data));
    });
  });

  it('resumes a pending receive after a restart from the bytes already received', async () => {
    await withTemp(async (t) => {
      const data = randomBytes(9000);
      const meta = { index: 60, term: 4, membership, size: data.length };
      const first = await t.storage.snapshots.openSink(meta);
      await first.write(0, data.subarray(0, 5000));
      const resumed = await (await t.reopen()).snapshots.openSink(meta);
      assert.equal(resumed.received, 5000);
      await resumed.write(5000, data.subarray(5000));
      await resumed.finish();
      const latest = await t.storage.snapshots.latest();
      assert.ok(latest !== null && Buffer.from(latest.data).equals(data));
    });
  });

  it('starts over when a different snapshot is offered, and abort leaves nothing behind', async () => {
    await withTemp(async (t) => {
      const data = randomBytes(3000);
      const pending = await t.storage.snapshots.openSink({
        index: 70,
        term: 4,
        membership,
        size: 3000,
      });
      await pending.write(0, data.subarray(0, 1000));
      const newer = await t.storage.snapshots.openSink({
        index: 80,
        term: 5,
        membership,
        size: 3000,
      });
      assert.equal(newer.received, 0);
      await newer.abort();
      assert.deepEqual(await readdir(snapshotDir(t.dataDir)), []);
      assert.equal(await t.storage.snapshots.latest(), null);
    });
  });
});
