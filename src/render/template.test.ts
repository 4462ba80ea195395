// The template engine and helpers on in-memory data (the answers a watcher would hold).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RenderContext } from './context';
import {
  catalogServicesDependency,
  healthDependency,
  kvKeyDependency,
  kvPrefixDependency,
  parseServiceSpec,
} from './dependency';
import { decodeHealth, decodeKvPairs, decodeServices } from './decode';
import { CompiledTemplate, TemplateError } from './template';
import type { Answer } from './watcher';

function kvBody(pairs: Record<string, string>): string {
  return JSON.stringify(
    Object.entries(pairs).map(([Key, value]) => ({
      Key,
      Value: value === '' ? null : Buffer.from(value).toString('base64'),
      Flags: 0,
      CreateIndex: 1,
      ModifyIndex: 2,
      LockIndex: 0,
    })),
  );
}

function instance(
  id: string,
  port: number,
  status: string,
  tags: string[] = [],
  weight = 1,
): object {
  return {
    Node: { ID: 'n1', Node: 'node1', Address: '10.0.0.1', Datacenter: 'dc1', Meta: { rack: 'r1' } },
    Service: {
      ID: id,
      Service: 'web',
      Tags: tags,
      Address: port === 81 ? '' : '10.0.0.2',
      Port: port,
      Meta: { version: port === 80 ? 'v1' : 'v2' },
      Weights: { Passing: weight, Warning: 1 },
    },
    Checks: [{ Node: 'node1', CheckID: `service:${id}`, Name: 'c', Status: status }],
  };
}

class Data {
  readonly answers = new Map<string, Answer>();
  set(key: string, value: unknown): this {
    this.answers.set(key, { value, index: 1 });
    return this;
  }
  render(
    text: string,
    options: { strict?: boolean; env?: NodeJS.ProcessEnv } = {},
  ): {
    output: string;
    context: RenderContext;
  } {
    const context = new RenderContext(
      (key) => this.answers.get(key),
      options.strict ?? false,
      options.env ?? {},
    );
    const output = CompiledTemplate.compile(text, 'test.hbs', options.strict ?? false).render(
      context,
    );
    return { output, context };
  }
}

const web = healthDependency({ name: 'web', tags: [], dc: null, passingOnly: true }).key;
const webAll = healthDependency({ name: 'web', tags: [], dc: null, passingOnly: false }).key;

