// The shipped templates on in-memory data (what the watcher would hold): their exact output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  catalogServicesDependency,
  CompiledTemplate,
  decodeHealth,
  decodeKvPairs,
  healthDependency,
  kvPrefixDependency,
  RenderContext,
  type Answer,
} from '../../src/render';

const TEMPLATES = join(__dirname, '..', '..', '..', 'templates');

function render(name: string, data: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string {
  const answers = new Map<string, Answer>(
    Object.entries(data).map(([key, value]) => [key, { value, index: 1 }]),
  );
  const context = new RenderContext((key) => answers.get(key), false, env);
  const text = readFileSync(join(TEMPLATES, name), 'utf8');
  const output = CompiledTemplate.compile(text, name, false).render(context);
  assert.equal(context.complete, true, `pending: ${[...context.pending].join(', ')}`);
  return output;
}

const health = (service: string, instances: Array<[string, number, string[], number]>): unknown =>
  decodeHealth(
    JSON.stringify(
      instances.map(([id, port, tags, weight]) => ({
        Node: { Node: 'n1', Address: '10.0.0.9' },
        Service: {
          ID: id,
          Service: service,
          Port: port,
          Tags: tags,
          Address: '10.0.0.1',
          Weights: { Passing: weight, Warning: 1 },
        },
        Checks: [{ CheckID: 'c', Status: 'passing' }],
      })),
    ),
  );

const passing = (name: string): string =>
  healthDependency({ name, tags: [], dc: null, passingOnly: true }).key;

const kv = (pairs: Record<string, string>): unknown =>
  decodeKvPairs(
    JSON.stringify(
      Object.entries(pairs).map(([Key, v]) => ({ Key, Value: Buffer.from(v).toString('base64') })),
    ),
  );

describe('shipped templates', () => {
  const services = catalogServicesDependency().key;

  it('nginx upstreams: a server line per passing instance, a down placeholder otherwise', () => {
    const output = render('nginx-upstreams.conf.tmpl', {
      [services]: [
        { Name: 'api', Tags: [] },
        { Name: 'consul', Tags: [] },
        { Name: 'web', Tags: ['http'] },
      ],
      [passing('api')]: [],
      [passing('web')]: health('web', [
        ['w1', 8001, [], 3],
        ['w2', 8002, [], 1],
      ]),
    });
    assert.equal(
      output,
      `# Rendered by consulate render from templates/nginx-upstreams.conf.tmpl: edits will be overwritten.
upstream api {
    # no passing instance of api: placeholder so that nginx keeps running
    server 127.0.0.1:65535 down;
}

upstream web {
    server 10.0.0.1:8001 weight=3;
    server 10.0.0.1:8002 weight=1;
}

`,
    );
  });

  it('nginx upstreams by tag: one upstream per tag, sorted', () => {
    const output = render(
      'nginx-upstreams-by-tag.conf.tmpl',
      {
        [passing('shop')]: health('shop', [
          ['a', 1, ['v1', 'blue'], 1],
          ['b', 2, ['v2'], 2],
        ]),
      },
      { UPSTREAM_SERVICE: 'shop' },
    );
    assert.match(output, /upstream shop_blue \{\n {4}server 10\.0\.0\.1:1 weight=1;\n\}/);
    assert.match(output, /upstream shop_v1 \{\n {4}server 10\.0\.0\.1:1 weight=1;\n\}/);
    assert.match(output, /upstream shop_v2 \{\n {4}server 10\.0\.0\.1:2 weight=2;\n\}/);
    assert.ok(output.indexOf('shop_blue') < output.indexOf('shop_v1'));
    const none = render('nginx-upstreams-by-tag.conf.tmpl', { [passing('web')]: [] });
    assert.match(none, /upstream web_none \{\n {4}server 127\.0\.0\.1:65535 down;\n\}/);
  });

  it('nginx site: a location per service tagged http', () => {
    const output = render(
      'nginx-site.conf.tmpl',
      {
        [services]: [
          { Name: 'admin', Tags: [] },
          { Name: 'web', Tags: ['http'] },
        ],
      },
      { NGINX_LISTEN: '8080' },
    );
    assert.match(output, /listen 8080;/);
    assert.match(output, /location \/web\/ \{\n {8}proxy_pass http:\/\/web\/;/);
    assert.doesNotMatch(output, /admin/);
  });

  it('haproxy backends: servers with weights, a disabled placeholder when none pass', () => {
    const output = render('haproxy-backends.cfg.tmpl', {
      [services]: [
        { Name: 'api', Tags: [] },
        { Name: 'web', Tags: [] },
      ],
      [passing('api')]: [],
      [passing('web')]: health('web', [['web:1', 80, [], 5]]),
    });
    assert.match(
      output,
      /backend be_api\n {4}balance roundrobin\n {4}# no passing instance of api[^\n]*\n {4}server placeholder 127\.0\.0\.1:65535 disabled\n/,
    );
    assert.match(
      output,
      /backend be_web\n {4}balance roundrobin\n {4}server web:1 10\.0\.0\.1:80 weight 5\n/,
    );
  });

  it('app settings: valid JSON and a .env file from a KV prefix', () => {
    const data = {
      [kvPrefixDependency('app/config/').key]: kv({
        'app/config/db/host': 'db.local',
        'app/config/greeting': 'say "hi"\n',
        'app/config/feature-x': 'on',
      }),
    };
    assert.deepEqual(JSON.parse(render('app-settings.json.tmpl', data)), {
      'db/host': 'db.local',
      greeting: 'say "hi"\n',
      'feature-x': 'on',
    });
    const env = render('app-settings.env.tmpl', data);
    assert.match(env, /^DB_HOST="db\.local"$/m);
    assert.match(env, /^GREETING="say \\"hi\\"\\n"$/m);
    assert.match(env, /^FEATURE_X="on"$/m);
  });
});
