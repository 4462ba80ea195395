import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, parseAgentArgs, type LoadedAgentConfig } from './load';

function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-config-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function load(argv: string[]): LoadedAgentConfig {
  return loadAgentConfig(parseAgentArgs(argv), { hostname: 'test-host' });
}

test('-dev gives an in-memory bootstrapped server on loopback with debug logs', () => {
  const { config } = load(['-dev']);
  assert.equal(config.dev, true);
  assert.equal(config.server, true);
  assert.equal(config.bootstrap, true);
  assert.equal(config.dataDir, null);
  assert.equal(config.bindAddr, '127.0.0.1');
  assert.equal(config.advertiseAddr, '127.0.0.1');
  assert.deepEqual(config.clientAddr, ['127.0.0.1']);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.prettyJson, true);
  // As Consul's -dev: the UI is on, under /ui/.
  assert.equal(config.ui, true);
  assert.deepEqual(config.uiConfig, { contentPath: '/ui/', dir: null });
  assert.equal(config.nodeName, 'test-host');
  assert.match(config.nodeId, /^[0-9a-f-]{36}$/);
  assert.equal(config.ports.http, 8500);
  assert.equal(config.ports.grpc, 8502);
  assert.equal(config.defaultQueryTimeMs, 300_000);
  assert.equal(config.tombstoneTtlMs, 15 * 60_000);
  assert.equal(config.limits.kvMaxValueSize, 524288);
});

test('a non-dev agent without a data dir is refused as Consul does', () => {
  assert.throws(
    () => load(['-server']),
    /^ConfigError: data_dir cannot be empty$|data_dir cannot be empty/,
  );
});

test('the node ID is generated once and kept in the data dir', () => {
  withTempDir((dir) => {
    const first = load(['-server', '-bootstrap', '-data-dir', dir]).config.nodeId;
    assert.equal(readFileSync(join(dir, 'node-id'), 'utf8'), first);
    assert.equal(load(['-server', '-data-dir', dir]).config.nodeId, first);
  });
});

test('JSON and HCL files give the same configuration', () => {
  withTempDir((dir) => {
    writeFileSync(
      join(dir, 'a.hcl'),
      [
        '# a comment',
        'datacenter = "East"',
        '// another comment',
        'ports { http = 9500 }',
        'node_meta = { rack = "r1" }',
        'service { name = "web" port = 80 check { tcp = "localhost:80" interval = "10s" } }',
        'service { name = "db" }',
        'limits { kv_max_value_size = 1024 }',
        'default_query_time = "1m"',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({
        Datacenter: 'East',
        ports: { HTTP: 9500 },
        node_meta: { rack: 'r1' },
        service: [
          { name: 'web', port: 80, check: { tcp: 'localhost:80', interval: '10s' } },
          { name: 'db' },
        ],
        limits: { kv_max_value_size: 1024 },
        default_query_time: '1m',
      }),
    );
    const fromHcl = load(['-dev', '-config-file', join(dir, 'a.hcl')]).config;
    const fromJson = load(['-dev', '-config-file', join(dir, 'a.json')]).config;
    for (const config of [fromHcl, fromJson]) {
      assert.equal(config.datacenter, 'east');
      assert.equal(config.ports.http, 9500);
      assert.equal(config.ports.dns, 8600);
      assert.deepEqual(config.nodeMeta, { rack: 'r1' });
      assert.equal(config.limits.kvMaxValueSize, 1024);
      assert.equal(config.limits.txnMaxReqLen, 524288);
      assert.equal(config.defaultQueryTimeMs, 60_000);
      assert.deepEqual(config.services, [
        { name: 'web', port: 80, check: { tcp: 'localhost:80', interval: '10s' } },
        { name: 'db' },
      ]);
    }
  });
});

test('sources merge in order: files, then -hcl, then flags; lists append, maps merge', () => {
  withTempDir((dir) => {
    const confDir = join(dir, 'conf.d');
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, '10-base.json'),
      '{"datacenter":"one","recursors":["1.1.1.1"],"node_meta":{"a":"1"}}',
    );
    writeFileSync(
      join(confDir, '20-over.hcl'),
      'datacenter = "two"\nrecursors = ["8.8.8.8"]\nnode_meta { b = "2" }',
    );
    writeFileSync(join(confDir, 'README.md'), 'not config');
    const extra = join(dir, 'extra.json');
    writeFileSync(extra, '{"datacenter":"three","services":[{"name":"x"}]}');
    const { config, warnings } = load([
      '-dev',
      '-config-dir',
      confDir,
      '-config-file',
      extra,
      '-hcl',
      'log_level = "warn"',
      '-recursor',
      '9.9.9.9',
      '-node-meta',
      'c:3',
    ]);
    assert.equal(config.datacenter, 'three');
    assert.deepEqual(config.recursors, ['1.1.1.1', '8.8.8.8', '9.9.9.9']);
    assert.deepEqual(config.nodeMeta, { a: '1', b: '2', c: '3' });
    assert.equal(config.logLevel, 'warn');
    assert.deepEqual(config.configSources, [
      join(confDir, '10-base.json'),
      join(confDir, '20-over.hcl'),
      extra,
    ]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /skipping file .*README\.md/);

    const flagWins = load(['-dev', '-config-dir', confDir, '-datacenter', 'four']).config;
    assert.equal(flagWins.datacenter, 'four');
  });
});

