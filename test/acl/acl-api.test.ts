// The /v1/acl API on real HTTP: bootstrap once (and again through acl-bootstrap-reset), tokens,
// policies and roles in Consul's shapes and texts, token/self, the npm `consul` client with a
// token, ACL state kept across a restart, and 401 while ACLs are off.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { startTestAgent } from '../http/harness';
import { MANAGEMENT, startAclAgent, type AclAgent } from './harness';

type Row = Record<string, unknown>;

const json = <T = Row>(text: string): T => JSON.parse(text) as T;

describe('bootstrap', () => {
  let dir: string;
  let t: AclAgent;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'consulate-acl-'));
    t = await startAclAgent(`data_dir = "${dir}"`, false);
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works once, then answers 403 with the reset index', async () => {
    const first = await t.as(null, 'PUT', '/v1/acl/bootstrap');
    assert.equal(first.status, 200, first.text);
    const token = json(first.text);
    assert.equal(token.Description, 'Bootstrap Token (Global Management)');
    assert.equal(token.ID, token.SecretID);
    assert.deepEqual(token.Policies, [
      { ID: '00000000-0000-0000-0000-000000000001', Name: 'global-management' },
    ]);
    assert.equal(token.Local, false);
    const second = await t.as(null, 'PUT', '/v1/acl/bootstrap');
    assert.equal(second.status, 403);
    assert.match(
      second.text,
      /^Permission denied: ACL bootstrap no longer allowed \(reset index: \d+\)$/,
    );
    // The bootstrap token manages everything.
    const secret = token.SecretID as string;
    assert.equal((await t.as(secret, 'PUT', '/v1/kv/anything', 'x')).status, 200);
  });

  it('works again once the reset index is written into acl-bootstrap-reset', async () => {
    const refused = await t.as(null, 'PUT', '/v1/acl/bootstrap');
    const index = /reset index: (\d+)/.exec(refused.text)?.[1];
    assert.ok(index !== undefined, refused.text);
    writeFileSync(join(dir, 'acl-bootstrap-reset'), `${index}\n`);
    const again = await t.as(null, 'PUT', '/v1/acl/bootstrap');
    assert.equal(again.status, 200, again.text);
    assert.equal((await t.as(null, 'PUT', '/v1/acl/bootstrap')).status, 403);
  });

  it('keeps tokens and policies across a restart', async () => {
    const secret = '1b7e3c6c-7a1a-4a43-9d7e-2a0c5a1e0f01';
    // The bootstrap token of the first test manages (read from the store).
    const management = t.agent.store.acl
      .tokens()
      .value.find((row) => row.description.startsWith('Bootstrap Token'));
    assert.ok(management !== undefined);
    const created = await t.as(management.secretId, 'PUT', '/v1/acl/token', {
      SecretID: secret,
      Description: 'survives',
      Policies: [{ Name: 'global-management' }],
    });
    assert.equal(created.status, 200, created.text);
    await t.stop();
    t = await startAclAgent(`data_dir = "${dir}"`, false);
    const self = await t.as(secret, 'GET', '/v1/acl/token/self');
    assert.equal(self.status, 200, self.text);
    assert.equal(json(self.text).Description, 'survives');
  });
});

