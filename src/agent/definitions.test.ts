import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCheckInput, decodeServiceInput, DefinitionDecodeError } from './definition-decode';
import { admitCheck, admitService, DefinitionError } from './definitions';

const options = { source: 'api' as const, scriptChecksAllowed: () => false };

test('keys match case-insensitively and snake_case spellings fill CamelCase fields', () => {
  const input = decodeServiceInput(
    {
      NAME: 'web',
      tagged_addresses: { lan: { address: '10.0.0.1', port: 80 } },
      enable_tag_override: true,
      checks: [
        { ScriptArgs: ['true'], interval: '10s' },
        { tls_skip_verify: true, http: 'http://x', interval: '5s' },
      ],
    },
    'config',
  );
  assert.equal(input.name, 'web');
  assert.equal(input.enableTagOverride, true);
  assert.deepEqual(input.taggedAddresses, { lan: { address: '10.0.0.1', port: 80 } });
  assert.deepEqual(input.checks[0].definition.args, ['true']);
  assert.equal(input.checks[1].definition.tlsSkipVerify, true);
  assert.equal(input.checks[1].definition.interval, 5000);
});

test('snake_case wins over CamelCase when both are given', () => {
  const check = decodeCheckInput(
    {
      Name: 'c',
      TTL: '1s',
      DeregisterCriticalServiceAfter: '1m',
      deregister_critical_service_after: '2m',
    },
    'config',
  );
  assert.equal(check.definition.deregisterCriticalServiceAfter, 120_000);
});

test('unknown fields and wrong types are decode errors naming the path', () => {
  assert.throws(
    () => decodeServiceInput({ Name: 'x', Check: { TTL: '1s', Bogus: 1 } }, 'api'),
    (err: unknown) =>
      err instanceof DefinitionDecodeError &&
      err.path === 'Check.Bogus' &&
      err.message === 'json: unknown field "Bogus"',
  );
  assert.throws(() => decodeServiceInput({ Name: 'x', Port: '80' }, 'api'), DefinitionDecodeError);
  assert.equal(decodeServiceInput({ Name: 'x', Port: '80' }, 'config').port, 80);
  assert.throws(
    () => decodeCheckInput({ Name: 'x', Interval: '10' }, 'api'),
    (err: unknown) => err instanceof DefinitionDecodeError && /missing unit/.test(err.message),
  );
});

test('embedded checks get service:<id>[:n] IDs, default names and the service binding', () => {
  const one = admitService(
    decodeServiceInput({ Name: 'web', ID: 'web-1', Check: { TTL: '1s' } }, 'api'),
    options,
  );
  assert.equal(one.checks[0].definition.id, 'service:web-1');
  assert.equal(one.checks[0].definition.name, "Service 'web' check");
  assert.equal(one.checks[0].definition.serviceId, 'web-1');
  assert.equal(one.checks[0].status, 'critical');
  const two = admitService(
    decodeServiceInput(
      { Name: 'web', Checks: [{ TTL: '1s' }, { TTL: '1s', CheckID: 'mine', Status: 'passing' }] },
      'api',
    ),
    options,
  );
  assert.deepEqual(
    two.checks.map((c) => [c.definition.id, c.status]),
    [
      ['service:web:1', 'critical'],
      ['mine', 'passing'],
    ],
  );
});

test('meta, weights and scripts are refused with Consul texts and codes', () => {
  const refuse = (body: unknown, code: number, text: string | RegExp): void =>
    assert.throws(
      () => admitService(decodeServiceInput(body, 'api'), options),
      (err: unknown) =>
        err instanceof DefinitionError &&
        err.statusCode === code &&
        (typeof text === 'string' ? err.message === text : text.test(err.message)),
    );
  refuse({ Name: 'x', Meta: { 'a b': '1' } }, 400, /Key contains invalid characters$/);
  refuse(
    { Name: 'x', Meta: { k: 'v'.repeat(513) } },
    400,
    /Value is too long \(limit: 512 characters\)$/,
  );
  refuse(
    { Name: 'x', Meta: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) },
    400,
    'Invalid Service Meta: Service metadata cannot contain more than 64 key/value pairs',
  );
  refuse(
    { Name: 'x', Weights: { Passing: 1, Warning: -1 } },
    400,
    'Invalid Weights: Warning must be greater or equal than 0',
  );
  refuse(
    { Name: 'x', Check: { Args: ['true'], Interval: '1s' } },
    500,
    /^Scripts are disabled on this agent from remote calls/,
  );
  refuse(
    { Name: 'x', Check: { H2PING: 'localhost:1', Interval: '1s' } },
    400,
    'Invalid check: H2PING checks are not supported by this agent',
  );
  assert.throws(
    () => admitCheck(decodeCheckInput({ Name: 'c', TTL: '1s', Status: 'ok' }, 'api'), options),
    /Bad check status/,
  );
  assert.equal(
    admitCheck(decodeCheckInput({ Name: 'c', TTL: '1s' }, 'api'), options).definition.id,
    'c',
  );
});
