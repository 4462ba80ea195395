// The agent renders `template` blocks from its own config, as `consulate render` would.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { EPHEMERAL_PORTS, startAgent } from '../agent/spawn-agent';

async function eventually(what: string, ready: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

test('an agent with a template block rewrites its destination when the key changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-agent-template-'));
  const source = join(dir, 'greeting.tmpl');
  const destination = join(dir, 'greeting.txt');
  writeFileSync(source, 'greeting={{key "app/greeting"}}\n');
  const configFile = join(dir, 'agent.hcl');
  writeFileSync(
    configFile,
    `template {\n  source = "${source}"\n  destination = "${destination}"\n}\n`,
  );
  const agent = await startAgent(['-dev', '-config-file', configFile, ...EPHEMERAL_PORTS]);
  try {
    const put = async (value: string): Promise<void> => {
      const response = await fetch(`${agent.baseUrl}/v1/kv/app/greeting`, {
        method: 'PUT',
        body: value,
      });
      assert.equal((await response.text()).trim(), 'true');
    };
    // Nothing is written before the key exists: never a file from partial data.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(readOrEmpty(destination), '');
    await put('hello');
    await eventually('first render', () => readOrEmpty(destination) === 'greeting=hello\n');
    await put('bonjour');
    await eventually('re-render', () => readOrEmpty(destination) === 'greeting=bonjour\n');
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an agent refuses to start on a template block without a destination', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-agent-template-'));
  const configFile = join(dir, 'agent.json');
  writeFileSync(configFile, JSON.stringify({ template: [{ source: 'x.tmpl' }] }));
  try {
    await assert.rejects(
      startAgent(['-dev', '-config-file', configFile, ...EPHEMERAL_PORTS], 10_000),
      /destination/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