describe('template rendering', () => {
  it('records a dependency with no answer as pending and renders an empty value', () => {
    const { output, context } = new Data().render('[{{key "app/x"}}]');
    assert.equal(output, '[]');
    assert.deepEqual([...context.pending], ['kv:app/x']);
    assert.equal(context.complete, false);
  });

  it('renders key, keyOrDefault and keyExists from answered data', () => {
    const data = new Data().set('kv:a', decodeKvPairs(kvBody({ a: 'one' }))[0]).set('kv:b', null);
    const { output, context } = data.render(
      '{{key "a"}} {{keyOrDefault "b" "dflt"}} {{keyExists "a"}} {{keyExists "b"}}',
    );
    assert.equal(output, 'one dflt true false');
    assert.equal(context.complete, true);
  });

  it('marks an absent key as blocking the write, or fails with error_on_missing_key', () => {
    const data = new Data().set('kv:gone', null);
    assert.equal(data.render('{{key "gone"}}').context.complete, false);
    assert.throws(
      () => data.render('\n{{key "gone"}}', { strict: true }),
      (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.line, 2);
        assert.match(err.message, /^test\.hbs:2: key: key "gone" does not exist/);
        return true;
      },
    );
  });

  it('lists ls (top level only) and tree (recursive) with the prefix stripped', () => {
    const pairs = decodeKvPairs(
      kvBody({ 'cfg/': '', 'cfg/a': '1', 'cfg/b': '2', 'cfg/sub/c': '3', 'cfg/sub/': '' }),
    );
    const data = new Data().set(kvPrefixDependency('cfg/').key, pairs);
    assert.equal(data.render('{{#each (ls "cfg")}}{{Key}}={{Value}};{{/each}}').output, 'a=1;b=2;');
    assert.equal(
      data.render('{{#each (tree "cfg/")}}{{Key}}({{Path}})={{Value}};{{/each}}').output,
      'a(cfg/a)=1;b(cfg/b)=2;sub/c(cfg/sub/c)=3;',
    );
  });

  it('asks for passing instances by default and filters other statuses locally', () => {
    const body = JSON.stringify([
      instance('w1', 80, 'passing', ['v1']),
      instance('w2', 81, 'warning'),
      instance('w3', 82, 'critical'),
    ]);
    const data = new Data()
      .set(web, decodeHealth(body).slice(0, 1))
      .set(webAll, decodeHealth(body));
    const line = '{{#each this}}{{ID}}@{{Address}}:{{Port}}/{{Status}} {{/each}}';
    const wrap = (call: string): string => `{{#with (${call})}}${line}{{/with}}`;
    assert.equal(data.render(wrap('service "web"')).output, 'w1@10.0.0.2:80/passing ');
    assert.equal(
      data.render(wrap('service "web" "passing,warning"')).output,
      'w1@10.0.0.2:80/passing w2@10.0.0.1:81/warning ',
    );
    assert.equal(data.render(wrap('service "web" status="any"')).output.split(' ').length, 4);
  });

  it('keys a tagged, datacenter-qualified service query apart from the plain one', () => {
    assert.deepEqual(parseServiceSpec('v1.web@dc2'), { name: 'web', tag: 'v1', dc: 'dc2' });
    assert.deepEqual(parseServiceSpec('a.b.web'), { name: 'web', tag: 'a.b', dc: null });
    const { context } = new Data().render('{{service "v1.web@dc2"}}{{service "web" tag="x"}}');
    assert.deepEqual(
      [...context.pending],
      ['health:web?passing&tag=v1&dc=dc2', 'health:web?passing&tag=x'],
    );
  });

  it('groups services by tag and by meta value, in sorted order', () => {
    const body = JSON.stringify([
      instance('w1', 80, 'passing', ['b', 'a']),
      instance('w2', 81, 'passing', ['a']),
    ]);
    const data = new Data().set(web, decodeHealth(body));
    assert.equal(
      data.render(
        '{{#each (byTag (service "web"))}}{{@key}}:{{#each this}}{{ID}}{{/each}} {{/each}}',
      ).output,
      'a:w1w2 b:w1 ',
    );
    assert.equal(
      data.render('{{#each (byMeta (service "web") "version")}}{{@key}}={{this.[0].ID}} {{/each}}')
        .output,
      'v1=w1 v2=w2 ',
    );
  });

  it('lists catalog services sorted by name', () => {
    const data = new Data().set(
      catalogServicesDependency().key,
      decodeServices('{"web":["b","a"],"api":[],"consul":[]}'),
    );
    assert.equal(
      data.render('{{#each (services)}}{{Name}}[{{join "," Tags}}] {{/each}}').output,
      'api[] consul[] web[a,b] ',
    );
  });

  it('parses and formats JSON, YAML and CSV', () => {
    const data = new Data();
    assert.equal(data.render(`{{toJSON (parseJSON '{"a":[1,2]}')}}`).output, '{"a":[1,2]}');
    assert.equal(data.render(`{{toJSONPretty (parseJSON '{"a":1}')}}`).output, '{\n  "a": 1\n}');
    assert.equal(
      data.render(`{{#with (parseYAML "a: 1
b: [x, y]")}}{{a}}{{b.[1]}}{{/with}}`).output,
      '1y',
    );
    const csv = 'name,port\n"web, main",80\napi,"8""0"\n';
    const withCsv = new Data().set('kv:csv', decodeKvPairs(kvBody({ csv }))[0]);
    assert.equal(
      withCsv.render('{{#each (parseCSV (key "csv"))}}{{name}}:{{port}};{{/each}}').output,
      'web, main:80;api:8"0;',
    );
  });

  it('splits, joins, sorts, compares and defaults', () => {
    const data = new Data();
    assert.equal(data.render('{{join "|" (split "," "a,b,c")}}').output, 'a|b|c');
    assert.equal(
      data.render(`{{#each (sortBy "n" (parseJSON '[{"n":3},{"n":1},{"n":2}]'))}}{{n}}{{/each}}`)
        .output,
      '123',
    );
    assert.equal(data.render('{{#if (contains "b" (split "," "a,b"))}}yes{{/if}}').output, 'yes');
    assert.equal(
      data.render('{{#if (and (eq 1 1) (not (gt 1 2)) (or false (lt 1 2)) (ne "a" "b"))}}ok{{/if}}')
        .output,
      'ok',
    );
    assert.equal(data.render('{{#eq "a" "b"}}same{{else}}differ{{/eq}}').output, 'differ');
    assert.equal(data.render('{{default "x" ""}}{{default "x" "y"}}').output, 'xy');
  });

  it("matches and replaces with Go's regexp: RE2 syntax, $1 and ${name} expansion", () => {
    const data = new Data();
    assert.equal(
      data.render('{{regexReplaceAll "(?P<svc>[a-z]+)-(\\d+)" "${svc}_$2x" "web-1"}}').output,
      'web_',
    );
    assert.equal(
      data.render('{{regexReplaceAll "(?P<svc>[a-z]+)-(\\d+)" "${svc}_${2}x" "web-1"}}').output,
      'web_1x',
    );
    assert.equal(data.render('{{regexReplaceAll "a*" "-" "baab"}}').output, '-b-b-');
    assert.equal(data.render('{{regexMatch "(?i)^WEB" "web-1"}}').output, 'true');
    assert.equal(
      data.render('{{#regexMatch "^\\d+$" "12a"}}y{{else}}n{{/regexMatch}}').output,
      'n',
    );
  });

  it('refuses a pattern RE2 rejects, naming it and the reason', () => {
    assert.throws(
      () => new Data().render('{{regexMatch "(a)\\1" "aa"}}'),
      /^TemplateError: test\.hbs:1: regexMatch: invalid regular expression "\(a\)\\1": error parsing regexp: invalid escape sequence: `\\1`/,
    );
  });

  it('answers a catastrophic-backtracking pattern at once', { timeout: 10_000 }, () => {
    const text = `${'a'.repeat(40)}!`;
    const data = new Data();
    assert.equal(data.render(`{{regexMatch "^(a+)+$" "${text}"}}`).output, 'false');
    assert.equal(data.render(`{{regexReplaceAll "^(a+)+$" "x" "${text}"}}`).output, text);
  });

  it('encodes base64, replaces by regex, reads the environment and formats timestamps', () => {
    const data = new Data();
    assert.equal(data.render('{{base64Decode (base64Encode "héllo")}}').output, 'héllo');
    assert.equal(
      data.render('{{regexReplaceAll "([a-z]+)-(\\d+)" "$2.$1" "web-1 api-2"}}').output,
      '1.web 2.api',
    );
    assert.equal(data.render('{{env "HOME_X"}}', { env: { HOME_X: '/h' } }).output, '/h');
    assert.match(data.render('{{timestamp}}').output, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(
      data.render('{{timestamp "2006-01-02 15:04"}}').output,
      /^\d{4}-\d\d-\d\d \d\d:\d\d$/,
    );
    assert.match(data.render('{{timestamp "unix"}}').output, /^\d{10}$/);
  });

  it('does not HTML-escape output', () => {
    assert.equal(new Data().render('{{base64Decode "PGE+Jg=="}}').output, '<a>&');
  });

  it('rejects an unknown helper and a syntax error at compile time with file:line', () => {
    assert.throws(
      () => CompiledTemplate.compile('ok\n\n{{nope "x"}}', 'site.hbs', false),
      /^TemplateError: site\.hbs:3: .*unknown helper nope/,
    );
    assert.throws(
      () => CompiledTemplate.compile('a\n{{#each x}}\nb', 'site.hbs', false),
      /^TemplateError: site\.hbs:3: parse error/,
    );
  });

  it('locates a helper failure on the line of the call', () => {
    assert.throws(
      () => new Data().render('line1\nline2 {{parseJSON "{"}}'),
      /^TemplateError: test\.hbs:2: parseJSON: /,
    );
  });

  it('shares one dependency key between equal reads', () => {
    assert.equal(kvKeyDependency('a/b').key, 'kv:a/b');
    assert.equal(kvKeyDependency('a b').path, '/v1/kv/a%20b');
    assert.equal(kvPrefixDependency('p/').key, 'kv-list:p/');
  });
});
