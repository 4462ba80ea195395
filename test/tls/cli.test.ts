// `consulate tls ca create` and `consulate tls cert create` as a user runs them: the files Consul
// names, numbered, owner-only keys, and Consul's messages for what cannot be done.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { MAIN } from '../agent/spawn-agent';

const dir = mkdtempSync(join(tmpdir(), 'consulate-tls-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tls(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, 'tls', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a certificate needs the CA files first', () => {
  const result = tls(['cert', 'create', '-server']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^Error reading CA: .*consul-agent-ca\.pem/);
});

test("ca create writes Consul's two files once", () => {
  const created = tls(['ca', 'create']);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(
    created.stdout,
    '==> Saved consul-agent-ca.pem\n==> Saved consul-agent-ca-key.pem\n',
  );
  assert.equal(statSync(join(dir, 'consul-agent-ca-key.pem')).mode & 0o777, 0o600);
  const again = tls(['ca', 'create']);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, 'consul-agent-ca.pem already exists.\n');
});

test('cert create numbers the files and signs them with the CA', () => {
  const first = tls(['cert', 'create', '-server', '-days', '30']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^==> WARNING: Server Certificates grants authority/);
  assert.match(
    first.stdout,
    /==> Using consul-agent-ca\.pem and consul-agent-ca-key\.pem\n==> Saved dc1-server-consul-0\.pem\n==> Saved dc1-server-consul-0-key\.pem\n$/,
  );
  const second = tls(['cert', 'create', '-server']);
  assert.match(second.stdout, /==> Saved dc1-server-consul-1\.pem/);
  const client = tls(['cert', 'create', '-client', '-dc', 'east']);
  assert.match(client.stdout, /==> Saved east-client-consul-0\.pem/);
  const ca = new X509Certificate(readFileSync(join(dir, 'consul-agent-ca.pem')));
  const server = new X509Certificate(readFileSync(join(dir, 'dc1-server-consul-0.pem')));
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
  assert.equal(server.checkHost('server.dc1.consul'), 'server.dc1.consul');
  const days = (Date.parse(server.validTo) - Date.parse(server.validFrom)) / 86_400_000;
  assert.ok(Math.abs(days - 30) < 1, String(days));
  assert.equal(statSync(join(dir, 'dc1-server-consul-0-key.pem')).mode & 0o777, 0o600);
  const eastClient = new X509Certificate(readFileSync(join(dir, 'east-client-consul-0.pem')));
  assert.equal(eastClient.checkHost('client.east.consul'), 'client.east.consul');
});

test("Consul's messages for a missing or doubled kind and for -node without -server", () => {
  const none = tls(['cert', 'create']);
  assert.equal(none.status, 1);
  assert.equal(none.stderr, 'Please provide either -server, -client, or -cli\n');
  const two = tls(['cert', 'create', '-server', '-client']);
  assert.equal(two.stderr, 'Please provide either -server, -client, or -cli\n');
  const node = tls(['cert', 'create', '-client', '-node', 'n1']);
  assert.equal(node.stderr, '-node requires -server\n');
});
