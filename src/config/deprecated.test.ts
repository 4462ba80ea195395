import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDeprecatedKeys, DEPRECATED_KEYS } from './deprecated';
import { loadAgentConfig, parseAgentArgs, type LoadedAgentConfig } from './load';
import type { ConfigObject, ConfigValue } from './normalize';
import { getPath, setPath } from './paths';

function load(argv: string[]): LoadedAgentConfig {
  return loadAgentConfig(parseAgentArgs(argv), { hostname: 'test-host' });
}

/** Loads `text` as the HCL file `name` in a fresh directory (with -dev and `extra` flags). */
function loadFile(name: string, text: string, extra: string[] = []): LoadedAgentConfig {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-deprecated-'));
  try {
    writeFileSync(join(dir, name), text);
    return load(['-dev', '-config-file', join(dir, name), ...extra]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sampleValue(key: string): ConfigValue {
  if (key.startsWith('start_join')) return ['10.0.0.1'];
  if (key === 'raft_boltdb') return { no_freelist_sync: true };
  if (/^(verify_|enable_|acl_enable_|tls_prefer|ui$)/.test(key)) return true;
  if (key === 'acl_default_policy' || key === 'acl_down_policy') return 'deny';
  if (key === 'acl_ttl') return 30_000;
  return `value-of-${key}`;
}

for (const entry of DEPRECATED_KEYS) {
  test(`${entry.key} is mapped as Consul maps it, with Consul's deprecation warning`, () => {
    const source: ConfigObject = {};
    setPath(source, entry.key, sampleValue(entry.key));
    const mapped = applyDeprecatedKeys(source);
    assert.equal(getPath(mapped.config, entry.key), undefined);
    assert.equal(mapped.warnings.length, 1);
    if (entry.warning === undefined) {
      assert.ok(
        mapped.warnings[0].startsWith(
          `The '${entry.key}' field is deprecated. Use the '${entry.replacement}' field instead.`,
        ),
        mapped.warnings[0],
      );
    } else {
      assert.equal(mapped.warnings[0], entry.warning);
    }
    const moved = getPath(mapped.config, entry.replacement);
    if (entry.carry === 'drop') assert.equal(moved, undefined);
    else assert.deepEqual(moved, sampleValue(entry.key));
    for (const [path, implied] of Object.entries(entry.implies ?? {})) {
      assert.equal(getPath(mapped.config, path), implied);
    }
  });
}

test('the table covers every deprecated key the issue lists', () => {
  const listed = [
    'acl_datacenter',
    'acl_master_token',
    'acl_agent_master_token',
    'acl_agent_token',
    'acl_token',
    'acl_default_policy',
    'acl_down_policy',
    'acl_ttl',
    'acl_replication_token',
    'enable_acl_replication',
    'acl_enable_key_list_policy',
    'ca_file',
    'ca_path',
    'cert_file',
    'key_file',
    'verify_incoming',
    'verify_incoming_rpc',
    'verify_incoming_https',
    'verify_outgoing',
    'verify_server_hostname',
    'tls_min_version',
    'tls_cipher_suites',
    'raft_boltdb',
  ];
  const known = new Set(DEPRECATED_KEYS.map((entry) => entry.key));
  assert.deepEqual(
    listed.filter((key) => !known.has(key)),
    [],
  );
});

test('within one source the new key wins over the deprecated one, as in Consul', () => {
  const mapped = applyDeprecatedKeys({ acl_token: 'old', acl: { tokens: { default: 'new' } } });
  assert.equal(getPath(mapped.config, 'acl.tokens.default'), 'new');
  assert.equal(getPath(mapped.config, 'acl_token'), undefined);
});

test('a deprecated key in a later file overrides the new key of an earlier file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-deprecated-'));
  try {
    writeFileSync(join(dir, 'a.hcl'), 'acl { token_ttl = "10s" }');
    writeFileSync(join(dir, 'b.hcl'), 'acl_ttl = "45s"');
    const { config } = load(['-dev', '-config-dir', dir]);
    assert.equal(getPath(config.merged, 'acl.token_ttl'), 45_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('acl_datacenter moves to primary_datacenter and enables ACLs', () => {
  const { config } = loadFile('legacy.hcl', 'acl_datacenter = "dc1"');
  assert.equal(getPath(config.merged, 'primary_datacenter'), 'dc1');
  assert.equal(config.acl.enabled, true);
});

test('acl_replication_token also turns token replication on, which is inert while ACLs are off', () => {
  const { config, warnings } = loadFile('r.hcl', 'acl_replication_token = "secret"');
  assert.equal(getPath(config.merged, 'acl.enable_token_replication'), true);
  assert.equal(config.acl.tokens.replication, 'secret');
  assert.equal(config.acl.enabled, false);
  assert.match(warnings.join('\n'), /The 'acl_replication_token' field is deprecated/);
});

test('the legacy ACL token keys are accepted as inert tokens while ACLs are off', () => {
  const { config, warnings } = loadFile(
    'tokens.hcl',
    [
      'acl_master_token = "m"',
      'acl_agent_master_token = "am"',
      'acl_agent_token = "a"',
      'acl_token = "d"',
      'acl_down_policy = "allow"',
      'acl_enable_key_list_policy = true',
      'enable_acl_replication = false',
    ].join('\n'),
  );
  assert.deepEqual(config.acl.tokens, {
    initial_management: 'm',
    agent_recovery: 'am',
    agent: 'a',
    default: 'd',
  });
  assert.equal(config.acl.downPolicy, 'allow');
  assert.equal(warnings.length, 7);
  assert.ok(warnings.every((w) => w.includes('tokens.hcl')));
});

test('acl_default_policy = "deny" is accepted with a warning that nothing is denied', () => {
  const { config, warnings } = loadFile('p.hcl', 'acl_default_policy = "deny"');
  assert.equal(config.acl.defaultPolicy, 'deny');
  assert.match(
    warnings.join('\n'),
    /p\.hcl: acl_default_policy \(sets acl\.default_policy\) = "deny" has no effect while acl\.enabled is false/,
  );
});

test('a top-level TLS file that cannot be read is refused naming the key the user wrote', () => {
  for (const key of ['ca_file', 'cert_file']) {
    const other = key === 'cert_file' ? 'key_file' : 'cert_file';
    const text =
      key === 'ca_file'
        ? `${key} = "/nonexistent.pem"`
        : `${key} = "/nonexistent.pem"\n${other} = "/nonexistent.pem"`;
    assert.throws(
      () => loadFile('tls.hcl', text),
      new RegExp(
        `tls\\.hcl: ${key} \\(sets tls\\.defaults\\.${key}\\): cannot read /nonexistent\\.pem`,
      ),
      key,
    );
  }
});

test('a top-level verify_* key without a CA is refused naming the key the user wrote', () => {
  for (const key of [
    'verify_incoming_rpc',
    'verify_incoming_https',
    'verify_outgoing',
    'verify_server_hostname',
  ]) {
    assert.throws(
      () => loadFile('tls.hcl', `${key} = true`),
      new RegExp(`tls\\.hcl: ${key} \\(sets tls\\.[a-z_]+\\.[a-z_]+ = true\\).*no CA certificates`),
      key,
    );
  }
});

test('verify_* = false asks for no TLS and is accepted with the deprecation warning', () => {
  const { warnings } = loadFile('off.hcl', 'verify_incoming = false\nverify_outgoing = false');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^The 'verify_incoming' field is deprecated\./);
});

test('raft_boltdb is accepted with a warning that it has no effect on the SQLite log', () => {
  const { warnings } = loadFile('raft.hcl', 'raft_boltdb { no_freelist_sync = true }');
  assert.equal(warnings.length, 1);
  assert.ok(
    warnings[0].startsWith(
      "The 'raft_boltdb' field is deprecated. Use the 'raft_logstore.boltdb' field instead. It has no effect here: Consulate keeps its Raft log in SQLite, not BoltDB.",
    ),
    warnings[0],
  );
  assert.match(warnings[0], /raft\.hcl\)$/);
});

test('start_join joins through retry_join', () => {
  const { config } = loadFile('join.hcl', 'start_join = ["10.0.0.2"]');
  assert.deepEqual(config.retryJoin, ['10.0.0.2']);
});

test("the top-level ui key becomes ui_config.enabled with Consul's warning", () => {
  const { config, warnings } = loadFile('ui.hcl', 'ui = true');
  assert.equal(config.ui, true);
  assert.match(warnings[0], /^The 'ui' field is deprecated\. Use the 'ui_config\.enabled' field/);
});
