// `consulate watch` and the agent's `watches` stanza against a real agent process: each watch
// type's data, handlers (script with JSON on stdin and CONSUL_INDEX, http with X-Consul-Index)
// firing on the first result and on changes only, and a SIGHUP reload that does not re-fire
// unchanged watches.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  EPHEMERAL_PORTS,
  httpCall,
  MAIN,
  runCli,
  startAgent,
  type RunningAgent,
} from '../agent/spawn-agent';

let agent: RunningAgent;
let dir: string;
let configFile: string;
let hookServer: Server;
const hookCalls: { index: string | undefined; body: string; header: string | undefined }[] = [];

const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { env: { CONSUL_HTTP_ADDR: agent.address } });

function recorder(name: string): string[] {
  const log = join(dir, `${name}.log`);
  // The index line is written last, so counting index lines counts completed runs.
  return ['/bin/sh', '-c', `{ cat; echo "index=$CONSUL_INDEX"; } >> ${log}`];
}

function fired(name: string): string[] {
  const log = join(dir, `${name}.log`);
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('index='));
}

function writeConfig(watches: unknown[]): void {
  writeFileSync(configFile, JSON.stringify({ watches }));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-watch-'));
  configFile = join(dir, 'watches.json');
  hookServer = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      hookCalls.push({
        index: request.headers['x-consul-index'] as string | undefined,
        body,
        header: request.headers['x-team'] as string | undefined,
      });
      response.end('ok');
    });
  });
  hookServer.listen(0, '127.0.0.1');
  await once(hookServer, 'listening');
  const hookPort = (hookServer.address() as AddressInfo).port;
  writeConfig([
    { type: 'key', key: 'cfg/watched', args: recorder('cfg-key') },
    {
      type: 'keyprefix',
      prefix: 'cfg/hook/',
      handler_type: 'http',
      http_handler_config: {
        path: `http://127.0.0.1:${hookPort}/hook`,
        method: 'POST',
        header: { 'X-Team': ['ops'] },
        timeout: '5s',
      },
    },
  ]);
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS, '-config-file', configFile]);
});

