import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createCert } from '../pki';
import { loadAgentConfig, parseAgentArgs, type LoadedAgentConfig } from './load';

const dir = mkdtempSync(join(tmpdir(), 'consulate-tls-config-'));
const file = (name: string): string => join(dir, name);
let caPem = '';
let serverPem = '';

before(async () => {
  const ca = await createCa(30);
  const other = await createCa(30);
  const server = await createCert(ca, {
    kind: 'server',
    datacenter: 'dc1',
    domain: 'consul',
    days: 30,
  });
  const client = await createCert(ca, {
    kind: 'client',
    datacenter: 'dc1',
    domain: 'consul',
    days: 30,
  });
  caPem = ca.cert;
  serverPem = server.cert;
  writeFileSync(file('ca.pem'), ca.cert);
  writeFileSync(file('server.pem'), server.cert);
  writeFileSync(file('server-key.pem'), server.key);
  writeFileSync(file('client.pem'), client.cert);
  writeFileSync(file('client-key.pem'), client.key);
  writeFileSync(file('other-key.pem'), other.key);
  writeFileSync(file('garbage.pem'), 'not a certificate\n');
  mkdirSync(file('cas'));
  writeFileSync(join(dir, 'cas', 'a.pem'), ca.cert);
  writeFileSync(join(dir, 'cas', 'b.pem'), other.cert);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function load(hcl: string, extra: string[] = []): LoadedAgentConfig {
  return loadAgentConfig(parseAgentArgs(['-dev', '-hcl', hcl, ...extra]), {
    hostname: 'test-host',
  });
}

const defaults = (): string =>
  `tls { defaults { ca_file = "${file('ca.pem')}" cert_file = "${file('server.pem')}" key_file = "${file('server-key.pem')}" } }`;

test('tls.defaults reaches HTTPS and internal RPC, read from the files', () => {
  const { config } = load(defaults(), ['-https-port', '8501']);
  assert.equal(config.ports.https, 8501);
  for (const protocol of [config.tls.https, config.tls.internalRpc]) {
    assert.deepEqual(protocol.ca, [caPem]);
    assert.equal(protocol.cert, serverPem);
    assert.match(protocol.key ?? '', /BEGIN EC PRIVATE KEY/);
    assert.equal(protocol.verifyIncoming, false);
    assert.equal(protocol.minVersion, 'TLSv1.2');
  }
  assert.equal(config.tls.internalRpc.verifyServerHostname, false);
});

test('tls.https and tls.internal_rpc override tls.defaults key by key', () => {
  const { config } = load(
    `${defaults()}\ntls { https { verify_incoming = true tls_min_version = "TLSv1_3" } internal_rpc { verify_outgoing = true tls_cipher_suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" } }`,
  );
  assert.equal(config.tls.https.verifyIncoming, true);
  assert.equal(config.tls.https.minVersion, 'TLSv1.3');
  assert.equal(config.tls.internalRpc.verifyIncoming, false);
  assert.equal(config.tls.internalRpc.verifyOutgoing, true);
  assert.equal(
    config.tls.internalRpc.ciphers,
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384',
  );
});

test('the older top-level keys set the stanzas they were replaced by', () => {
  const { config, warnings } = load(
    `ca_file = "${file('ca.pem')}"\ncert_file = "${file('server.pem')}"\nkey_file = "${file('server-key.pem')}"\nverify_incoming_https = true\nverify_incoming_rpc = true\nverify_outgoing = true\nverify_server_hostname = true`,
  );
  assert.equal(config.tls.https.verifyIncoming, true);
  assert.equal(config.tls.internalRpc.verifyIncoming, true);
  assert.equal(config.tls.internalRpc.verifyOutgoing, true);
  assert.equal(config.tls.internalRpc.verifyServerHostname, true);
  assert.match(warnings.join('\n'), /The 'verify_server_hostname' field is deprecated/);
});

test('verify_server_hostname implies verify_outgoing, as in Consul', () => {
  const { config } = load(`${defaults()}\ntls { internal_rpc { verify_server_hostname = true } }`);
  assert.equal(config.tls.internalRpc.verifyOutgoing, true);
});

test('ca_path reads every CA file under the directory', () => {
  const { config } = load(`tls { defaults { ca_path = "${file('cas')}" } }`);
  assert.equal(config.tls.https.ca.length, 2);
});

test('configuration errors name the setting and what is wrong', () => {
  const cases: [string, RegExp][] = [
    [
      `tls { defaults { cert_file = "${file('server.pem')}" } }`,
      /^-hcl fragment 1: tls\.defaults\.cert_file is set without a key_file/,
    ],
    [
      `tls { https { key_file = "${file('server-key.pem')}" } }`,
      /^-hcl fragment 1: tls\.https\.key_file is set without a cert_file/,
    ],
    [
      `tls { defaults { ca_file = "${file('missing.pem')}" } }`,
      /^-hcl fragment 1: tls\.defaults\.ca_file: cannot read .*missing\.pem: ENOENT/,
    ],
    [
      `tls { defaults { ca_file = "${file('garbage.pem')}" } }`,
      /^-hcl fragment 1: tls\.defaults\.ca_file: .*garbage\.pem holds no PEM certificate/,
    ],
    [
      `tls { defaults { cert_file = "${file('server.pem')}" key_file = "${file('other-key.pem')}" } }`,
      /^-hcl fragment 1: tls\.defaults\.key_file: the key does not belong to the certificate of -hcl fragment 1: tls\.defaults\.cert_file/,
    ],
    [
      `tls { defaults { cert_file = "${file('garbage.pem')}" key_file = "${file('server-key.pem')}" } }`,
      /^-hcl fragment 1: tls\.defaults\.cert_file: not a PEM certificate/,
    ],
    [
      `tls { https { verify_incoming = true cert_file = "${file('server.pem')}" key_file = "${file('server-key.pem')}" } }`,
      /^-hcl fragment 1: tls\.https\.verify_incoming = true: no CA certificates were provided/,
    ],
    [
      `tls { internal_rpc { verify_incoming = true ca_file = "${file('ca.pem')}" } }`,
      /^-hcl fragment 1: tls\.internal_rpc\.verify_incoming = true: needs this agent's certificate/,
    ],
    [
      `tls { defaults { tls_min_version = "ssl3" } }`,
      /^-hcl fragment 1: tls\.defaults\.tls_min_version: no matching TLS version found for ssl3/,
    ],
    [
      `tls { defaults { tls_cipher_suites = "TLS_RSA_WITH_RC4_128_SHA" } }`,
      /^-hcl fragment 1: tls\.defaults\.tls_cipher_suites: no matching Consul Agent TLS cipher suite found for TLS_RSA_WITH_RC4_128_SHA/,
    ],
  ];
  for (const [hcl, expected] of cases) {
    assert.throws(
      () => load(hcl),
      (err: Error) => {
        assert.equal(err.name, 'ConfigError');
        assert.match(err.message, expected);
        return true;
      },
    );
  }
});

test('tls.grpc is still refused: there is no gRPC listener', () => {
  assert.throws(
    () => load(`tls { grpc { cert_file = "${file('server.pem')}" } }`),
    /tls\.grpc\.cert_file: gRPC is not available/,
  );
});

test('addresses.https binds HTTPS elsewhere than client_addr', () => {
  const { config } = load(`${defaults()}\naddresses { https = "127.0.0.5" }`, ['-https-port', '0']);
  assert.deepEqual(config.addresses.https, ['127.0.0.5']);
});

test('ports.http = -1 is refused while watches read the plain HTTP API', () => {
  assert.throws(
    () => load(`ports { http = -1 }\nwatches = [{ type = "key" key = "a" args = ["/bin/true"] }]`),
    /ports\.http = -1: watches read this agent's plain HTTP API/,
  );
});
