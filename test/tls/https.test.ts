// HTTPS end to end with certificates `consulate tls` made: an agent with ports.https and
// tls.https.verify_incoming answers curl, the CLI and the SDK that present a client certificate
// from our CA, and refuses a client without one or with a certificate from another CA.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Consul } from '../../clients/typescript/src';
import { EPHEMERAL_PORTS, MAIN, runCli, startAgent, type RunningAgent } from '../agent/spawn-agent';
import { consulateTls, curl, freePort, makePki, waitForOutput, type Pki } from './support';

const root = mkdtempSync(join(tmpdir(), 'consulate-https-'));
const running: RunningAgent[] = [];
let pki: Pki;
let agent: RunningAgent;
let httpsUrl: string;

/** Another CA with a client certificate of its own (files other-agent-ca.pem, dc1-client-other-0*). */
let strangerCert: string;
let strangerKey: string;
let strangerCa: string;

function tlsConfig(extra = ''): string {
  return `tls {
  defaults {
    ca_file = "${pki.ca}"
    cert_file = "${pki.serverCert(0)}"
    key_file = "${pki.serverKey(0)}"
  }
  https { verify_incoming = true }
}
${extra}`;
}

before(async () => {
  pki = makePki(root, 1);
  consulateTls(root, ['ca', 'create', '-domain', 'other']);
  consulateTls(root, ['cert', 'create', '-client', '-domain', 'other']);
  strangerCa = join(root, 'other-agent-ca.pem');
  strangerCert = join(root, 'dc1-client-other-0.pem');
  strangerKey = join(root, 'dc1-client-other-0-key.pem');
  const config = join(root, 'tls.hcl');
  writeFileSync(config, tlsConfig());
  const port = await freePort();
  agent = await startAgent(
    ['-dev', ...EPHEMERAL_PORTS, '-config-file', config, `-https-port=${port}`],
    60_000,
  );
  running.push(agent);
  const match = await waitForOutput(() => agent.output(), /HTTPS API listening on (\S+)/);
  httpsUrl = `https://${match[1]}`;
});

