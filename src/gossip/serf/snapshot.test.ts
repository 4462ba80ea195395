import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyringFile, writeKeyringFile } from './keyring-file';
import type { SerfMember } from './members';
import { replaySnapshot, Snapshotter } from './snapshot';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'serf-snap-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const member = (name: string, addr = '127.0.0.3'): SerfMember => ({
  name,
  addr,
  port: 7946,
  tags: {},
  status: 'alive',
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 4,
});

test('replay follows alive / not-alive lines and keeps the last clocks', () => {
  const st = replaySnapshot(
    'alive: a 10.0.0.1:7946\nalive: b c 10.0.0.2:7946\nclock: 5\nnot-alive: a\nevent-clock: 9\nquery-clock: 2\n# note\ncoordinate: x\n',
    false,
    () => assert.fail('no warning expected'),
  );
  assert.deepEqual([...st.aliveNodes], [['b c', '10.0.0.2:7946']]);
  assert.deepEqual([st.lastClock, st.lastEventClock, st.lastQueryClock], [5, 9, 2]);
});

test('a leave line forgets the alive set and clocks unless rejoin-after-leave', () => {
  const text = 'alive: a 10.0.0.1:7946\nclock: 5\nleave\n';
  assert.equal(replaySnapshot(text, false, () => {}).aliveNodes.size, 0);
  assert.equal(replaySnapshot(text, false, () => {}).lastClock, 0);
  assert.equal(replaySnapshot(text, true, () => {}).aliveNodes.size, 1);
});

test('unknown and malformed lines are reported and skipped; a cut last line is dropped', () => {
  const warnings: string[] = [];
  const st = replaySnapshot(
    'bogus\nclock: x\nalive: nospace\nclock: 3\nalive: cut 1.2.3.4:5',
    false,
    (w) => warnings.push(w),
  );
  assert.equal(warnings.length, 3);
  assert.equal(st.lastClock, 3);
  assert.equal(st.aliveNodes.size, 0);
});

test('the snapshotter writes serf’s lines and a restart replays them', () => {
  withDir((dir) => {
    const path = join(dir, 'local.snapshot');
    const s = Snapshotter.open(path, false, () => {});
    s.recordMemberEvent({ type: 'member-join', members: [member('a')] }, 4, 0);
    s.recordMemberEvent({ type: 'member-join', members: [member('b')] }, 4, 10);
    s.recordMemberEvent({ type: 'member-failed', members: [member('b')] }, 6, 20);
    s.recordUserEvent(7, 30);
    s.recordQuery(3, 40);
    s.close(6, 50);
    assert.equal(
      readFileSync(path, 'utf8'),
      'alive: a 127.0.0.3:7946\nclock: 3\nalive: b 127.0.0.3:7946\nnot-alive: b\nclock: 5\nevent-clock: 7\nquery-clock: 3\n',
    );
    const again = Snapshotter.open(path, false, () => {});
    assert.deepEqual(again.aliveNodes(), [{ name: 'a', addr: '127.0.0.3:7946' }]);
    assert.equal(again.lastClock(), 5);
    assert.equal(again.lastEventClock(), 7);
    again.leave(60);
    again.close(6, 70);
    assert.equal(Snapshotter.open(path, false, () => {}).aliveNodes().length, 0);
    assert.equal(Snapshotter.open(path, true, () => {}).aliveNodes().length, 1);
  });
});

test('the snapshot is compacted to the alive set and clocks once it outgrows its limit', () => {
  withDir((dir) => {
    const path = join(dir, 'snap');
    const s = Snapshotter.open(path, false, () => {}, 200);
    for (let i = 0; i < 20; i++) {
      s.recordMemberEvent({ type: 'member-join', members: [member(`n${i}`)] }, 2, i * 1000);
      s.recordMemberEvent({ type: 'member-failed', members: [member(`n${i}`)] }, 2, i * 1000 + 1);
    }
    s.recordMemberEvent({ type: 'member-join', members: [member('keep')] }, 2, 99_000);
    s.close(2, 100_000);
    const text = readFileSync(path, 'utf8');
    assert.ok(statSync(path).size < 400, `compacted, got ${text.length} bytes`);
    assert.deepEqual(
      Snapshotter.open(path, false, () => {})
        .aliveNodes()
        .map((n) => n.name),
      ['keep'],
    );
  });
});

test('the keyring file is a JSON array of base64 keys, primary first, mode 0600', () => {
  withDir((dir) => {
    const path = join(dir, 'keyring');
    const k1 = new Uint8Array(32).fill(1);
    const k2 = new Uint8Array(16).fill(2);
    writeKeyringFile(path, [k1, k2]);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), [
      Buffer.from(k1).toString('base64'),
      Buffer.from(k2).toString('base64'),
    ]);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readKeyringFile(path), [k1, k2]);
  });
});

test('a keyring file with a bad key is refused naming the problem', () => {
  withDir((dir) => {
    const path = join(dir, 'keyring');
    writeFileSync(path, JSON.stringify([Buffer.alloc(10).toString('base64')]));
    assert.throws(() => readKeyringFile(path), /key size must be 16, 24 or 32 bytes/);
    writeFileSync(path, '["not*base64"]');
    assert.throws(() => readKeyringFile(path), /illegal base64/);
    writeFileSync(path, '{}');
    assert.throws(() => readKeyringFile(path), /JSON array/);
  });
});
