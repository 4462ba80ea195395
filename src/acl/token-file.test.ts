import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentTokenFile, TOKENS_FILE } from './token-file';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-tokens-'));
  dirs.push(dir);
  return dir;
}

test('no file yet: nothing persisted', () => {
  assert.deepEqual(new AgentTokenFile(dataDir()).load(), {});
});

test("tokens are saved as Consul's acl-tokens.json, owner-only, empty ones left out", () => {
  const dir = dataDir();
  const file = new AgentTokenFile(dir);
  file.save(
    new Map([
      ['default', 'd'],
      ['agent', 'a'],
      ['agent_recovery', ''],
      ['dns', 'not persisted, as in Consul'],
    ]),
  );
  const path = join(dir, TOKENS_FILE);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { default: 'd', agent: 'a' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(file.load(), { default: 'd', agent: 'a' });
});

test("Consul's older agent_master key is read as agent_recovery", () => {
  const dir = dataDir();
  writeFileSync(join(dir, TOKENS_FILE), JSON.stringify({ agent_master: 'm', replication: 'r' }));
  assert.deepEqual(new AgentTokenFile(dir).load(), { agent_recovery: 'm', replication: 'r' });
});

test('a file that does not decode is an error naming the file', () => {
  const dir = dataDir();
  writeFileSync(join(dir, TOKENS_FILE), '{not json');
  assert.throws(
    () => new AgentTokenFile(dir).load(),
    /failed to decode tokens file ".*acl-tokens\.json"/,
  );
});
