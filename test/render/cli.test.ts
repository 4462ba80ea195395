// `consulate render` as a process: -once and -dry exit codes and output, file:line on errors,
// -exec supervision (restart on change, signal forwarding, the child's exit code), SIGHUP.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { fileContents, putKey, startTestAgent, tempDir, type TestAgent } from './support';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [MAIN, 'render', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('consulate render (CLI)', () => {
  let agent: TestAgent;
  let addr: string;
  before(async () => {
    agent = await startTestAgent();
    addr = `${agent.host}:${agent.port}`;
    await putKey(agent, 'cli/name', 'consulate');
  });
  after(() => agent.stop());

  it('-once writes the file and exits 0; CONSUL_HTTP_ADDR names the agent', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.hbs'), 'name={{key "cli/name"}}\n');
    const { done } = startCli(
      ['-once', '-template', `${join(dir, 'in.hbs')}:${join(dir, 'out')}`],
      {
        CONSUL_HTTP_ADDR: addr,
      },
    );
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'name=consulate\n');
  });

  it('-once -dry prints the render and writes nothing', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.hbs'), 'name={{key "cli/name"}}\n');
    const out = join(dir, 'out');
    const result = await startCli([
      '-http-addr',
      addr,
      '-once',
      '-dry',
      '-template',
      `${join(dir, 'in.hbs')}:${out}`,
    ]).done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `> ${out}\nname=consulate\n`);
    assert.equal(existsSync(out), false);
  });

  it('-once exits 1 and names file:line for a template error, leaving the destination', async (t) => {
    const dir = tempDir(t);
    const source = join(dir, 'bad.hbs');
    writeFileSync(source, 'ok\n{{#if (key "cli/name")}}\nunclosed\n');
    writeFileSync(join(dir, 'out'), 'previous');
    const result = await startCli([
      '-http-addr',
      addr,
      '-once',
      '-template',
      `${source}:${join(dir, 'out')}`,
    ]).done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${source}:4: parse error`));
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'previous');
  });

  it('reads template blocks from a config dir in HCL and JSON', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'in.hbs'), '{{key "cli/name"}}');
    writeFileSync(
      join(dir, 'a.hcl'),
      `template {\n  source = "${join(dir, 'in.hbs')}"\n  destination = "${join(dir, 'a.out')}"\n  perms = 0640\n}\n`,
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({
        template: [{ contents: 'json:{{key "cli/name"}}', destination: join(dir, 'b.out') }],
      }),
    );
    const result = await startCli(['-http-addr', addr, '-once', '-config-dir', dir]).done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'a.out'), 'utf8'), 'consulate');
    assert.equal(readFileSync(join(dir, 'b.out'), 'utf8'), 'json:consulate');
  });

  it('-exec restarts the child on change, forwards SIGTERM and exits with its code', async (t) => {
    const dir = tempDir(t);
    await putKey(agent, 'cli/exec', 'one');
    const starts = join(dir, 'starts.log');
    const out = join(dir, 'env');
    const { child, done } = startCli([
      '-http-addr',
      addr,
      '-template',
      `${writeTemplate(dir, 'env.hbs', 'V={{key "cli/exec"}}\n')}:${out}`,
      '-exec',
      `echo "start $(cat ${out})" >> ${starts}; trap 'exit 7' TERM; while true; do sleep 0.05; done`,
      '-exec-kill-timeout',
      '5s',
    ]);
    t.after(() => child.kill('SIGKILL'));
    await fileContents(starts, (c) => c === 'start V=one\n');
    await putKey(agent, 'cli/exec', 'two');
    await fileContents(starts, (c) => c === 'start V=one\nstart V=two\n');
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 7, result.stderr);
  });

  it('SIGHUP reloads the renderer configuration', async (t) => {
    const dir = tempDir(t);
    const config = join(dir, 'render.hcl');
    const block = (name: string): string =>
      `template {\n  contents = "${name}={{key \\"cli/name\\"}}"\n  destination = "${join(dir, name)}"\n}\n`;
    writeFileSync(config, block('first'));
    const { child, done } = startCli(['-http-addr', addr, '-config-file', config]);
    t.after(() => child.kill('SIGKILL'));
    await fileContents(join(dir, 'first'), (c) => c === 'first=consulate');
    writeFileSync(config, block('first') + block('second'));
    child.kill('SIGHUP');
    await fileContents(join(dir, 'second'), (c) => c === 'second=consulate');
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  });
});

function writeTemplate(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}
