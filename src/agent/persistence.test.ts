import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { AgentPersistence } from './persistence';

function dataDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-persist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const statePath = (dir: string, checkId: string): string =>
  join(dir, 'checks', 'state', createHash('sha256').update(checkId).digest('hex'));

describe('AgentPersistence check state', () => {
  it('writes Consul persistedCheckState JSON under checks/state, named by the SHA-256 of the ID', (t) => {
    const dir = dataDir(t);
    const now = 1_700_000_000_500;
    new AgentPersistence(dir).saveCheckState(
      'service:web',
      { status: 'passing', output: 'ok' },
      60_000,
      now,
    );
    assert.deepEqual(JSON.parse(readFileSync(statePath(dir, 'service:web'), 'utf8')), {
      CheckID: 'service:web',
      Output: 'ok',
      Status: 'passing',
      Expires: 1_700_000_060,
    });
  });

  it('restores a state until the second it expires, then deletes it', (t) => {
    const dir = dataDir(t);
    const persistence = new AgentPersistence(dir);
    const now = 1_700_000_000_000;
    persistence.saveCheckState('ttl', { status: 'warning', output: 'slow' }, 10_000, now);
    const warn = (message: string): never => assert.fail(message);
    assert.deepEqual(persistence.loadCheckState('ttl', now + 9_999, warn), {
      status: 'warning',
      output: 'slow',
    });
    assert.equal(persistence.loadCheckState('ttl', now + 10_000, warn), null);
    assert.equal(existsSync(statePath(dir, 'ttl')), false);
  });

  it('deletes an unreadable state and says so', (t) => {
    const dir = dataDir(t);
    const persistence = new AgentPersistence(dir);
    writeFileSync(statePath(dir, 'ttl'), '{"CheckID":"ttl","Status":"bogus"}');
    const warnings: string[] = [];
    assert.equal(
      persistence.loadCheckState('ttl', 0, (m) => warnings.push(m)),
      null,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /failed decoding check state/);
    assert.equal(existsSync(statePath(dir, 'ttl')), false);
  });

  it('has no state for a check that never reported', (t) => {
    const persistence = new AgentPersistence(dataDir(t));
    assert.equal(
      persistence.loadCheckState('nope', 0, () => assert.fail('no warning expected')),
      null,
    );
  });
});