after(async () => {
  await agent.stop('SIGTERM');
  hookServer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: string): Promise<string> {
  return (await httpCall(agent.baseUrl, method, path, body)).text;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('consulate watch without a handler prints the current result once', () => {
  test('key: the entry object; keyprefix: the entries', async () => {
    await api('PUT', '/v1/kv/cli/w/a?flags=18446744073709551615', 'A');
    await api('PUT', '/v1/kv/cli/w/b', 'B');
    const key = cli(['watch', '-type', 'key', '-key', 'cli/w/a']);
    assert.equal(key.status, 0, key.stderr);
    assert.match(key.stdout, /^\{\n {4}"LockIndex": 0,\n {4}"Key": "cli\/w\/a",\n/);
    assert.match(key.stdout, /"Flags": 18446744073709551615,/);
    const prefix = cli(['watch', '-type', 'keyprefix', '-prefix', 'cli/w/']);
    assert.deepEqual(
      (JSON.parse(prefix.stdout) as { Key: string }[]).map((entry) => entry.Key),
      ['cli/w/a', 'cli/w/b'],
    );
    const missing = cli(['watch', '-type', 'key', '-key', 'cli/w/none']);
    assert.equal(missing.stdout, 'null\n');
  });

  test('services, nodes, service and checks', async () => {
    const self = JSON.parse(await api('GET', '/v1/agent/self')) as { Config: { NodeName: string } };
    const registered = await api(
      'PUT',
      '/v1/agent/service/register',
      JSON.stringify({ Name: 'web', ID: 'web-1', Tags: ['blue'], Check: { TTL: '30s' } }),
    );
    assert.equal(registered, '');
    await waitFor(
      async () => (await api('GET', '/v1/catalog/services')).includes('web'),
      'anti-entropy to sync web',
    );
    const services = JSON.parse(cli(['watch', '-type', 'services']).stdout) as object;
    assert.deepEqual(Object.keys(services).sort(), ['consul', 'web']);
    const nodes = JSON.parse(cli(['watch', '-type', 'nodes']).stdout) as { Node: string }[];
    assert.deepEqual(
      nodes.map((node) => node.Node),
      [self.Config.NodeName],
    );
    const service = JSON.parse(
      cli(['watch', '-type', 'service', '-service', 'web', '-tag', 'blue']).stdout,
    ) as { Service: { ID: string } }[];
    assert.deepEqual(
      service.map((entry) => entry.Service.ID),
      ['web-1'],
    );
    // The TTL check starts critical: passing-only leaves nothing.
    assert.equal(
      cli(['watch', '-type', 'service', '-service', 'web', '-passingonly']).stdout,
      '[]\n',
    );
    const critical = JSON.parse(cli(['watch', '-type', 'checks', '-state', 'critical']).stdout) as {
      ServiceID: string;
    }[];
    assert.ok(critical.some((check) => check.ServiceID === 'web-1'));
    const byService = JSON.parse(cli(['watch', '-type', 'checks', '-service', 'web']).stdout) as {
      ServiceID: string;
    }[];
    assert.deepEqual(
      byService.map((check) => check.ServiceID),
      ['web-1'],
    );
  });

  test('event: the events fired with that name', async () => {
    await api('PUT', '/v1/event/fire/deploy', 'v1');
    await api('PUT', '/v1/event/fire/other', 'x');
    const run = cli(['watch', '-type', 'event', '-name', 'deploy']);
    assert.equal(run.status, 0, run.stderr);
    const events = JSON.parse(run.stdout) as { Name: string; Payload: string }[];
    assert.deepEqual(
      events.map((event) => [event.Name, Buffer.from(event.Payload, 'base64').toString()]),
      [['deploy', 'v1']],
    );
  });

  test('refuses a missing type, an unknown type or a missing parameter', () => {
    assert.match(cli(['watch']).stderr, /Must specify watch type/);
    assert.match(cli(['watch', '-type', 'bogus']).stderr, /Unsupported watch type: bogus/);
    const missing = cli(['watch', '-type', 'key']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Must specify a single key to watch/);
  });
});

describe('consulate watch with a handler', () => {
  test('runs it on the first result and on each change, with the JSON on stdin', async () => {
    const log = join(dir, 'cli-handler.log');
    await api('PUT', '/v1/kv/cli/h/k', 'one');
    const watcher: ChildProcess = spawn(
      process.execPath,
      [
        MAIN,
        'watch',
        '-type',
        'key',
        '-key',
        'cli/h/k',
        `{ echo "index=$CONSUL_INDEX"; cat; } >> ${log}`,
      ],
      { env: { ...process.env, CONSUL_HTTP_ADDR: agent.address }, stdio: 'ignore' },
    );
    const runs = (): string[] =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('{'))
        : [];
    await waitFor(() => runs().length === 1, 'the first run');
    const first = JSON.parse(runs()[0]) as { Value: string; ModifyIndex: number };
    assert.equal(Buffer.from(first.Value, 'base64').toString(), 'one');
    assert.match(readFileSync(log, 'utf8'), new RegExp(`^index=${first.ModifyIndex}\n`));
    // Writes elsewhere do not fire it; a change to the key does.
    await api('PUT', '/v1/kv/cli/h/other', 'x');
    await api('PUT', '/v1/kv/cli/h/k', 'two');
    await waitFor(() => runs().length === 2, 'the second run');
    const second = JSON.parse(runs()[1]) as { Value: string };
    assert.equal(Buffer.from(second.Value, 'base64').toString(), 'two');
    watcher.kill('SIGTERM');
    const [code] = (await once(watcher, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(runs().length, 2);
  });

  test('an event watch hands over only the events not yet seen', async () => {
    const log = join(dir, 'events.log');
    await api('PUT', '/v1/event/fire/release', 'first');
    const watcher: ChildProcess = spawn(
      process.execPath,
      [MAIN, 'watch', '-type', 'event', '-name', 'release', `cat >> ${log}`],
      { env: { ...process.env, CONSUL_HTTP_ADDR: agent.address }, stdio: 'ignore' },
    );
    const runs = (): { Payload: string }[][] =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as { Payload: string }[])
        : [];
    const payloads = (run: { Payload: string }[]): string[] =>
      run.map((event) => Buffer.from(event.Payload, 'base64').toString());
    await waitFor(() => runs().length === 1, 'the first run');
    await api('PUT', '/v1/event/fire/release', 'second');
    await waitFor(() => runs().length === 2, 'the run for the new event');
    assert.deepEqual(runs().map(payloads), [['first'], ['second']]);
    watcher.kill('SIGTERM');
    await once(watcher, 'exit');
  });

  test('a failing handler ends the watch with exit 1', () => {
    const run = cli(['watch', '-type', 'nodes', 'exit 7']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Error executing handler: exit status 7/);
  });
});

describe('the agent watches stanza', () => {
  test('a script watch fires on the first result and on changes', async () => {
    await waitFor(() => fired('cfg-key').length === 1, 'the first run of the config watch');
    await api('PUT', '/v1/kv/cfg/watched', 'v1');
    await waitFor(() => fired('cfg-key').length === 2, 'the run after the change');
    const data = readFileSync(join(dir, 'cfg-key.log'), 'utf8');
    assert.match(data, /^null\nindex=\d+\n/);
    assert.match(data, /"Key":"cfg\/watched"/);
  });

  test('an http watch posts the JSON with X-Consul-Index and its headers', async () => {
    await api('PUT', '/v1/kv/cfg/hook/a', 'x');
    await waitFor(() => hookCalls.some((call) => call.body.includes('cfg/hook/a')), 'the hook');
    const call = hookCalls.find((c) => c.body.includes('cfg/hook/a'));
    assert.ok(call?.index !== undefined && Number(call.index) > 0);
    assert.equal(call?.header, 'ops');
    assert.equal((JSON.parse(call?.body ?? '') as { Key: string }[])[0].Key, 'cfg/hook/a');
  });

  test('SIGHUP reload starts new watches and does not re-fire unchanged ones', async () => {
    const before = fired('cfg-key').length;
    const hooksBefore = hookCalls.length;
    writeConfig([
      { type: 'key', key: 'cfg/watched', args: recorder('cfg-key') },
      { type: 'nodes', args: recorder('cfg-nodes') },
    ]);
    agent.child.kill('SIGHUP');
    await waitFor(() => fired('cfg-nodes').length === 1, 'the new watch to fire');
    assert.equal(fired('cfg-key').length, before);
    // The removed http watch no longer posts.
    await api('PUT', '/v1/kv/cfg/hook/b', 'y');
    await api('PUT', '/v1/kv/cfg/watched', 'v2');
    await waitFor(() => fired('cfg-key').length === before + 1, 'the kept watch to fire');
    assert.equal(hookCalls.length, hooksBefore);
  });
});