describe('tokens, policies and roles', () => {
  let t: AclAgent;
  before(async () => {
    t = await startAclAgent();
  });
  after(() => t.stop());

  it('the initial management token exists and bootstrap is already done', async () => {
    const self = json((await t.as(MANAGEMENT, 'GET', '/v1/acl/token/self')).text);
    assert.equal(self.Description, 'Initial Management Token');
    assert.equal((await t.as(null, 'PUT', '/v1/acl/bootstrap')).status, 403);
  });

  it('creates, reads, lists, updates and deletes a policy', async () => {
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: 'kv-app',
      Description: 'app keys',
      Rules: 'key_prefix "app/" { policy = "write" }',
    });
    assert.equal(created.status, 200, created.text);
    const policy = json(created.text);
    assert.equal(policy.Name, 'kv-app');
    assert.equal(typeof policy.Hash, 'string');
    const byName = json((await t.as(MANAGEMENT, 'GET', '/v1/acl/policy/name/kv-app')).text);
    assert.equal(byName.ID, policy.ID);
    const list = json<Row[]>((await t.as(MANAGEMENT, 'GET', '/v1/acl/policies')).text);
    const entry = list.find((row) => row.ID === policy.ID);
    assert.ok(entry !== undefined && entry.Rules === undefined);
    assert.ok(list.some((row) => row.Name === 'global-management'));
    const updated = await t.as(MANAGEMENT, 'PUT', `/v1/acl/policy/${String(policy.ID)}`, {
      Name: 'kv-app',
      Rules: 'key_prefix "app/" { policy = "read" }',
    });
    assert.equal(json(updated.text).Rules, 'key_prefix "app/" { policy = "read" }');
    const deleted = await t.as(MANAGEMENT, 'DELETE', `/v1/acl/policy/${String(policy.ID)}`);
    assert.equal(deleted.text.trim(), 'true');
    const gone = await t.as(MANAGEMENT, 'GET', `/v1/acl/policy/${String(policy.ID)}`);
    assert.equal(gone.status, 403);
    assert.equal(gone.text, 'ACL not found');
  });

  it('refuses bad policies with 400 naming the problem', async () => {
    const bad = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: 'bad',
      Rules: 'key "a" { policy = "sudo" }',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Invalid key policy: key "a" \{ policy = "sudo" \}/);
    const noName = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', { Rules: '' });
    assert.equal(noName.text, 'Invalid Policy: no Name is set');
    const unknown = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', { Name: 'x', Bogus: 1 });
    assert.equal(unknown.text, 'Request decode failed: json: unknown field "Bogus"');
    const dup = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', { Name: 'global-management' });
    assert.equal(dup.status, 400);
    const builtin = await t.as(
      MANAGEMENT,
      'DELETE',
      '/v1/acl/policy/00000000-0000-0000-0000-000000000001',
    );
    assert.equal(builtin.status, 400);
  });

  it('a token gets the rules of its roles, and loses them when deleted', async () => {
    await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: 'read-web',
      Rules: 'key_prefix "web/" { policy = "write" }',
    });
    const role = await t.as(MANAGEMENT, 'PUT', '/v1/acl/role', {
      Name: 'web-role',
      Policies: [{ Name: 'read-web' }],
    });
    assert.equal(role.status, 200, role.text);
    const roleId = json(role.text).ID as string;
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', {
      Description: 'web',
      Roles: [{ Name: 'web-role' }],
    });
    const token = json(created.text);
    assert.deepEqual(token.Roles, [{ ID: roleId, Name: 'web-role' }]);
    const secret = token.SecretID as string;
    assert.equal((await t.as(secret, 'PUT', '/v1/kv/web/a', 'x')).status, 200);
    assert.equal((await t.as(secret, 'PUT', '/v1/kv/other', 'x')).status, 403);
    const read = json(
      (await t.as(MANAGEMENT, 'GET', `/v1/acl/token/${String(token.AccessorID)}`)).text,
    );
    assert.equal(read.SecretID, secret);
    const listed = json<Row[]>(
      (await t.as(MANAGEMENT, 'GET', `/v1/acl/tokens?role=${roleId}`)).text,
    );
    assert.deepEqual(
      listed.map((row) => row.AccessorID),
      [token.AccessorID],
    );
    const deleted = await t.as(MANAGEMENT, 'DELETE', `/v1/acl/token/${String(token.AccessorID)}`);
    assert.equal(deleted.text.trim(), 'true');
    const after = await t.as(secret, 'PUT', '/v1/kv/web/a', 'x');
    assert.equal(after.status, 403);
    assert.equal(after.text, 'ACL not found');
  });

  it('clones a token with a new accessor and secret', async () => {
    const original = json(
      (await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { Description: 'orig' })).text,
    );
    const clone = json(
      (
        await t.as(MANAGEMENT, 'PUT', `/v1/acl/token/${String(original.AccessorID)}/clone`, {
          Description: 'copy',
        })
      ).text,
    );
    assert.notEqual(clone.AccessorID, original.AccessorID);
    assert.notEqual(clone.SecretID, original.SecretID);
    assert.equal(clone.Description, 'copy');
  });

  it('hides secrets from a token with acl:read only', async () => {
    const reader = await t.tokenWith('acl = "read"');
    const list = json<Row[]>((await t.as(reader, 'GET', '/v1/acl/tokens')).text);
    assert.ok(list.length > 0);
    assert.ok(list.every((row) => row.SecretID === '<hidden>'));
  });

  it('a caller-chosen SecretID that is not a UUID is refused', async () => {
    const response = await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { SecretID: 'short' });
    assert.equal(response.status, 400);
    assert.equal(response.text, 'Invalid Token: SecretID is not a valid UUID');
  });

  it('an expired token no longer resolves', async () => {
    const token = json(
      (await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { ExpirationTTL: '1m' })).text,
    );
    assert.equal(typeof token.ExpirationTime, 'string');
    const tooShort = await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { ExpirationTTL: '1s' });
    assert.equal(tooShort.status, 400);
  });

  it('PUT /v1/agent/token/default changes what requests without a token may do', async () => {
    const reader = await t.tokenWith('key_prefix "" { policy = "read" }');
    await t.as(MANAGEMENT, 'PUT', '/v1/kv/agent-token/k', 'v');
    assert.equal((await t.as(null, 'GET', '/v1/kv/agent-token/k')).status, 403);
    const refused = await t.as(reader, 'PUT', '/v1/agent/token/default', { Token: reader });
    assert.equal(refused.status, 403);
    const set = await t.as(MANAGEMENT, 'PUT', '/v1/agent/token/acl_token', { Token: reader });
    assert.equal(set.status, 200, set.text);
    assert.equal((await t.as(null, 'GET', '/v1/kv/agent-token/k')).status, 200);
    const unknown = await t.as(MANAGEMENT, 'PUT', '/v1/agent/token/nope', { Token: reader });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, 'Token "nope" is unknown');
    await t.as(MANAGEMENT, 'PUT', '/v1/agent/token/default', { Token: '' });
    assert.equal((await t.as(null, 'GET', '/v1/kv/agent-token/k')).status, 403);
  });

  it('the npm consul client works with a token and reports a refusal without one', async () => {
    const base = { host: t.host, port: t.port };
    const withToken = new Consul({ ...base, defaults: { token: MANAGEMENT } });
    await withToken.kv.set('npm/key', 'value');
    const got = (await withToken.kv.get('npm/key')) as { Value: string };
    assert.equal(got.Value, 'value');
    const anonymous = new Consul(base);
    await assert.rejects(anonymous.kv.get('npm/key'), /forbidden/);
  });
});

describe('ACLs off', () => {
  it('answers the ACL endpoints with 401 ACL support disabled', async () => {
    const t = await startTestAgent();
    try {
      const response = await t.request('GET', '/v1/acl/tokens');
      assert.equal(response.status, 401);
      assert.equal(response.text, 'ACL support disabled');
      const header = (await t.request('GET', '/v1/status/leader')).headers;
      assert.equal(header['x-consul-default-acl-policy'], 'allow');
    } finally {
      await t.stop();
    }
  });

  it('the npm consul client bootstraps ACLs', async () => {
    const t = await startAclAgent('', false);
    try {
      const consul = new Consul({ host: t.host, port: t.port });
      const token = (await consul.acl.bootstrap()) as { SecretID: string };
      const managed = new Consul({
        host: t.host,
        port: t.port,
        defaults: { token: token.SecretID },
      });
      await managed.kv.set('k', 'v');
      assert.equal(((await managed.kv.get('k')) as { Value: string }).Value, 'v');
    } finally {
      await t.stop();
    }
  });
});
