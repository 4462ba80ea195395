import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, parseAgentArgs, type LoadedAgentConfig } from './load';
import type { ConfigObject, ConfigValue } from './normalize';
import { setPath } from './paths';
import { CONFIG_SCHEMA, type KeySchema } from './schema';
import { UNAVAILABLE_SETTINGS, type UnavailableSetting } from './unavailable';

const KEY = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';

function load(argv: string[]): LoadedAgentConfig {
  return loadAgentConfig(parseAgentArgs(argv), { hostname: 'test-host' });
}

/** Loads the given files (name → JSON object or HCL text) as one -config-dir, with -dev. */
function loadDir(
  files: Record<string, string | ConfigObject>,
  extra: string[] = [],
): LoadedAgentConfig {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-unavailable-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(
        join(dir, name),
        typeof content === 'string' ? content : JSON.stringify(content),
      );
    }
    return load(['-dev', '-config-dir', dir, ...extra]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The schema entry of a dotted key path. */
function schemaOf(path: string): KeySchema | undefined {
  const [head, ...rest] = path.split('.');
  let schema: KeySchema | undefined = CONFIG_SCHEMA[head];
  for (const part of rest) schema = schema?.type === 'object' ? schema.keys[part] : undefined;
  return schema;
}

/** A value that asks for the feature, of the key's type. */
function askingValue(setting: UnavailableSetting): ConfigValue {
  const { path } = setting;
  if (path === 'ports.https') return 8501;
  if (path === 'encrypt') return KEY;
  if (path === 'http_config.allow_write_http_from') return ['127.0.0.0/8'];
  const schema = schemaOf(path);
  switch (schema?.type) {
    case 'bool':
      return setting.asks(true);
    case 'duration':
      return path.startsWith('reconnect_timeout') ? '9h' : '30s';
    case 'int':
    case 'float':
      return 5;
    case 'port':
      return 21000;
    case 'string-list':
      return ['10.0.0.1'];
    case 'object':
      return { disable_hostname: true };
    default:
      return '/etc/consul.d/value';
  }
}

for (const setting of UNAVAILABLE_SETTINGS) {
  test(`${setting.path} asking for its feature is refused, naming the file and the reason`, () => {
    const file: ConfigObject = {};
    setPath(file, setting.path, askingValue(setting));
    assert.throws(
      () => loadDir({ 'agent.json': file }),
      (err: Error) => {
        assert.equal(err.name, 'ConfigError');
        assert.ok(err.message.includes(`agent.json: ${setting.path}`), err.message);
        assert.ok(err.message.endsWith(setting.reason), err.message);
        return true;
      },
    );
  });
}

test('acl { enabled = true } is accepted: ACLs are enforced', () => {
  const { config } = loadDir({
    'acl.hcl': 'acl {\n  enabled = true\n  default_policy = "deny"\n}\n',
  });
  assert.equal(config.acl.enabled, true);
  assert.equal(config.acl.defaultPolicy, 'deny');
});

test('acl settings with acl.enabled = false are accepted and enforce nothing, as in Consul', () => {
  const { config } = loadDir({
    'acl.hcl': 'acl {\n  enabled = false\n  down_policy = "deny"\n  tokens { agent = "t" }\n}\n',
  });
  assert.equal(config.acl.enabled, false);
  assert.deepEqual(config.acl.tokens, { agent: 't' });
});

test('a later file that turns ACLs back off wins: only the effective value is judged', () => {
  const { config } = loadDir({
    '10-on.hcl': 'acl { enabled = true }',
    '20-off.hcl': 'acl { enabled = false }',
  });
  assert.equal(config.acl.enabled, false);
});

test('-encrypt is honoured: the key reaches the gossip pools', () => {
  assert.equal(load(['-dev', '-encrypt', KEY]).config.encrypt, KEY);
});

test('a malformed gossip key is refused without echoing it', () => {
  assert.throws(
    () => loadDir({ 'gossip.json': { encrypt: 'bm90IGEga2V5' } }),
    (err: Error) =>
      !err.message.includes('bm90IGEga2V5') && /encrypt: invalid key/.test(err.message),
  );
});

test('encrypt_verify_* without a key are accepted: they only matter with encrypt', () => {
  const { config } = loadDir({
    'v.hcl': 'encrypt_verify_incoming = true\nencrypt_verify_outgoing = false',
  });
  assert.equal(config.encrypt, null);
});

test("ports.https keeps Consul's default of -1, and 0 disables it as in Consul", () => {
  assert.equal(load(['-dev']).config.ports.https, -1);
  assert.equal(load(['-dev', '-https-port', '0']).config.ports.https, 0);
  assert.throws(() => load(['-dev', '-https-port', '8501']), {
    message:
      'flag -https-port=8501: HTTPS needs a certificate: set cert_file and key_file in tls.https or tls.defaults',
  });
});

test('an empty tls stanza or verify_* = false asks for nothing and is accepted', () => {
  const { config } = loadDir({
    'tls.hcl': 'tls {\n  defaults {\n    verify_incoming = false\n  }\n  internal_rpc {}\n}\n',
  });
  assert.equal(config.server, true);
});

test('every refused setting is listed, one per line', () => {
  assert.throws(
    () =>
      loadDir({
        'many.hcl':
          'auto_encrypt { tls = true }\ntls { grpc { cert_file = "/c" } }\nhttp_config { allow_write_http_from = ["127.0.0.0/8"] }\n',
      }),
    (err: Error) => {
      const lines = err.message.split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0], /tls\.grpc\.cert_file: gRPC is not available/);
      assert.match(lines[1], /auto_encrypt\.tls = true: automatic TLS certificates/);
      assert.match(lines[2], /allow_write_http_from.*limiting writes/);
      return true;
    },
  );
});

test('-ui is honoured without a warning', () => {
  const { config, warnings } = load(['-dev', '-ui']);
  assert.equal(config.ui, true);
  assert.deepEqual(warnings, []);
});

test('ui_config.metrics_provider is accepted with a warning that this UI shows no metrics', () => {
  const { warnings } = load(['-dev', '-hcl', 'ui_config { metrics_provider = "prometheus" }']);
  assert.deepEqual(warnings, [
    '-hcl fragment 1: ui_config.metrics_provider: the web UI of this build shows no metrics or dashboard links; the setting is ignored',
  ]);
});

test('a gRPC port set by the user is accepted with a warning that nothing listens on it', () => {
  const { warnings } = load(['-dev', '-grpc-port', '8502']);
  assert.deepEqual(warnings, [
    'flag -grpc-port=8502: gRPC is not available in this build of Consulate; nothing listens on port 8502',
  ]);
});

test("-enable-script-checks without ACLs logs Consul's remote-execution warning", () => {
  const { warnings } = load(['-dev', '-enable-script-checks']);
  assert.deepEqual(warnings, [
    'using enable-script-checks without ACLs and without allow_write_http_from is DANGEROUS, use enable-local-script-checks instead, see https://www.hashicorp.com/blog/protecting-consul-from-rce-risk-in-specific-configurations/',
  ]);
});

test('-enable-local-script-checks does not expose remote execution and logs no warning', () => {
  assert.deepEqual(load(['-dev', '-enable-local-script-checks']).warnings, []);
});
