import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runScriptCheck } from '../../src/agent/checks';

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

test('exit 0 is passing with the combined output', async () => {
  const result = await runScriptCheck({ args: sh('echo out; echo err >&2; exit 0') });
  assert.equal(result.status, 'passing');
  assert.equal(result.output, 'out\nerr\n');
});

test('exit 1 is warning', async () => {
  const result = await runScriptCheck({ args: sh('echo degraded; exit 1') });
  assert.deepEqual(result, { status: 'warning', output: 'degraded\n' });
});

test('exit 2 is critical', async () => {
  const result = await runScriptCheck({ args: sh('echo down; exit 2') });
  assert.deepEqual(result, { status: 'critical', output: 'down\n' });
});

test('arguments reach the program verbatim, without a shell', async () => {
  const result = await runScriptCheck({ args: ['/bin/echo', '$HOME', 'a b', '*'] });
  assert.deepEqual(result, { status: 'passing', output: '$HOME a b *\n' });
});

test('a missing program is critical', async () => {
  const result = await runScriptCheck({ args: ['/nonexistent/check-program'] });
  assert.equal(result.status, 'critical');
  assert.match(result.output, /ENOENT/);
});

test('long output keeps its tail with a Captured preamble', async () => {
  const result = await runScriptCheck({
    args: sh('i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done'),
    outputMaxSize: 20,
  });
  assert.equal(result.status, 'passing');
  const total = Array.from({ length: 100 }, (_, i) => `line${i}\n`).join('').length;
  assert.equal(
    result.output,
    `Captured 20 of ${total} bytes\n...\n${'ine97\nline98\nline99\n'.slice(-20)}`,
  );
});

test('a script past its timeout is killed with its whole process group and is critical', async () => {
  const marker = `consulate-check-sleeper-${process.pid}-${Date.now()}`;
  const started = performance.now();
  const result = await runScriptCheck({
    // The child shell starts a grandchild sleep; both must die.
    args: sh(`echo started; sleep 30 & sleep 31; echo ${marker}`),
    timeoutMs: 400,
  });
  const elapsed = performance.now() - started;
  assert.equal(result.status, 'critical');
  assert.equal(result.output, 'Timed out (400ms) running check\n\nstarted\n');
  assert.ok(elapsed >= 390 && elapsed < 3000, `took ${elapsed}ms`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ps = execFileSync('ps', ['-eo', 'args']).toString();
  assert.ok(!/sleep 3[01]$/m.test(ps), 'no sleeper survived');
});

test('the default timeout message is in Go duration format', async () => {
  const result = await runScriptCheck({ args: sh('sleep 5'), timeoutMs: 1500 });
  assert.deepEqual(result, { status: 'critical', output: 'Timed out (1.5s) running check' });
});
