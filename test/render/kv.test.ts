// The renderer against a real agent, driven by KV: complete data before the first write, missing
// keys, quiescence, one watch per dependency, failures that leave the destination alone, and
// the agent going away.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { defaultResource, type RenderErrorEvent } from '../../src/render';
import {
  eventually,
  fileContents,
  inline,
  putKey,
  readOrNull,
  rendererFor,
  sleep,
  startTestAgent,
  tempDir,
  type TestAgent,
} from './support';

describe('renderer on KV data', () => {
  let agent: TestAgent;
  before(async () => {
    agent = await startTestAgent();
  });
  after(() => agent.stop());

  it('renders once from complete data and reports success', async (t) => {
    const dir = tempDir(t);
    await putKey(agent, 'once/a', 'alpha');
    await putKey(agent, 'once/b', 'beta');
    const dest = join(dir, 'out.txt');
    const renderer = rendererFor(
      t,
      agent,
      [inline(dest, 'a={{key "once/a"}}\n{{#each (tree "once")}}{{Key}}:{{Value}}\n{{/each}}')],
      { once: true },
    );
    const result = await renderer.runOnce();
    assert.deepEqual(result, { ok: true, errors: [] });
    assert.equal(readFileSync(dest, 'utf8'), 'a=alpha\na:alpha\nb:beta\n');
  });

  it('prints instead of writing in dry mode', async (t) => {
    const dir = tempDir(t);
    await putKey(agent, 'dry/x', 'value-x');
    const dest = join(dir, 'dry.txt');
    let printed = '';
    const renderer = rendererFor(t, agent, [inline(dest, 'x={{key "dry/x"}}')], {
      once: true,
      dry: true,
      dryOutput: { write: (text: string) => (printed += text) },
    });
    assert.equal((await renderer.runOnce()).ok, true);
    assert.equal(printed, `> ${dest}\nx=value-x\n`);
    assert.equal(existsSync(dest), false);
  });

  it('fails the resource on a missing key with error_on_missing_key', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'strict.txt');
    const renderer = rendererFor(
      t,
      agent,
      [inline(dest, 'line1\nv={{key "missing/strict"}}', { errorOnMissingKey: true })],
      { once: true },
    );
    const result = await renderer.runOnce();
    assert.equal(result.ok, false);
    assert.match(result.errors[0].error.message, /:2: key: key "missing\/strict" does not exist/);
    assert.equal(existsSync(dest), false);
  });

  it('holds the first write until a missing key exists', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'late.txt');
    const renderer = rendererFor(t, agent, [inline(dest, 'v={{key "missing/late"}}')]);
    renderer.start();
    await eventually(
      () => (renderer.pending()[dest] ?? []).includes('kv:missing/late (absent)'),
      'the template to wait for the absent key',
    );
    await sleep(200);
    assert.equal(existsSync(dest), false);
    await putKey(agent, 'missing/late', 'now');
    assert.equal(await fileContents(dest, () => true), 'v=now');
  });

  it('renders once for 50 rapid changes inside wait.min', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'quiet.txt');
    const log = join(dir, 'reloads.log');
    await putKey(agent, 'quiet/v', 'start');
    const renderer = rendererFor(t, agent, [
      inline(dest, '{{key "quiet/v"}}', {
        wait: { minMs: 400, maxMs: 20_000 },
        command: `echo reload >> ${log}`,
      }),
    ]);
    let writes = 0;
    renderer.on('rendered', (event) => {
      if (event.outcome === 'written') writes += 1;
    });
    renderer.start();
    await fileContents(dest, (c) => c === 'start');
    await eventually(() => writes === 1, 'the first write');
    for (let i = 1; i <= 50; i += 1) await putKey(agent, 'quiet/v', `change-${i}`);
    await fileContents(dest, (c) => c === 'change-50', 5000);
    await sleep(800);
    assert.equal(writes, 2);
    assert.equal(readFileSync(log, 'utf8'), 'reload\nreload\n');
  });

  it('opens one blocking query for 20 templates reading one key', async (t) => {
    const dir = tempDir(t);
    await putKey(agent, 'shared/key', 'v1');
    const templates = Array.from({ length: 20 }, (_, i) =>
      inline(join(dir, `t${i}.txt`), `{{key "shared/key"}}-${i}`),
    );
    const renderer = rendererFor(t, agent, templates);
    renderer.start();
    for (let i = 0; i < 20; i += 1)
      await fileContents(join(dir, `t${i}.txt`), (c) => c === `v1-${i}`);
    assert.deepEqual(renderer.watchedDependencies(), ['kv:shared/key']);
    await eventually(() => agent.agent.store.watchStats().waiters === 1, 'one blocking query');
    for (let probe = 0; probe < 10; probe += 1) {
      await sleep(20);
      assert.equal(agent.agent.store.watchStats().waiters, 1);
    }
    await putKey(agent, 'shared/key', 'v2');
    for (let i = 0; i < 20; i += 1)
      await fileContents(join(dir, `t${i}.txt`), (c) => c === `v2-${i}`);
    await eventually(
      () => agent.agent.store.watchStats().waiters === 1,
      'one blocking query again',
    );
  });

  it('re-renders only the templates whose dependencies changed', async (t) => {
    const dir = tempDir(t);
    await putKey(agent, 'only/a', 'a1');
    await putKey(agent, 'only/b', 'b1');
    const renderer = rendererFor(t, agent, [
      inline(join(dir, 'a1'), '{{key "only/a"}}'),
      inline(join(dir, 'a2'), '{{key "only/a"}}!'),
      inline(join(dir, 'b'), '{{key "only/b"}}'),
    ]);
    const renders: string[] = [];
    renderer.on('rendered', (event) => renders.push(event.id));
    renderer.start();
    await fileContents(join(dir, 'b'), (c) => c === 'b1');
    await eventually(() => renders.length === 3, 'the first renders');
    renders.length = 0;
    await putKey(agent, 'only/a', 'a2');
    await fileContents(join(dir, 'a2'), (c) => c === 'a2!');
    await fileContents(join(dir, 'a1'), (c) => c === 'a2');
    await sleep(200);
    assert.deepEqual(renders.sort(), [join(dir, 'a1'), join(dir, 'a2')]);
  });

  it('keeps the destination and reports file:line when the template gets a syntax error', async (t) => {
    const dir = tempDir(t);
    const source = join(dir, 'site.hbs');
    const dest = join(dir, 'site.conf');
    await putKey(agent, 'syntax/v', 'good');
    writeFileSync(source, 'value {{key "syntax/v"}}\n');
    const renderer = rendererFor(t, agent, [defaultResource({ source, destination: dest })]);
    const errors: RenderErrorEvent[] = [];
    renderer.on('error', (event) => errors.push(event));
    renderer.start();
    await fileContents(dest, (c) => c === 'value good\n');
    writeFileSync(source, 'value {{key "syntax/v"}}\nline two\n{{#each (tree "x")}}\n');
    await eventually(() => errors.length > 0, 'the syntax error to be reported');
    assert.match(errors[0].error.message, new RegExp(`^${source}:4: parse error`));
    await putKey(agent, 'syntax/v', 'changed');
    await sleep(200);
    assert.equal(readFileSync(dest, 'utf8'), 'value good\n');
  });

  it('keeps the destination when the check command rejects the rendered file', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'checked.conf');
    await putKey(agent, 'check/v', 'valid');
    const renderer = rendererFor(t, agent, [
      inline(dest, 'setting={{key "check/v"}}\n', {
        check:
          'grep -q "setting=valid" {{.src}} || { echo "invalid setting in {{.src}}"; exit 3; }',
        command: `touch ${join(dir, 'reloaded')}`,
      }),
    ]);
    const errors: RenderErrorEvent[] = [];
    renderer.on('error', (event) => errors.push(event));
    renderer.start();
    await fileContents(dest, (c) => c === 'setting=valid\n');
    await eventually(() => existsSync(join(dir, 'reloaded')), 'the reload command');
    const reloadedAt = statSync(join(dir, 'reloaded')).mtimeMs;
    await putKey(agent, 'check/v', 'broken');
    await eventually(() => errors.length > 0, 'the check failure');
    assert.match(
      errors[0].error.message,
      /check command .* exited with code 3: invalid setting in/,
    );
    assert.equal(readFileSync(dest, 'utf8'), 'setting=valid\n');
    assert.deepEqual(readdirSync(dir).sort(), ['checked.conf', 'reloaded']);
    assert.equal(statSync(join(dir, 'reloaded')).mtimeMs, reloadedAt);
  });

  it('retries a failed reload command even though the file is already in place', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'owed.conf');
    const allow = join(dir, 'allow');
    const reloaded = join(dir, 'reloaded');
    await putKey(agent, 'owed/v', 'x');
    const renderer = rendererFor(t, agent, [
      inline(dest, '{{key "owed/v"}}', { command: `test -f ${allow} && touch ${reloaded}` }),
    ]);
    const errors: RenderErrorEvent[] = [];
    renderer.on('error', (event) => errors.push(event));
    renderer.start();
    await eventually(() => errors.length === 1, 'the reload failure');
    assert.match(errors[0].error.message, /^reload command .* exited with code 1/);
    assert.equal(readFileSync(dest, 'utf8'), 'x');
    writeFileSync(allow, '');
    await eventually(() => existsSync(reloaded), 'the retried reload', 5000);
  });

  it('keeps a backup, applies perms and rewrites only when the bytes differ', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'app.env');
    writeFileSync(dest, 'OLD=1\n');
    await putKey(agent, 'perm/v', 'one');
    const renderer = rendererFor(t, agent, [
      inline(dest, 'V={{key "perm/v"}}\n{{#if (keyExists "perm/noise")}}{{/if}}', {
        perms: 0o600,
        backup: true,
      }),
    ]);
    const outcomes: string[] = [];
    renderer.on('rendered', (event) => outcomes.push(event.outcome));
    renderer.start();
    await fileContents(dest, (c) => c === 'V=one\n');
    assert.equal(statSync(dest).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${dest}.bak`, 'utf8'), 'OLD=1\n');
    await putKey(agent, 'perm/noise', 'changes nothing in the output');
    await eventually(() => outcomes.length === 2, 'the second render');
    assert.deepEqual(outcomes, ['written', 'unchanged']);
  });
});

describe('renderer when the agent goes away', () => {
  it('keeps the last good file, retries, and renders again from a new agent', async (t) => {
    const dir = tempDir(t);
    const dest = join(dir, 'resilient.txt');
    let agent = await startTestAgent();
    const port = agent.port;
    t.after(() => agent.stop());
    await putKey(agent, 'r/v', 'first');
    await putKey(agent, 'r/other', 'padding to raise the index');
    await putKey(agent, 'r/other', 'more padding');
    const renderer = rendererFor(t, agent, [inline(dest, '{{key "r/v"}}')], {
      watcher: { retryBaseMs: 20, retryMaxMs: 100 },
    });
    let failures = 0;
    renderer.on('dependency-error', () => (failures += 1));
    renderer.start();
    await fileContents(dest, (c) => c === 'first');
    await agent.stop();
    await eventually(() => failures >= 3, 'retries against the stopped agent');
    assert.equal(readOrNull(dest), 'first');
    // A fresh dev agent on the same port: empty store, lower index (the client resets).
    agent = await startTestAgent(['-http-port', String(port)]);
    await putKey(agent, 'r/v', 'second');
    assert.equal(await fileContents(dest, (c) => c === 'second', 8000), 'second');
  });
});