test('a file given after a dir on the command line is applied after it, and vice versa', () => {
  withTempDir((dir) => {
    const confDir = join(dir, 'd');
    mkdirSync(confDir);
    writeFileSync(join(confDir, 'x.json'), '{"datacenter":"from-dir"}');
    const file = join(dir, 'f.json');
    writeFileSync(file, '{"datacenter":"from-file"}');
    assert.equal(
      load(['-dev', '-config-file', file, '-config-dir', confDir]).config.datacenter,
      'from-dir',
    );
    assert.equal(
      load(['-dev', '-config-dir', confDir, '-config-file', file]).config.datacenter,
      'from-file',
    );
  });
});

test('an unknown key is an error naming the file and the key path', () => {
  withTempDir((dir) => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, '{"ports":{"htp":8500}}');
    assert.throws(() => load(['-dev', '-config-file', file]), {
      message: `failed to parse ${file}: invalid config key ports.htp`,
    });
    const hclFile = join(dir, 'typo.hcl');
    writeFileSync(hclFile, 'datacentre = "x"');
    assert.throws(() => load(['-dev', '-config-file', hclFile]), {
      message: `failed to parse ${hclFile}: invalid config key datacentre`,
    });
  });
});

test('invalid values name the file, the key path and the value', () => {
  withTempDir((dir) => {
    const file = join(dir, 'bad.hcl');
    writeFileSync(file, 'ports {\n  http = "abc"\n}\n');
    assert.throws(() => load(['-dev', '-config-file', file]), {
      message: `failed to parse ${file}: ports.http: invalid port "abc"`,
    });
    writeFileSync(file, 'max_query_time = "10"');
    assert.throws(
      () => load(['-dev', '-config-file', file]),
      /max_query_time: invalid duration "10"/,
    );
    writeFileSync(file, 'server = "maybe"');
    assert.throws(() => load(['-dev', '-config-file', file]), /server: invalid bool "maybe"/);
    writeFileSync(file, 'log_level = "loud"');
    assert.throws(() => load(['-dev', '-config-file', file]), /log_level: invalid value "loud"/);
    writeFileSync(file, 'services = [{ port = 80 }]');
    assert.throws(() => load(['-dev', '-config-file', file]), /services\[0\]: missing name/);
  });
});

test('syntax errors name the file and the line', () => {
  withTempDir((dir) => {
    const hclFile = join(dir, 'broken.hcl');
    writeFileSync(hclFile, 'datacenter = "dc2"\nports {\n  http = \n}\n');
    assert.throws(
      () => load(['-dev', '-config-file', hclFile]),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`^failed to parse ${hclFile}: line \\d+, column \\d+: `),
        );
        return true;
      },
    );
    const jsonFile = join(dir, 'broken.json');
    writeFileSync(jsonFile, '{\n  "datacenter": "dc2",\n  "ports": }\n');
    assert.throws(
      () => load(['-dev', '-config-file', jsonFile]),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`^failed to parse ${jsonFile}: line 3, column \\d+: `),
        );
        return true;
      },
    );
  });
});

test('cross-key rules follow Consul', () => {
  assert.throws(
    () => load(['-dev', '-node-id', 'not-a-uuid']),
    /node_id: invalid UUID "not-a-uuid"/,
  );
  assert.throws(() => load(['-dev', '-datacenter', 'dc 1']), /datacenter: invalid value/);
  assert.throws(() => load(['-dev', 'extra']), /unexpected argument "extra"/);
});

test("log levels are matched case-insensitively, with Consul's ERR and WARNING spellings", () => {
  assert.equal(load(['-dev', '-log-level', 'ERR']).config.logLevel, 'error');
  assert.equal(load(['-dev', '-log-level', 'Warning']).config.logLevel, 'warn');
  assert.equal(load(['-dev', '-log-level', 'TRACE']).config.logLevel, 'trace');
});

test('the deprecated -dc flag works with a warning; port 0 is accepted', () => {
  const { config, warnings } = load(['-dev', '-dc', 'west', '-http-port', '0', '-dns-port=0']);
  assert.equal(config.datacenter, 'west');
  assert.equal(config.ports.http, 0);
  assert.equal(config.ports.dns, 0);
  assert.deepEqual(warnings, ['The -dc flag is deprecated. Use -datacenter instead']);
});

