import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EPHEMERAL_PORTS, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';

let agent: RunningAgent;
let dir: string;
const cli = (args: string[], input?: string | Buffer): ReturnType<typeof runCli> =>
  runCli(args, { input, env: { CONSUL_HTTP_ADDR: agent.address } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consulate-cli-'));
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
});

after(async () => {
  await agent.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('kv put then get returns the value; a missing key is an error with exit 1', () => {
  const put = cli(['kv', 'put', 'cli/greeting', 'hello world']);
  assert.equal(put.status, 0);
  assert.equal(put.stdout, 'Success! Data written to: cli/greeting\n');
  const get = cli(['kv', 'get', 'cli/greeting']);
  assert.equal(get.status, 0);
  assert.equal(get.stdout, 'hello world\n');
  const missing = cli(['kv', 'get', 'cli/nope']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, 'Error! No key exists at: cli/nope\n');
});

test('kv put reads values from @file and from stdin', () => {
  const file = join(dir, 'value.bin');
  writeFileSync(file, Buffer.from([0, 1, 2, 255]));
  assert.equal(cli(['kv', 'put', 'cli/file', `@${file}`]).status, 0);
  assert.equal(cli(['kv', 'get', '-base64', 'cli/file']).stdout, 'AAEC/w==\n');
  assert.equal(cli(['kv', 'put', 'cli/stdin', '-'], 'from stdin').status, 0);
  assert.equal(cli(['kv', 'get', 'cli/stdin']).stdout, 'from stdin\n');
  const unreadable = cli(['kv', 'put', 'cli/x', `@${join(dir, 'absent')}`]);
  assert.equal(unreadable.status, 1);
  assert.match(unreadable.stderr, /^Error! Failed to read file: /);
});

test('kv put -flags, -cas with -modify-index, and get -detailed', () => {
  assert.equal(cli(['kv', 'put', '-flags=18446744073709551615', 'cli/cas', 'v1']).status, 0);
  const detailed = cli(['kv', 'get', '-detailed', 'cli/cas']);
  assert.equal(detailed.status, 0);
  const modifyIndex = /ModifyIndex\s+(\d+)/.exec(detailed.stdout)?.[1];
  assert.ok(modifyIndex);
  assert.match(
    detailed.stdout,
    /^CreateIndex {6}\d+\nFlags {12}18446744073709551615\nKey {14}cli\/cas\n/,
  );
  assert.match(detailed.stdout, /Session {10}-\nValue {12}v1\n$/);

  const stale = cli(['kv', 'put', '-cas', '-modify-index=1', 'cli/cas', 'v2']);
  assert.equal(stale.status, 1);
  assert.equal(stale.stderr, 'Error! Did not write to cli/cas: CAS failed\n');
  const fresh = cli(['kv', 'put', '-cas', `-modify-index=${modifyIndex}`, 'cli/cas', 'v2']);
  assert.equal(fresh.status, 0);
  assert.equal(cli(['kv', 'get', 'cli/cas']).stdout, 'v2\n');
  const noIndex = cli(['kv', 'put', '-cas', 'cli/cas', 'v3']);
  assert.equal(noIndex.status, 1);
  assert.equal(noIndex.stderr, 'Must specify -modify-index with -cas!\n');
});

test('kv get -recurse and -keys list a prefix', () => {
  for (const key of ['tree/a', 'tree/b/c', 'tree/b/d']) cli(['kv', 'put', key, key.toUpperCase()]);
  assert.equal(
    cli(['kv', 'get', '-recurse', 'tree/']).stdout,
    'tree/a:TREE/A\ntree/b/c:TREE/B/C\ntree/b/d:TREE/B/D\n',
  );
  assert.equal(cli(['kv', 'get', '-keys', 'tree/']).stdout, 'tree/a\ntree/b/\n');
  assert.equal(
    cli(['kv', 'get', '-keys', '-separator=', 'tree/']).stdout,
    'tree/a\ntree/b/c\ntree/b/d\n',
  );
});

test('kv delete removes a key or a prefix and says so', () => {
  cli(['kv', 'put', 'gone/one', '1']);
  cli(['kv', 'put', 'gone/two', '2']);
  const one = cli(['kv', 'delete', 'gone/one']);
  assert.equal(one.stdout, 'Success! Deleted key: gone/one\n');
  assert.equal(cli(['kv', 'get', 'gone/one']).status, 1);
  const tree = cli(['kv', 'delete', '-recurse', 'gone/']);
  assert.equal(tree.stdout, 'Success! Deleted keys with prefix: gone/\n');
  assert.equal(cli(['kv', 'get', 'gone/two']).status, 1);
  const both = cli(['kv', 'delete', '-cas', '-modify-index=3', '-recurse', 'gone/']);
  assert.equal(both.status, 1);
  assert.equal(both.stderr, 'Cannot specify both -cas and -recurse!\n');
  const noKey = cli(['kv', 'delete']);
  assert.equal(noKey.status, 1);
  assert.equal(noKey.stderr, 'Error! Missing KEY argument\n');
});

test('kv export and import round-trip a tree, also under a new -prefix', () => {
  cli(['kv', 'put', '-flags=42', 'exp/x', 'ex']);
  cli(['kv', 'put', 'exp/y/', '']);
  const exported = cli(['kv', 'export', 'exp/']);
  assert.equal(exported.status, 0);
  assert.equal(
    exported.stdout,
    '[\n\t{\n\t\t"key": "exp/x",\n\t\t"flags": 42,\n\t\t"value": "ZXg="\n\t},\n' +
      '\t{\n\t\t"key": "exp/y/",\n\t\t"flags": 0,\n\t\t"value": ""\n\t}\n]\n',
  );
  const file = join(dir, 'export.json');
  writeFileSync(file, exported.stdout);
  const fromFile = cli(['kv', 'import', '-prefix=copy', `@${file}`]);
  assert.equal(fromFile.status, 0);
  assert.equal(fromFile.stdout, 'Imported: copy/exp/x\nImported: copy/exp/y/\n');
  assert.equal(cli(['kv', 'get', 'copy/exp/x']).stdout, 'ex\n');
  assert.match(cli(['kv', 'get', '-detailed', 'copy/exp/x']).stdout, /Flags {12}42\n/);

  const fromStdin = cli(['kv', 'import', '-'], '[{"key":"stdin/k","flags":0,"value":"dg=="}]');
  assert.equal(fromStdin.stdout, 'Imported: stdin/k\n');
  const literal = cli(['kv', 'import', '[{"key":"lit/k","flags":0,"value":"dg=="}]']);
  assert.equal(literal.stdout, 'Imported: lit/k\n');
  assert.equal(cli(['kv', 'get', 'lit/k']).stdout, 'v\n');
  assert.equal(cli(['kv', 'export', 'no-such-prefix/']).stdout, '[]\n');
  const bad = cli(['kv', 'import', 'not json']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^Cannot unmarshal data: /);
});

test('client flags: -http-addr with a scheme wins over the environment; unknown flags fail', async () => {
  const closedPort = await unusedPort();
  const viaFlag = runCli(['kv', 'get', `-http-addr=http://${agent.address}`, 'cli/greeting'], {
    env: { CONSUL_HTTP_ADDR: `127.0.0.1:${closedPort}` },
  });
  assert.equal(viaFlag.stdout, 'hello world\n');
  const refused = runCli(['kv', 'get', 'cli/greeting'], {
    env: { CONSUL_HTTP_ADDR: `127.0.0.1:${closedPort}` },
  });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^Error querying Consul agent: .*connection refused/);
  const unknown = cli(['kv', 'get', '-bogus', 'k']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^flag provided but not defined: -bogus\n/);
});

test('consulate info prints agent/self Stats as sections of key = value lines', () => {
  const result = cli(['info']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^[a-z_]+:\n(\t\S+ = .*\n)+/);
});

test('consulate lists its commands and prints its version', () => {
  const help = runCli([]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Available commands are:\n(.|\n)*agent(.|\n)*kv/);
  assert.match(
    runCli(['version']).stdout,
    /^Consulate v\d+\.\d+\.\d+\nRevision \S+\nBuild Date \S+\n/,
  );
  const unknown = runCli(['frobnicate']);
  assert.equal(unknown.status, 127);
  assert.match(unknown.stderr, /Unknown command: frobnicate/);
});

/** A port nothing listens on: bound once by us, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