after(async () => {
  for (const started of running) await started.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const clientCertArgs = (): string[] => ['--cert', pki.clientCert, '--key', pki.clientKey];

describe('HTTPS with verify_incoming', () => {
  it('the start-up summary lists the HTTPS port beside HTTP', () => {
    assert.match(agent.output(), /Client Addr: \[127\.0\.0\.1\] \(HTTP: \d+, HTTPS: \d+/);
  });

  it('curl --cacert with a client certificate from our CA gets answers', () => {
    const leader = curl(`${httpsUrl}/v1/status/leader`, ['--cacert', pki.ca, ...clientCertArgs()]);
    assert.equal(leader.status, 0, leader.stderr);
    assert.match(leader.stdout.trim(), /^"127\.0\.0\.1:\d+"$/);
    const put = curl(`${httpsUrl}/v1/kv/curl/key`, [
      '--cacert',
      pki.ca,
      ...clientCertArgs(),
      '-X',
      'PUT',
      '--data-binary',
      'over-tls',
    ]);
    assert.equal(put.stdout.trim(), 'true', put.stderr);
    const raw = curl(`${httpsUrl}/v1/kv/curl/key?raw`, ['--cacert', pki.ca, ...clientCertArgs()]);
    assert.equal(raw.stdout, 'over-tls');
  });

  it('a client without a certificate is refused during the handshake', () => {
    const result = curl(`${httpsUrl}/v1/status/leader`, ['--cacert', pki.ca]);
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /certificate required|alert|handshake/i);
  });

  it('a connection that never starts its handshake is closed (limits.https_handshake_timeout, 5 s)', async () => {
    const [host, port] = httpsUrl.slice('https://'.length).split(':');
    const socket = connect({ host, port: Number(port) });
    socket.on('error', () => undefined);
    const closed = once(socket, 'close');
    const cap = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('still open after 60 s')), 60_000).unref(),
    );
    try {
      await Promise.race([closed, cap]);
    } finally {
      socket.destroy();
    }
  });

  it('a client certificate from another CA is refused', () => {
    const result = curl(`${httpsUrl}/v1/status/leader`, [
      '--cacert',
      pki.ca,
      '--cert',
      strangerCert,
      '--key',
      strangerKey,
    ]);
    // The handshake fails (TLS 1.3 reports it after curl's side finished: an empty reply).
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, '');
  });

  it("a client that trusts another CA refuses the agent's certificate", () => {
    const result = curl(`${httpsUrl}/v1/status/leader`, [
      '--cacert',
      strangerCa,
      ...clientCertArgs(),
    ]);
    // curl's exit code 60: the peer's certificate could not be verified.
    assert.equal(result.status, 60, result.stderr);
  });

  it('the CLI takes -ca-file, -client-cert and -client-key', () => {
    const flags = [
      `-http-addr=${httpsUrl}`,
      `-ca-file=${pki.ca}`,
      `-client-cert=${pki.clientCert}`,
      `-client-key=${pki.clientKey}`,
    ];
    const put = runCli(['kv', 'put', ...flags, 'cli/key', 'from-flags']);
    assert.equal(put.status, 0, put.stderr);
    const get = runCli(['kv', 'get', ...flags, 'cli/key']);
    assert.equal(get.stdout.trim(), 'from-flags', get.stderr);
    const refused = runCli([
      'kv',
      'get',
      `-http-addr=${httpsUrl}`,
      `-ca-file=${pki.ca}`,
      'cli/key',
    ]);
    assert.notEqual(refused.status, 0);
  });

  it('the CLI honours CONSUL_HTTP_ADDR=https://, CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY', () => {
    const env = {
      CONSUL_HTTP_ADDR: httpsUrl,
      CONSUL_CACERT: pki.ca,
      CONSUL_CLIENT_CERT: pki.clientCert,
      CONSUL_CLIENT_KEY: pki.clientKey,
    };
    assert.equal(runCli(['kv', 'put', 'env/key', 'from-env'], { env }).status, 0);
    const get = runCli(['kv', 'get', 'env/key'], { env });
    assert.equal(get.stdout.trim(), 'from-env', get.stderr);
  });

  it('CONSUL_HTTP_SSL=true makes a bare host:port https, and CONSUL_HTTP_SSL_VERIFY=false skips the CA check', () => {
    const hostPort = httpsUrl.slice('https://'.length);
    const env = {
      CONSUL_HTTP_ADDR: hostPort,
      CONSUL_HTTP_SSL: 'true',
      CONSUL_CLIENT_CERT: pki.clientCert,
      CONSUL_CLIENT_KEY: pki.clientKey,
    };
    // No CA: the agent's certificate cannot be verified...
    const unverified = runCli(['kv', 'get', 'env/key'], { env });
    assert.notEqual(unverified.status, 0);
    assert.match(unverified.stderr, /certificate/i);
    // ...unless verification is turned off.
    const skipped = runCli(['kv', 'get', 'env/key'], {
      env: { ...env, CONSUL_HTTP_SSL_VERIFY: 'false' },
    });
    assert.equal(skipped.stdout.trim(), 'from-env', skipped.stderr);
  });

  it('consulate render reads an https agent with the same flags', () => {
    const template = join(root, 'value.tpl');
    writeFileSync(template, 'value={{ key "curl/key" }}\n');
    const flags = [
      `-http-addr=${httpsUrl}`,
      `-ca-file=${pki.ca}`,
      `-client-cert=${pki.clientCert}`,
      `-client-key=${pki.clientKey}`,
    ];
    const rendered = runCli([
      'render',
      ...flags,
      '-once',
      '-dry',
      '-template',
      `${template}:${join(root, 'value.out')}`,
    ]);
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.match(rendered.stdout, /value=over-tls/);
  });

  it('the SDK honours the same variables', async () => {
    const consul = new Consul({
      env: {
        CONSUL_HTTP_ADDR: httpsUrl,
        CONSUL_CACERT: pki.ca,
        CONSUL_CLIENT_CERT: pki.clientCert,
        CONSUL_CLIENT_KEY: pki.clientKey,
      },
    });
    try {
      assert.equal(await consul.kv.put('sdk/key', 'from-sdk'), true);
      const { data } = await consul.kv.get('sdk/key');
      assert.equal(Buffer.from(data?.Value ?? '', 'base64').toString(), 'from-sdk');
    } finally {
      consul.close();
    }
    // CONSUL_CAPATH: a directory of CA files, as the CLI's -ca-path.
    const caDir = join(root, 'ca-dir');
    mkdirSync(caDir, { recursive: true });
    copyFileSync(pki.ca, join(caDir, 'ca.pem'));
    const viaPath = new Consul({
      env: {
        CONSUL_HTTP_ADDR: httpsUrl,
        CONSUL_CAPATH: caDir,
        CONSUL_CLIENT_CERT: pki.clientCert,
        CONSUL_CLIENT_KEY: pki.clientKey,
      },
    });
    try {
      assert.equal((await viaPath.kv.get('sdk/key')).data?.Key, 'sdk/key');
    } finally {
      viaPath.close();
    }
    const cliPath = runCli([
      'kv',
      'get',
      `-http-addr=${httpsUrl}`,
      `-ca-path=${caDir}`,
      `-client-cert=${pki.clientCert}`,
      `-client-key=${pki.clientKey}`,
      'sdk/key',
    ]);
    assert.equal(cliPath.stdout.trim(), 'from-sdk', cliPath.stderr);
    const withoutCert = new Consul({ env: { CONSUL_HTTP_ADDR: httpsUrl, CONSUL_CACERT: pki.ca } });
    try {
      await assert.rejects(withoutCert.kv.get('sdk/key'));
    } finally {
      withoutCert.close();
    }
  });
});