test('Consul keys this build honours are accepted and typed', () => {
  const hcl = [
    'primary_datacenter = "dc1"',
    'addresses { http = "127.0.0.2 127.0.0.3" }',
    'performance { rpc_hold_timeout = "3s" }',
    'limits { rpc_handshake_timeout = "2s" }',
    'ui_config { enabled = true }',
    'dns_config { allow_stale = true max_stale = "87600h" service_ttl { "*" = "5s" } soa { min_ttl = 0 } }',
    'limits { txn_max_req_len = 2048 http_max_conns_per_client = 200 }',
    'acl { down_policy = "deny" token_ttl = "30s" tokens { agent = "t" } }',
    'performance { raft_multiplier = 1 }',
    'enable_script_checks = true',
    'check_update_interval = "5m"',
    'http_config { response_headers { "Access-Control-Allow-Origin" = "*" } }',
    'watches = [{ type = "key" key = "a" args = ["/bin/true"] }]',
    'disable_host_node_id = true',
    'auto_reload_config = true',
    'consulate { tombstone_ttl = "2s" }',
    'check { name = "mem" ttl = "30s" }',
  ].join('\n');
  const { config } = load(['-dev', '-hcl', hcl]);
  assert.deepEqual(config.addresses, {
    http: ['127.0.0.2', '127.0.0.3'],
    https: null,
    dns: null,
  });
  assert.equal(config.rpcHoldTimeoutMs, 3000);
  assert.equal(config.limits.rpcHandshakeTimeoutMs, 2000);
  assert.equal(config.ui, true);
  assert.equal(config.acl.enabled, false);
  assert.equal(config.acl.downPolicy, 'deny');
  assert.deepEqual(config.acl.tokens, { agent: 't' });
  assert.equal(config.enableScriptChecks, true);
  assert.deepEqual(config.httpConfig.responseHeaders, { 'Access-Control-Allow-Origin': '*' });
  assert.equal(config.watches.length, 1);
  assert.equal(config.tombstoneTtlMs, 2000);
  assert.equal(config.limits.txnMaxReqLen, 2048);
  assert.deepEqual(config.checks, [{ name: 'mem', ttl: '30s' }]);
  assert.deepEqual((config.merged.dns_config as Record<string, unknown>).service_ttl, {
    '*': 5000,
  });
});

test("ui_config.content_path is trimmed and wrapped in slashes as Consul's", () => {
  const { config } = load(['-dev', '-ui-content-path', 'consul/ui']);
  assert.equal(config.uiConfig.contentPath, '/consul/ui/');
  assert.throws(
    () => load(['-dev', '-hcl', 'ui_config { content_path = "/v1/ui" }']),
    /ui_config\.content_path: "\/v1\/ui" would hide the HTTP API/,
  );
});

test('ui_config.dir turns the UI on and names the directory', () => {
  const { config } = load(['-dev', '-hcl', 'ui_config { enabled = false dir = "/srv/ui" }']);
  assert.equal(config.ui, true);
  assert.equal(config.uiConfig.dir, '/srv/ui');
});

test('Consul keys for features not built yet are refused, each named with the reason', () => {
  for (const [hcl, reason] of [
    ['performance { leave_drain_time = "5s" }', /leave_drain_time = .*draining RPC/],
    [
      'telemetry { statsd_address = "127.0.0.1:8125" }',
      /telemetry\.statsd_address.*statsd, statsite or DogStatsD is not available/,
    ],
    ['limits { rpc_rate = 100 }', /limits\.rpc_rate = 100: RPC rate limiting/],
    ['disable_remote_exec = false', /disable_remote_exec = false: remote execution/],
    ['dns_config { use_cache = true }', /dns_config\.use_cache = true: the agent cache/],
  ] as const) {
    assert.throws(() => load(['-dev', '-hcl', hcl]), reason, hcl);
  }
});

