// README.md's "Feature table" stays true: every `consulate …` it shows is a command whose -h
// lists each flag shown, every `GET /v1/…` answers 200 on a dev agent, every path exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { COMMANDS } from '../src/cli';
import { EPHEMERAL_PORTS, MAIN, startAgent, type RunningAgent } from './agent/spawn-agent';

const ROOT = join(__dirname, '..', '..');

function claims(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Feature table\n');
  assert.ok(start >= 0, 'README has a "Feature table" section');
  const end = readme.indexOf('\n## ', start + 1);
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter(
      (line) => line.startsWith('| ') && !line.startsWith('| Feature') && !line.startsWith('| ---'),
    );
  assert.ok(rows.length >= 10, `${rows.length} rows`);
  return rows.flatMap((row) => {
    const cell = row.split('|')[2];
    const items = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    assert.ok(items.length > 0, `row without anything to check: ${row}`);
    return items;
  });
}

let agent: RunningAgent | null = null;
after(async () => {
  await agent?.stop('SIGKILL');
});

test('every command, flag, endpoint and file in the README feature table is real', async () => {
  const items = claims();
  const commands = items.filter((item) => item.startsWith('consulate '));
  const endpoints = items.filter((item) => item.startsWith('GET '));
  const paths = items.filter((item) => !commands.includes(item) && !endpoints.includes(item));
  assert.ok(commands.length > 0 && endpoints.length > 0 && paths.length > 0);

  for (const item of commands) {
    const words = item.split(' ').slice(1);
    const command = words.filter((word) => !word.startsWith('-'));
    const flags = words.filter((word) => word.startsWith('-'));
    assert.ok(Object.hasOwn(COMMANDS, command[0]), `${command[0]} is a consulate command`);
    const help = spawnSync(process.execPath, [MAIN, ...command, '-h'], { encoding: 'utf8' });
    const text = `${help.stdout}${help.stderr}`;
    assert.match(text, new RegExp(`Usage: consulate ${command.join(' ')}\\b`), `${item}:\n${text}`);
    for (const flag of flags) {
      assert.match(text, new RegExp(`(^|\\s)${flag}[\\s=\\[]`), `${item}: ${flag} in -h`);
    }
  }

  for (const path of paths) {
    assert.ok(existsSync(join(ROOT, path)), `${path} exists`);
  }

  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS], 60_000);
  for (const item of endpoints) {
    const response = await fetch(`${agent.baseUrl}${item.slice(4)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200, item);
  }
});