describe('a configuration reload', () => {
  it('serves new HTTPS connections with the certificate the files now hold', async () => {
    consulateTls(root, ['cert', 'create', '-server']);
    const certFile = join(root, 'rotating.pem');
    const keyFile = join(root, 'rotating-key.pem');
    const install = (i: number): void => {
      copyFileSync(pki.serverCert(i), certFile);
      copyFileSync(pki.serverKey(i), keyFile);
    };
    install(0);
    const config = join(root, 'rotating.hcl');
    writeFileSync(
      config,
      `tls {\n  defaults {\n    ca_file = "${pki.ca}"\n    cert_file = "${certFile}"\n    key_file = "${keyFile}"\n  }\n}\n`,
    );
    const port = await freePort();
    const rotating = await startAgent(
      ['-dev', ...EPHEMERAL_PORTS, '-config-file', config, `-https-port=${port}`],
      60_000,
    );
    running.push(rotating);
    await waitForOutput(() => rotating.output(), /HTTPS API listening on/);
    const served = async (): Promise<string> => {
      const socket = connectTls({ host: '127.0.0.1', port, ca: readFileSync(pki.ca) });
      try {
        await once(socket, 'secureConnect');
        return socket.getPeerCertificate().fingerprint256;
      } finally {
        socket.destroy();
      }
    };
    const fingerprint = (i: number): string =>
      new X509Certificate(readFileSync(pki.serverCert(i))).fingerprint256;
    assert.equal(await served(), fingerprint(0));
    install(1);
    rotating.child.kill('SIGHUP');
    await waitForOutput(() => rotating.output(), /configuration reloaded/);
    assert.equal(await served(), fingerprint(1));
  });
});

describe('configuration errors', () => {
  it('stop the agent at start, naming the setting as written', () => {
    const config = join(root, 'broken.hcl');
    writeFileSync(config, `key_file = "${pki.clientKey}"\n`);
    const result = spawnSync(
      process.execPath,
      [MAIN, 'agent', '-dev', ...EPHEMERAL_PORTS, '-config-file', config],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /broken\.hcl: key_file \(sets tls\.defaults\.key_file\) is set without a cert_file/,
    );
  });
});

describe('ports.http = -1', () => {
  it('turns plain HTTP off and leaves HTTPS serving', async () => {
    const config = join(root, 'https-only.hcl');
    writeFileSync(config, tlsConfig('ports { http = -1 }'));
    const port = await freePort();
    const args = [MAIN, 'agent', '-dev', ...EPHEMERAL_PORTS, '-config-file', config];
    // The flag list sets -http-port=0; the file's -1 must win, so drop the flag.
    const child = spawn(
      process.execPath,
      [...args.filter((arg) => arg !== '-http-port=0'), `-https-port=${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = once(child, 'exit');
    try {
      const deadline = Date.now() + 60_000;
      while (!/Consulate agent running!/.test(stdout)) {
        assert.ok(Date.now() < deadline, `agent did not start:\n${stdout}`);
        assert.equal(child.exitCode, null, stdout);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.doesNotMatch(stdout, /HTTP API listening/);
      assert.match(stdout, /HTTPS API listening on 127\.0\.0\.1:\d+/);
      assert.match(stdout, /Client Addr: \[127\.0\.0\.1\] \(HTTPS: \d+/);
      const leader = curl(`https://127.0.0.1:${port}/v1/status/leader`, [
        '--cacert',
        pki.ca,
        ...clientCertArgs(),
      ]);
      assert.equal(leader.status, 0, leader.stderr);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