test('the gossip settings are honoured: joins, retries, binds, rejoin, encryption checks, tuning', () => {
  const { config } = load([
    '-dev',
    '-retry-join',
    '10.0.0.1',
    '-join',
    '10.0.0.2:8311',
    '-retry-interval',
    '5s',
    '-retry-max',
    '3',
    '-serf-lan-bind',
    '127.0.0.7',
    '-rejoin',
    '-hcl',
    'reconnect_timeout = "9h"\nleave_on_terminate = true\nencrypt_verify_incoming = false\ngossip_lan { probe_interval = "500ms" }',
  ]);
  assert.deepEqual(config.retryJoin, ['10.0.0.1', '10.0.0.2:8311']);
  assert.equal(config.gossip.retryIntervalMs, 5000);
  assert.equal(config.gossip.retryMax, 3);
  assert.equal(config.gossip.lanBind, '127.0.0.7');
  assert.equal(config.gossip.rejoinAfterLeave, true);
  assert.equal(config.gossip.encryptVerifyIncoming, false);
  assert.equal(config.gossip.encryptVerifyOutgoing, true);
  assert.equal(config.gossip.lanTuning.probeIntervalMs, 500);
  assert.equal(config.gossip.wanTuning.probeIntervalMs, null);
  assert.equal(config.reconnectTimeoutMs, 9 * 3_600_000);
  assert.equal(config.leaveOnTerminate, true);
  // Sessions are built: session_ttl_min is honoured.
  assert.equal(load(['-dev', '-hcl', 'session_ttl_min = "1s"']).config.sessionTtlMinMs, 1000);
  // Consul's own default for reconnect_timeout asks for nothing.
  assert.equal(load(['-dev']).config.reconnectTimeoutMs, 72 * 3_600_000);
});

test('a reconnect_timeout below 8h is refused for its value first', () => {
  assert.throws(
    () => load(['-dev', '-hcl', 'reconnect_timeout = "1h"']),
    /reconnect_timeout: 1h is below the minimum of 8h/,
  );
});

test('the example config.d loads, HCL and JSON agreeing, with its three services', () => {
  withTempDir((dir) => {
    const exampleDir = join(__dirname, '..', '..', '..', 'config.d');
    const { config, warnings } = load(['-config-dir', exampleDir, '-data-dir', dir]);
    assert.deepEqual(warnings, ['bootstrap = true: do not enable unless necessary']);
    assert.equal(config.configSources.length, 5);
    assert.deepEqual(
      config.serviceDefinitions.map((s) => [s.admitted.service.id, s.admitted.checks[0].type]),
      [
        ['redis', 'tcp'],
        ['web-1', 'http'],
        ['worker', 'ttl'],
      ],
    );
    assert.equal(config.server, true);
    assert.equal(config.bootstrap, true);
    assert.equal(config.ports.http, 8500);
    assert.equal(config.logLevel, 'info');
  });
});

test("-dev -bootstrap-expect 1 is bootstrap mode with Consul's warnings", () => {
  const { config, warnings } = load(['-dev', '-bootstrap-expect', '1']);
  assert.equal(config.bootstrap, true);
  assert.equal(config.bootstrapExpect, 0);
  assert.deepEqual(warnings, [
    'BootstrapExpect is set to 1; this is the same as Bootstrap mode.',
    'bootstrap = true: do not enable unless necessary',
  ]);
});

test('-server -bootstrap-expect=1 with a data dir starts in bootstrap mode', () => {
  withTempDir((dir) => {
    const { config, warnings } = load(['-server', '-bootstrap-expect=1', '-data-dir', dir]);
    assert.equal(config.bootstrap, true);
    assert.equal(config.bootstrapExpect, 0);
    assert.equal(warnings[0], 'BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
  });
});

test('bootstrap_expect = 1 without server mode is refused as bootstrap without server', () => {
  withTempDir((dir) => {
    assert.throws(
      () => load(['-bootstrap-expect', '1', '-data-dir', dir]),
      /'bootstrap = true' requires 'server = true'/,
    );
  });
});

test('bootstrap = true with bootstrap_expect > 1 stays mutually exclusive', () => {
  withTempDir((dir) => {
    assert.throws(
      () => load(['-server', '-bootstrap', '-bootstrap-expect', '3', '-data-dir', dir]),
      /'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive/,
    );
  });
});

test('bootstrap_expect > 1 in -dev is refused as in Consul', () => {
  assert.throws(
    () => load(['-dev', '-bootstrap-expect', '3']),
    /'bootstrap_expect > 0' not allowed in dev mode/,
  );
});

test("bootstrap_expect = 2 gets Consul's fault-tolerance warnings", () => {
  withTempDir((dir) => {
    const { config, warnings } = load(['-server', '-bootstrap-expect', '2', '-data-dir', dir]);
    assert.equal(config.bootstrapExpect, 2);
    assert.deepEqual(warnings, [
      'bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
      'bootstrap_expect > 0: expecting 2 servers',
    ]);
  });
});

test('a client agent refuses retry_join_wan: only servers join the WAN pool', () => {
  withTempDir((dir) => {
    assert.throws(
      () => load(['-retry-join-wan', '127.0.0.1', '-data-dir', dir]),
      /'retry_join_wan' requires 'server = true'/,
    );
    const { config } = load(['-server', '-retry-join-wan', '127.0.0.1', '-data-dir', dir]);
    assert.deepEqual(config.retryJoinWan, ['127.0.0.1']);
  });
});
