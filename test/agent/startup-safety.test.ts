// A real agent process refuses the security settings it cannot honour (exit 1, the key, the
// file and the reason on stderr), warns about remote script checks, prints a start-up summary
// of what really listens, treats -bootstrap-expect=1 as Consul does and names both files of a
// duplicated service ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EPHEMERAL_PORTS, MAIN, startAgent, type RunningAgent } from './spawn-agent';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-startup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runAgentToExit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, 'agent', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function until(what: string, ok: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The start-up summary: the lines between the first `==>` line and the log banner. */
function summaryOf(agent: RunningAgent): string {
  const out = agent.output();
  return out.slice(0, out.indexOf('==> Log data will now stream in'));
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('a config file asking for automatic TLS certificates stops the agent with exit 1, naming the file and why', (t) => {
  const file = join(tempDir(t), 'encrypt.hcl');
  writeFileSync(file, 'auto_encrypt {\n  tls = true\n}\n');
  const result = runAgentToExit(['-dev', '-config-file', file, ...EPHEMERAL_PORTS]);
  assert.equal(result.status, 1);
  assert.equal(
    result.stderr,
    `==> ${file}: auto_encrypt.tls = true: automatic TLS certificates (auto_encrypt, auto_config) are not available in Consulate: give each agent its files with tls { defaults { ca_file cert_file key_file } } (consulate tls cert create makes them)\n`,
  );
  assert.doesNotMatch(result.stdout, /HTTP API listening/);
});

test('a deprecated acl_datacenter turns ACLs on, and acl_master_token is the management token', async (t) => {
  const file = join(tempDir(t), 'legacy.json');
  writeFileSync(file, JSON.stringify({ acl_datacenter: 'dc1', acl_master_token: 'root' }));
  const agent = await startAgent(['-dev', '-config-file', file, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  // ACLs off would answer 401; on with default_policy allow, anonymous may read them.
  let status = 0;
  const until = Date.now() + 10_000;
  while (status !== 200 && Date.now() < until) {
    const response = await fetch(`${agent.baseUrl}/v1/acl/tokens`);
    status = response.status;
    await response.arrayBuffer();
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(status, 200);
  let self = 0;
  const deadline = Date.now() + 10_000;
  while (self !== 200 && Date.now() < deadline) {
    const response = await fetch(`${agent.baseUrl}/v1/acl/token/self`, {
      headers: { 'x-consul-token': 'root' },
    });
    self = response.status;
    await response.arrayBuffer();
    if (self !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(self, 200);
});

test('TLS certificate settings that cannot work stop the agent with exit 1, naming the key', (t) => {
  const file = join(tempDir(t), 'tls.hcl');
  writeFileSync(file, 'tls {\n  defaults {\n    cert_file = "/etc/consul/agent.pem"\n  }\n}\n');
  const result = runAgentToExit(['-dev', '-config-file', file, ...EPHEMERAL_PORTS]);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /tls\.hcl: tls\.defaults\.cert_file is set without a key_file: a certificate needs its key/,
  );
});

test('a malformed -encrypt key stops the agent with exit 1, naming the flag', () => {
  const result = runAgentToExit(['-dev', '-encrypt', 'bm90IGEga2V5', ...EPHEMERAL_PORTS]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /encrypt: invalid key \(expected base64 of 16, 24 or 32 bytes\)/);
});

test("-enable-script-checks logs Consul's remote-execution warning at start-up", async (t) => {
  const agent = await startAgent(['-dev', '-enable-script-checks', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  assert.match(
    agent.output(),
    /\[WARN\] {2}agent: using enable-script-checks without ACLs and without allow_write_http_from is DANGEROUS, use enable-local-script-checks instead, see https:\/\/www\.hashicorp\.com\/blog\/protecting-consul-from-rce-risk-in-specific-configurations\//,
  );
});

test('the start-up summary lists the ports actually bound and none that nothing listens on', async (t) => {
  const agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  const summary = summaryOf(agent);
  const httpPort = agent.address.slice(agent.address.lastIndexOf(':') + 1);
  const clientLine = /Client Addr: \[127\.0\.0\.1\] \(HTTP: (\d+), DNS: (\d+)\)\n/.exec(summary);
  assert.ok(clientLine, summary);
  assert.equal(clientLine[1], httpPort);
  assert.notEqual(clientLine[2], '0');
  assert.equal(await tcpAccepts(Number(clientLine[2])), true, 'something listens on the DNS port');
  for (const absent of ['HTTPS', 'gRPC', 'Auto-Encrypt']) {
    assert.doesNotMatch(summary, new RegExp(absent), `${absent} in:\n${summary}`);
  }
  // The gossip pools listen on the ports the summary names, UDP and TCP.
  const cluster = /Cluster Addr: 127\.0\.0\.1 \(LAN: (\d+), WAN: (\d+)\)\n/.exec(summary);
  assert.ok(cluster, summary);
  assert.equal(await tcpAccepts(Number(cluster[1])), true, 'something listens on the LAN port');
  assert.equal(await tcpAccepts(Number(cluster[2])), true, 'something listens on the WAN port');
  assert.match(summary, /Gossip Encryption: false\n/);
  assert.match(summary, /ACL Enabled: false\n/);
});

test('with -dns-port=-1 the summary shows no DNS port', async (t) => {
  const ports = EPHEMERAL_PORTS.filter((flag) => !flag.startsWith('-dns-port'));
  const agent = await startAgent(['-dev', '-dns-port=-1', ...ports]);
  t.after(() => agent.stop('SIGKILL'));
  assert.match(summaryOf(agent), /Client Addr: \[127\.0\.0\.1\] \(HTTP: \d+\)\n/);
});

test('-ui serves the web UI under /ui/ and / redirects there, without a warning', async (t) => {
  const agent = await startAgent(['-dev', '-ui', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  assert.doesNotMatch(agent.output(), /web UI is not available/);
  const root = await fetch(`${agent.baseUrl}/`, { redirect: 'manual' });
  assert.equal(root.status, 301);
  assert.equal(root.headers.get('location'), '/ui/');
  const page = await fetch(`${agent.baseUrl}/ui/dc1/services`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<base href="\/ui\/">/);
});

test('-dev -bootstrap-expect 1 starts, with the warning Consul gives', async (t) => {
  const agent = await startAgent(['-dev', '-bootstrap-expect', '1', ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  assert.match(agent.output(), /BootstrapExpect is set to 1; this is the same as Bootstrap mode\./);
  const put = await fetch(`${agent.baseUrl}/v1/kv/up`, { method: 'PUT', body: 'yes' });
  assert.equal((await put.text()).trim(), 'true');
});

test('-server -bootstrap-expect=1 reports Bootstrap: true in /v1/agent/self', async (t) => {
  const dir = tempDir(t);
  const agent = await startAgent([
    '-server',
    '-bootstrap-expect=1',
    '-data-dir',
    dir,
    '-bind',
    '127.0.0.1',
    ...EPHEMERAL_PORTS,
  ]);
  t.after(() => agent.stop('SIGKILL'));
  assert.match(summaryOf(agent), /Server: true \(Bootstrap: true\)/);
  const self = (await (await fetch(`${agent.baseUrl}/v1/agent/self`)).json()) as {
    DebugConfig: { Bootstrap: boolean; BootstrapExpect: number };
    Stats: { consul: { bootstrap: string } };
  };
  assert.equal(self.DebugConfig.Bootstrap, true);
  assert.equal(self.DebugConfig.BootstrapExpect, 0);
  assert.equal(self.Stats.consul.bootstrap, 'true');
  // Alone as the only voter, it elects itself and takes writes.
  const put = await fetch(`${agent.baseUrl}/v1/kv/up`, { method: 'PUT', body: 'yes' });
  assert.equal((await put.text()).trim(), 'true');
});

test('a reload that would ask for automatic TLS certificates is refused and the agent keeps running', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'base.hcl'), 'node_meta { stage = "one" }\n');
  const agent = await startAgent(['-dev', '-config-dir', dir, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  writeFileSync(join(dir, 'zz-acl.json'), JSON.stringify({ auto_encrypt: { tls: true } }));
  agent.child.kill('SIGHUP');
  await until(
    'the refused reload in the log',
    () => agent.output().includes('failed to reload configuration'),
    agent.output,
  );
  assert.match(
    agent.output(),
    /zz-acl\.json: auto_encrypt\.tls = true: automatic TLS certificates/,
  );
  const reload = await fetch(`${agent.baseUrl}/v1/agent/reload`, { method: 'PUT' });
  assert.equal(reload.status, 500);
  assert.match(await reload.text(), /automatic TLS certificates .* are not available/);
});

test('one service ID in two config files: the later file wins and the log names both', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a-web.json'), JSON.stringify({ service: { name: 'web', port: 80 } }));
  writeFileSync(join(dir, 'b-web.hcl'), 'service {\n  name = "web"\n  port = 8080\n}\n');
  const agent = await startAgent(['-dev', '-config-dir', dir, ...EPHEMERAL_PORTS]);
  t.after(() => agent.stop('SIGKILL'));
  const a = join(dir, 'a-web.json');
  const b = join(dir, 'b-web.hcl');
  assert.ok(
    agent
      .output()
      .includes(
        `service ID "web" is defined twice: in ${a} (services[0]) and in ${b} (services[0]); the later definition replaces the earlier one`,
      ),
    agent.output(),
  );
  const services = (await (await fetch(`${agent.baseUrl}/v1/agent/services`)).json()) as Record<
    string,
    { Port: number }
  >;
  assert.equal(services.web.Port, 8080);
});
